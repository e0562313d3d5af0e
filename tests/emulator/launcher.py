#!/usr/bin/env python3
"""AWS emulator for cbctl integration tests: moto 5.2.5 in server mode, patched.

Usage: launcher.py [--port] PORT [--verbose] [--exit-with-parent]   (PORT 0 = any free port)

Prints exactly one line, ``READY http://127.0.0.1:PORT``, on stdout once the
server accepts connections, then serves until SIGTERM/SIGINT (exit status 0).
Request logging goes to stderr only with --verbose.

Every patch below reproduces a real-AWS behaviour that moto 5.2.5
lacks or gets wrong; the patches reach into moto internals, so the launcher
refuses to run on any other moto version. SSM and STS need no patches in
5.2.5 (test_launcher.py checks the operations cbctl relies on).

Fault injection, set by the environment: all off by default, and then no
middleware is installed at all. Requests to /moto-api/... are never touched.
When any is on, one summary line goes to stderr (stdout stays READY only).
  CBCTL_EMU_THROTTLE_RATE=F      fraction 0..1 of requests answered with the
      service's throttling error: JSON services 400 ThrottlingException,
      IAM/STS 400 Throttling (XML ErrorResponse), S3 503 SlowDown.
  CBCTL_EMU_5XX_RATE=F           fraction 0..1 answered 500 InternalFailure
      (S3: InternalError); throttling wins where the two add up to over 1.
  CBCTL_EMU_SEED=N               seed of the RNG drawing those (default 1):
      one draw per request in arrival order, so a sequential client sees
      the same faults on every run.
  CBCTL_EMU_ROLE_DELAY_SECONDS=F for F s after a successful IAM CreateRole /
      UpdateAssumeRolePolicy, CodeBuild Create/UpdateProject naming the role
      as serviceRole fail 400 InvalidInputException and CodePipeline
      Create/UpdatePipeline naming it as roleArn fail 400
      InvalidStructureException, as during real IAM propagation.
  CBCTL_EMU_FAIL=SPEC[,SPEC...]  SPEC is Service.Operation[:N|:*][=Code]: the
      Nth (default 1st; * = every) HTTP request of that operation, SDK retries
      included, fails 400 with Code (default AccessDeniedException), message
      "injected failure". Service: CodeBuild, CodeCommit, SSM, IAM, STS, KMS,
      CodePipeline, S3, EventBridge; Operation: its API name, or * for any.
Precedence per request: CBCTL_EMU_FAIL, then throttle/5xx, then role delay.
"""

import argparse
import copy
import http
import io
import json
import logging
import math
import os
import random
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse
import uuid

MOTO_VERSION = "5.2.5"


def _body(response):
    """The JSON request body of a moto (awsJson 1.1) response handler."""
    return json.loads(response.body or "{}")


def patch_codebuild():
    import botocore.session
    from moto.codebuild import responses as cbr
    from moto.codebuild.exceptions import (
        InvalidInputException,
        ResourceNotFoundException,
    )
    from moto.core.responses import ActionResult

    model = botocore.session.get_session().get_service_model("codebuild")
    enum = lambda shape: set(model.shape_for(shape).enum)  # noqa: E731
    source_types, artifact_types = enum("SourceType"), enum("ArtifactsType")
    env_types, compute_types = enum("EnvironmentType"), enum("ComputeType")
    # Everything UpdateProject can set is stored verbatim (name is immutable,
    # badgeEnabled is returned as badge.badgeEnabled).
    settable = set(model.operation_model("UpdateProject").input_shape.members)
    settable -= {"name", "badgeEnabled"}

    def require(value, member):
        # Real AWS rejects a missing required member with a 400; moto 500s.
        if value in (None, "", {}):
            raise InvalidInputException(
                f"1 validation error detected: Value null at '{member}' "
                "failed to satisfy constraint: Member must not be null"
            )
        return value

    def validate_source(source):
        # Real AWS: location is optional for NO_SOURCE and CODEPIPELINE
        # (moto requires it for every type); accepts every SourceType.
        if require(source, "source").get("type") not in source_types:
            raise InvalidInputException("Invalid type provided: Project source type")
        if source["type"] not in ("NO_SOURCE", "CODEPIPELINE") and not source.get(
            "location"
        ):
            raise InvalidInputException("Project source location is required")

    def validate_artifacts(artifacts):
        # Real AWS: location is optional for CODEPIPELINE (moto requires it);
        # NO_ARTIFACTS keeps moto's "must have null location" rule.
        kind = require(artifacts, "artifacts").get("type")
        if kind not in artifact_types:
            raise InvalidInputException("Invalid type provided: Artifact type")
        if kind == "NO_ARTIFACTS" and "location" in artifacts:
            raise InvalidInputException(
                "Invalid artifacts: artifact type NO_ARTIFACTS should have null location"
            )
        if kind == "S3" and not artifacts.get("location"):
            raise InvalidInputException("Project source location is required")

    def validate_environment(env):
        # Real AWS accepts every EnvironmentType/ComputeType in the service
        # model (moto only knows 4 of each, e.g. rejects BUILD_GENERAL1_XLARGE).
        if require(env, "environment").get("type") not in env_types:
            raise InvalidInputException(f"Invalid type provided: {env.get('type')}")
        if env.get("computeType") not in compute_types:
            raise InvalidInputException(
                f"Invalid compute type provided: {env.get('computeType')}"
            )

    orig_validate_role = cbr._validate_required_params_service_role
    orig_validate_name = cbr._validate_required_params_project_name

    def validate_role(account_id, region, role):
        # Keep moto's same-account ARN check; a missing role is a 400, not a 500.
        orig_validate_role(account_id, region, require(role, "serviceRole"))

    def validate_name(name):
        orig_validate_name(require(name, "name"))

    cbr._validate_required_params_source = validate_source
    cbr._validate_required_params_artifacts = validate_artifacts
    cbr._validate_required_params_environment = validate_environment
    cbr._validate_required_params_service_role = validate_role
    cbr._validate_required_params_project_name = validate_name

    def apply(project, request):
        # Real AWS round-trips every field the client sent (moto drops e.g.
        # concurrentBuildLimit and never sets lastModified); top-level
        # structures (source, environment, tags, ...) are replaced wholesale.
        meta = project.project_metadata
        for key in settable & request.keys():
            meta[key] = copy.deepcopy(request[key])
        if meta.get("concurrentBuildLimit") == -1:  # -1 removes the limit
            del meta["concurrentBuildLimit"]
        if "badgeEnabled" in request:
            meta["badge"] = {"badgeEnabled": bool(request["badgeEnabled"])}
        project.tags = meta.get("tags")
        project.service_role = meta["serviceRole"]
        meta["lastModified"] = time.time()

    orig_create = cbr.CodeBuildResponse.create_project

    def create_project(self):
        orig_create(self)  # validation + moto's own bookkeeping
        request = _body(self)
        project = self.codebuild_backend.codebuild_projects[request["name"]]
        # Real AWS defaults: 60 min build timeout, 480 min queued timeout
        # (moto stores 0 for both).
        request.setdefault("timeoutInMinutes", 60)
        request.setdefault("queuedTimeoutInMinutes", 480)
        apply(project, request)
        return ActionResult({"project": project.project_metadata})

    def update_project(self):
        # Real AWS UpdateProject (missing in moto): only fields present in the
        # request change; unknown project -> ResourceNotFoundException (400).
        request = _body(self)
        name = require(request.get("name"), "name")
        for key, validate in (
            ("source", validate_source),
            ("artifacts", validate_artifacts),
            ("environment", validate_environment),
        ):
            if key in request:
                validate(request[key])
        if "serviceRole" in request:
            validate_role(self.current_account, self.region, request["serviceRole"])
        projects = self.codebuild_backend.codebuild_projects
        project = projects.get(name) or next(
            (p for p in projects.values() if p.arn == name), None
        )
        if project is None:
            raise ResourceNotFoundException(
                "Project cannot be found: arn:aws:codebuild:"
                f"{self.region}:{self.current_account}:project/{name}"
            )
        apply(project, request)
        return ActionResult({"project": project.project_metadata})

    def batch_get_projects(self):
        # Real AWS reports unknown names/ARNs in projectsNotFound (moto omits it).
        names = self._get_param("names") or []
        found = self.codebuild_backend.batch_get_projects(names)
        known = {p["name"] for p in found} | {p["arn"] for p in found}
        missing = [n for n in names if n not in known]
        return ActionResult({"projects": found, "projectsNotFound": missing})

    cbr.CodeBuildResponse.create_project = create_project
    cbr.CodeBuildResponse.update_project = update_project
    cbr.CodeBuildResponse.batch_get_projects = batch_get_projects
    # DeleteProject of an unknown name already succeeds in moto, as in AWS.


def patch_codecommit():
    from moto.codecommit.exceptions import RepositoryDoesNotExistException
    from moto.codecommit.responses import CodeCommitResponse
    from moto.core.exceptions import JsonRESTError
    from moto.core.utils import iso_8601_datetime_with_milliseconds

    # Real CodeCommit (awsJson 1.1) errors: HTTP 400, {"__type", "message"}.
    def error(kind, message):
        return JsonRESTError(kind, message)

    def tags_of(repo):
        return repo.__dict__.setdefault("cbctl_tags", {})

    def repo_named(self, name):
        if not name:
            raise error("RepositoryNameRequiredException", "A repository name is required.")
        repo = self.codecommit_backend.repositories.get(name)
        if repo is None:
            raise RepositoryDoesNotExistException(name)
        return repo

    def repo_by_arn(self, arn):
        if not arn:
            raise error("ResourceArnRequiredException", "A valid Amazon Resource Name (ARN) is required.")
        if not re.fullmatch(r"arn:aws[\w-]*:codecommit:[\w-]+:\d{12}:[\w.-]+", arn):
            raise error("InvalidResourceArnException", f"The value for the resource ARN is not valid: {arn}")
        for repo in self.codecommit_backend.repositories.values():
            if repo.repository_metadata["Arn"] == arn:
                return repo
        raise RepositoryDoesNotExistException(arn.rsplit(":", 1)[-1])

    orig_create = CodeCommitResponse.create_repository

    def create_repository(self):
        # Real AWS stores the `tags` map (moto ignores it) and omits a missing
        # repositoryDescription instead of returning null.
        tags = self._get_param("tags") or {}
        if not isinstance(tags, dict):
            raise error("InvalidTagsMapException", "The map of tags is not valid.")
        orig_create(self)
        repo = self.codecommit_backend.repositories[self._get_param("repositoryName")]
        if repo.repository_metadata.get("repositoryDescription") is None:
            repo.repository_metadata.pop("repositoryDescription", None)
        tags_of(repo).update(tags)
        return json.dumps({"repositoryMetadata": repo.repository_metadata})

    def list_repositories(self):
        # Real AWS: names + ids, sortBy/order, nextToken pagination (1000/page).
        sort_by = self._get_param("sortBy") or "repositoryName"
        order = self._get_param("order") or "ascending"
        if sort_by not in ("repositoryName", "lastModifiedDate"):
            raise error("InvalidSortByException", "The specified sort by value is not valid.")
        if order not in ("ascending", "descending"):
            raise error("InvalidOrderException", "The specified sort order is not valid.")
        token = self._get_param("nextToken")
        if token is not None and not str(token).isdigit():
            raise error("InvalidContinuationTokenException", "The specified continuation token is not valid.")
        repos = sorted(
            (r.repository_metadata for r in self.codecommit_backend.repositories.values()),
            key=lambda m: m[sort_by],
            reverse=order == "descending",
        )
        start, page = int(token or 0), 1000
        result = {
            "repositories": [
                {"repositoryName": m["repositoryName"], "repositoryId": m["repositoryId"]}
                for m in repos[start : start + page]
            ]
        }
        if start + page < len(repos):
            result["nextToken"] = str(start + page)
        return json.dumps(result)

    def batch_get_repositories(self):
        # Real AWS: up to 25 names; unknown names listed in repositoriesNotFound.
        names = self._get_param("repositoryNames") or []
        if not names:
            raise error("RepositoryNamesRequiredException", "At least one repository name is required.")
        if len(names) > 25:
            raise error("MaximumRepositoryNamesExceededException", "The maximum number of repository names (25) was exceeded.")
        repos = self.codecommit_backend.repositories
        return json.dumps({
            "repositories": [repos[n].repository_metadata for n in names if n in repos],
            "repositoriesNotFound": [n for n in names if n not in repos],
        })

    def update_repository_description(self):
        # Real AWS: sets (or, when absent, clears) the description; bumps
        # lastModifiedDate; empty response.
        repo = repo_named(self, self._get_param("repositoryName"))
        description = self._get_param("repositoryDescription")
        if description is not None and len(description) > 1000:
            raise error("InvalidRepositoryDescriptionException", "The repository description is not valid.")
        meta = repo.repository_metadata
        if description is None:
            meta.pop("repositoryDescription", None)
        else:
            meta["repositoryDescription"] = description
        meta["lastModifiedDate"] = iso_8601_datetime_with_milliseconds()
        return "{}"

    def tag_resource(self):
        # Real AWS: tags by repository ARN, at most 50 per resource.
        repo = repo_by_arn(self, self._get_param("resourceArn"))
        tags = self._get_param("tags")
        if not isinstance(tags, dict):
            raise error("TagsMapRequiredException", "A map of tags is required.")
        if len({**tags_of(repo), **tags}) > 50:
            raise error("TooManyTagsException", "A resource can have at most 50 tags.")
        tags_of(repo).update(tags)
        return "{}"

    def untag_resource(self):
        repo = repo_by_arn(self, self._get_param("resourceArn"))
        keys = self._get_param("tagKeys")
        if not isinstance(keys, list):
            raise error("TagKeysListRequiredException", "A list of tag keys is required.")
        for key in keys:
            tags_of(repo).pop(key, None)
        return "{}"

    def list_tags_for_resource(self):
        repo = repo_by_arn(self, self._get_param("resourceArn"))
        return json.dumps({"tags": tags_of(repo)})

    for fn in (
        create_repository,
        list_repositories,
        batch_get_repositories,
        update_repository_description,
        tag_resource,
        untag_resource,
        list_tags_for_resource,
    ):
        setattr(CodeCommitResponse, fn.__name__, fn)


def patch_iam():
    from moto.core.responses import EmptyResult
    from moto.core.serialize import url_encode
    from moto.iam.responses import IamResponse

    def encode(value):
        # Real IAM percent-encodes policy documents in XML responses, "/"
        # included (moto's quote() keeps "/" literal).
        return urllib.parse.quote(value, safe="") if isinstance(value, str) else value

    transformers = {
        path: encode if fn is url_encode else fn
        for path, fn in IamResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER.items()
    }
    # Real ListRoles also returns each AssumeRolePolicyDocument encoded (moto: raw).
    transformers["ListRolesResponse.Roles.Role.AssumeRolePolicyDocument"] = encode
    IamResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER = transformers

    def update_role(self):
        # Real UpdateRole leaves Description/MaxSessionDuration unchanged when
        # not given (moto resets them to None/3600).
        role = self.backend.get_role(self._get_param("RoleName"))
        description = self._get_param("Description")
        duration = self._get_param("MaxSessionDuration")
        self.backend.update_role(
            role.name,
            role.description if description is None else description,
            role.max_session_duration if duration is None else duration,
        )
        return EmptyResult()

    IamResponse.update_role = update_role


def apply_patches():
    import moto

    if moto.__version__ != MOTO_VERSION:
        sys.exit(
            f"launcher.py: patches target moto {MOTO_VERSION}, found {moto.__version__};"
            " run tests/emulator/setup.sh"
        )
    patch_codebuild()
    patch_codecommit()
    patch_iam()


# --------------------------------------------------------- fault injection --
# name in CBCTL_EMU_FAIL -> (SigV4 signing name, botocore service name)
FAULT_SERVICES = {
    "CodeBuild": ("codebuild", "codebuild"),
    "CodeCommit": ("codecommit", "codecommit"),
    "SSM": ("ssm", "ssm"),
    "IAM": ("iam", "iam"),
    "STS": ("sts", "sts"),
    "KMS": ("kms", "kms"),
    "CodePipeline": ("codepipeline", "codepipeline"),
    "S3": ("s3", "s3"),
    "EventBridge": ("events", "events"),
}
QUERY_SERVICES = {
    "IAM": "https://iam.amazonaws.com/doc/2010-05-08/",
    "STS": "https://sts.amazonaws.com/doc/2011-06-15/",
}
INTERNAL_FAILURE = "The request processing has failed because of an unknown error, exception or failure."
ROLE_DELAYED = {  # (service, operation) -> (error code, message prefix)
    ("CodeBuild", "CreateProject"): ("InvalidInputException", "CodeBuild is not authorized to perform: sts:AssumeRole on "),
    ("CodeBuild", "UpdateProject"): ("InvalidInputException", "CodeBuild is not authorized to perform: sts:AssumeRole on "),
    ("CodePipeline", "CreatePipeline"): ("InvalidStructureException", "CodePipeline is not authorized to perform AssumeRole on role "),
    ("CodePipeline", "UpdatePipeline"): ("InvalidStructureException", "CodePipeline is not authorized to perform AssumeRole on role "),
}
ROLE_CREATING = {("IAM", "CreateRole"), ("IAM", "UpdateAssumeRolePolicy")}


def _service_model(service):
    import botocore.session

    return botocore.session.get_session().get_service_model(FAULT_SERVICES[service][1])


class Faults:
    """The CBCTL_EMU_* settings; falsy when every fault is off."""

    def __init__(self, env):
        def number(name, kind, default, expected, low=-math.inf, high=math.inf):
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = kind(raw)
            except ValueError:
                value = math.nan
            if not low <= value <= high:  # NaN fails too
                sys.exit(f"launcher.py: {name}={raw!r}: expected {expected}")
            return value

        rate = "a number from 0 to 1"
        self.throttle = number("CBCTL_EMU_THROTTLE_RATE", float, 0.0, rate, 0.0, 1.0)
        self.server_error = min(number("CBCTL_EMU_5XX_RATE", float, 0.0, rate, 0.0, 1.0), 1.0 - self.throttle)
        self.seed = number("CBCTL_EMU_SEED", int, 1, "an integer")
        self.role_delay = number("CBCTL_EMU_ROLE_DELAY_SECONDS", float, 0.0, "a number of seconds >= 0", 0.0, 1e9)
        self.fail = [self._parse_fail(s) for s in env.get("CBCTL_EMU_FAIL", "").split(",") if s.strip()]

    @staticmethod
    def _parse_fail(spec):
        m = re.fullmatch(r"\s*([\w-]+)\.(\w+|\*)(?::(\d+|\*))?(?:=([\w.#:-]+))?\s*", spec)
        problem = None if m else "expected Service.Operation[:N][=Code]"
        if m:
            aliases = {k.lower(): k for k in FAULT_SERVICES}
            aliases.update({sig: k for k, (sig, _) in FAULT_SERVICES.items()})
            service = aliases.get(m[1].lower())
            if service is None:
                problem = f"unknown service {m[1]!r} (one of {', '.join(FAULT_SERVICES)})"
            elif m[2] != "*":
                ops = {op.lower(): op for op in _service_model(service).operation_names}
                operation = ops.get(m[2].lower())
                if operation is None:
                    problem = f"{service} has no operation {m[2]!r}"
            else:
                operation = "*"
            if m[3] not in (None, "*") and int(m[3]) < 1:
                problem = "N counts from 1"
        if problem:
            sys.exit(f"launcher.py: CBCTL_EMU_FAIL: {spec.strip()!r}: {problem}")
        nth = None if m[3] == "*" else int(m[3] or 1)
        return service, operation, nth, m[4] or "AccessDeniedException"

    def __bool__(self):
        return bool(self.throttle or self.server_error or self.role_delay or self.fail)

    def summary(self):
        parts = []
        if self.throttle or self.server_error:
            parts.append(f"throttle {self.throttle:g}, 5xx {self.server_error:g} (seed {self.seed})")
        if self.role_delay:
            parts.append(f"role delay {self.role_delay:g}s")
        for service, operation, nth, code in self.fail:
            parts.append(f"fail {service}.{operation}:{'*' if nth is None else nth}={code}")
        return "launcher.py: fault injection: " + "; ".join(parts)


class RestOperations:
    """Names the operation of a REST (S3) request from the botocore model's
    HTTP bindings: method, path template, and the query keys and headers the
    operation requires (e.g. x-amz-copy-source tells CopyObject from PutObject);
    the most specific match wins."""

    def __init__(self, service):
        model = _service_model(service)
        self.routes = []
        for name in model.operation_names:
            operation = model.operation_model(name)
            binding = operation.http
            path, _, query = binding["requestUri"].partition("?")
            required = urllib.parse.parse_qsl(query, keep_blank_values=True)
            headers = []
            shape = operation.input_shape
            for member in shape.required_members if shape else ():
                where = shape.members[member].serialization
                if where.get("location") == "querystring":
                    required.append((where["name"], ""))
                elif where.get("location") == "header":
                    headers.append("HTTP_" + where["name"].upper().replace("-", "_"))
            pattern, literals = "", 0
            for segment in path.strip("/").split("/") if path.strip("/") else []:
                if segment.endswith("+}"):
                    pattern += "/.+"
                elif segment.startswith("{"):
                    pattern += "/[^/]+"
                else:
                    pattern += "/" + re.escape(segment)
                    literals += 1
            regex = re.compile(pattern + "/?" if pattern else "/")
            score = (len(required) + len(headers), literals)
            self.routes.append((binding["method"], regex, required, headers, score, name))

    def name(self, environ):
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if "x-id" in query:  # newer SDKs name the operation themselves
            return query["x-id"][0]
        path = environ.get("PATH_INFO", "") or "/"
        host = environ.get("HTTP_HOST", "").rsplit(":", 1)[0]
        bucket = re.fullmatch(r"(.+)\.(?:s3[.-].*|localhost)", host)
        if bucket:  # virtual-hosted-style request
            path = "/" + bucket[1] + path
        best = None
        for method, regex, required, headers, score, name in self.routes:
            if (
                method == environ.get("REQUEST_METHOD")
                and regex.fullmatch(path)
                and all(k in query and (not v or v in query[k]) for k, v in required)
                and all(h in environ for h in headers)
                and (best is None or score > best[0])
            ):
                best = (score, name)
        return best and best[1]


class FaultInjector:
    """WSGI middleware in front of moto's DomainDispatcherApplication."""

    def __init__(self, app, faults):
        self.app, self.faults = app, faults
        self.lock = threading.Lock()
        self.rng = random.Random(faults.seed)
        self.counts = {}  # (service, operation or "*") -> requests seen
        self.roles = {}  # role name -> monotonic time of its last (trust) change
        self.rest = {}  # service -> RestOperations
        self.fail_services = {service for service, *_ in faults.fail}
        self.targets = {
            _service_model(s).metadata["targetPrefix"]: s
            for s in FAULT_SERVICES
            if "targetPrefix" in _service_model(s).metadata
        }
        self.signing = {sig: s for s, (sig, _) in FAULT_SERVICES.items()}

    # -- recognising the request --
    @staticmethod
    def body(environ):
        """The request body, put back so that moto reads it too."""
        if "cbctl.body" not in environ:
            stream = environ["wsgi.input"]
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if environ.get("wsgi.input_terminated"):
                data = stream.read()
            else:
                data = stream.read(length) if length > 0 else b""
            environ["wsgi.input"] = io.BytesIO(data)
            environ["cbctl.body"] = data
        return environ["cbctl.body"]

    def query_param(self, environ, name):
        for source in (environ.get("QUERY_STRING", ""), None):
            if source is None:
                if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
                    return None
                source = self.body(environ).decode("utf-8", "replace")
            values = urllib.parse.parse_qs(source, keep_blank_values=True).get(name)
            if values:
                return values[0]
        return None

    def service_of(self, environ):
        """(service, protocol family); family is json, query, s3 or rest-json."""
        target = environ.get("HTTP_X_AMZ_TARGET")
        scope = environ.get("HTTP_AUTHORIZATION", "")
        m = re.search(r"Credential=[^/,\s]+/\d+/[^/]+/([^/]+)/aws4_request", scope)
        if not m:
            q = urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential", [""])[0]
            m = re.fullmatch(r"[^/]+/\d+/[^/]+/([^/]+)/aws4_request", q)
        service = m and self.signing.get(m[1].lower(), m[1])
        if target:
            return service or self.targets.get(target.split(".")[0]), "json"
        if service in QUERY_SERVICES:
            return service, "query"
        if service in (None, "S3"):  # moto too sends unrecognised requests to S3
            if service is None and self.query_param(environ, "Action") in ("AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"):
                return "STS", "query"
            return "S3", "s3"
        if self.query_param(environ, "Action"):
            return service, "query"
        return service, "rest-json"

    def operation_of(self, environ, service, family):
        if family == "json":
            return environ.get("HTTP_X_AMZ_TARGET", "").partition(".")[2]
        if family == "query":
            return self.query_param(environ, "Action")
        if service in self.fail_services and service in FAULT_SERVICES:
            with self.lock:
                if service not in self.rest:
                    self.rest[service] = RestOperations(service)
            return self.rest[service].name(environ)
        return None

    # -- answering --
    @staticmethod
    def respond(environ, start_response, family, service, status, code, message):
        request_id = str(uuid.uuid4())
        headers = [("x-amzn-RequestId", request_id)]
        if family == "json":  # the request's awsJson version (1.1 for all of ours)
            content_type = environ.get("CONTENT_TYPE", "")
            if not content_type.startswith("application/x-amz-json-1."):
                content_type = "application/x-amz-json-1.1"
            body = json.dumps({"__type": code, "message": message}, separators=(",", ":"))
        elif family == "query":
            content_type = "text/xml"
            kind = "Receiver" if status >= 500 else "Sender"
            xmlns = QUERY_SERVICES.get(service)
            xmlns = f' xmlns="{xmlns}"' if xmlns else ""
            body = (
                f"<ErrorResponse{xmlns}><Error><Type>{kind}</Type>"
                f"<Code>{code}</Code><Message>{message}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>"
            )
        elif family == "s3":
            content_type = "application/xml"
            request_id = uuid.uuid4().hex[:16].upper()
            host_id = uuid.uuid4().hex
            headers = [("x-amz-request-id", request_id), ("x-amz-id-2", host_id)]
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{code}</Code><Message>{message}</Message>"
                f"<RequestId>{request_id}</RequestId><HostId>{host_id}</HostId></Error>"
            )
        else:
            content_type = "application/json"
            headers.append(("x-amzn-ErrorType", code))
            body = json.dumps({"message": message}, separators=(",", ":"))
        data = body.encode()
        headers += [("Content-Type", content_type), ("Content-Length", str(len(data)))]
        start_response(f"{status} {http.HTTPStatus(status).phrase}", headers)
        return [data]

    def role_named(self, environ, key):
        try:
            request = json.loads(self.body(environ) or b"{}")
            arn = request["serviceRole"] if key[0] == "CodeBuild" else request["pipeline"]["roleArn"]
        except (ValueError, KeyError, TypeError):
            return None
        return arn if isinstance(arn, str) and arn else None

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/moto-api") or path == "/favicon.ico":
            return self.app(environ, start_response)
        faults = self.faults
        service, family = self.service_of(environ)
        operation = self.operation_of(environ, service, family)
        with self.lock:
            draw = self.rng.random() if faults.throttle or faults.server_error else None
            failure = None
            if service in self.fail_services:
                for op in (operation, "*"):
                    self.counts[service, op] = self.counts.get((service, op), 0) + 1
                for f_service, f_operation, nth, code in faults.fail:
                    if (
                        f_service == service
                        and f_operation in (operation, "*")
                        and nth in (None, self.counts[service, f_operation])
                    ):
                        failure = code
                        break
        if failure:
            return self.respond(environ, start_response, family, service, 400, failure, "injected failure")
        if draw is not None and draw < faults.throttle:
            status, code, message = {
                "json": (400, "ThrottlingException", "Rate exceeded"),
                "query": (400, "Throttling", "Rate exceeded"),
                "s3": (503, "SlowDown", "Please reduce your request rate."),
            }.get(family, (429, "ThrottlingException", "Rate exceeded"))
            return self.respond(environ, start_response, family, service, status, code, message)
        if draw is not None and draw < faults.throttle + faults.server_error:
            if family == "s3":
                code, message = "InternalError", "We encountered an internal error. Please try again."
            else:
                code, message = "InternalFailure", INTERNAL_FAILURE
            return self.respond(environ, start_response, family, service, 500, code, message)
        if not faults.role_delay:
            return self.app(environ, start_response)
        key = (service, operation)
        if key in ROLE_DELAYED and family == "json":
            arn = self.role_named(environ, key)
            with self.lock:
                changed = self.roles.get(arn.rsplit("/", 1)[-1]) if arn else None
            if changed is not None and time.monotonic() - changed < faults.role_delay:
                code, prefix = ROLE_DELAYED[key]
                return self.respond(environ, start_response, family, service, 400, code, prefix + arn)
        if key not in ROLE_CREATING:
            return self.app(environ, start_response)
        role = self.query_param(environ, "RoleName")
        statuses = []

        def recording_start_response(status, headers, exc_info=None):
            statuses.append(status)
            return start_response(status, headers, exc_info)

        result = self.app(environ, recording_start_response)
        if role and statuses and statuses[-1].startswith("2"):
            with self.lock:
                self.roles[role] = time.monotonic()
        return result


def wait_until_accepting(host, port, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port_arg", nargs="?", type=int, metavar="PORT")
    parser.add_argument("--port", type=int, help="port to listen on (0 = any free port)")
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="also exit when the parent process dies (no orphaned servers)",
    )
    args = parser.parse_args(argv)
    port = args.port if args.port is not None else (args.port_arg or 0)
    logging.getLogger("werkzeug").setLevel(logging.INFO if args.verbose else logging.WARNING)
    apply_patches()
    faults = Faults(os.environ)
    # What moto.server.ThreadedMotoServer does, minus its thread-side bind:
    # there a busy port leaves start() waiting forever; here it exits non-zero.
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    app = DomainDispatcherApplication(create_backend_app)
    if faults:  # otherwise moto's dispatcher serves requests directly, as ever
        app = FaultInjector(app, faults)
        print(faults.summary(), file=sys.stderr, flush=True)
    try:
        server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    except (OSError, SystemExit) as exc:  # werkzeug sys.exit(1)s on a busy port
        reason = "" if isinstance(exc, SystemExit) else f": {exc}"
        sys.exit(f"launcher.py: cannot listen on 127.0.0.1:{port}{reason}")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    wait_until_accepting(host, port)
    print(f"READY http://{host}:{port}", flush=True)
    parent = os.getppid()
    while not stop.wait(1):
        if args.exit_with_parent and os.getppid() != parent:
            break
    server.shutdown()
    thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())

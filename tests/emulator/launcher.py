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
"""

import argparse
import copy
import json
import logging
import os
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse

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
    # What moto.server.ThreadedMotoServer does, minus its thread-side bind:
    # there a busy port leaves start() waiting forever; here it exits non-zero.
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    app = DomainDispatcherApplication(create_backend_app)
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

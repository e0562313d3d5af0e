#!/usr/bin/env python3
"""AWS emulator for cbctl integration tests: moto 5.2.5 in server mode, patched.

Usage: launcher.py [--port] PORT [--verbose] [--exit-with-parent]   (PORT 0 = any free port)

Prints exactly one line, ``READY http://127.0.0.1:PORT``, on stdout once the
server accepts connections, then serves until SIGTERM/SIGINT (exit status 0).
Request logging goes to stderr only with --verbose.

Every patch below reproduces a real-AWS behaviour that moto 5.2.5
lacks or gets wrong; the patches reach into moto internals, so the launcher
refuses to run on any other moto version. STS needs no patches in 5.2.5
(test_launcher.py checks the operations cbctl relies on). The Resource Groups
Tagging API's GetResources (awsJson 1.1) reports the tags of SSM parameters,
EventBridge rules, CodeBuild projects, CodePipeline pipelines, CodeCommit
repositories, ECR repositories and CloudWatch Logs groups (see patch_tagging).
CodeConnections (and its old name, CodeStar Connections) is missing from moto
and emulated here in memory, over awsJson 1.0 and Smithy RPC v2 CBOR.
TEST-ONLY hook, not in AWS: CreateConnection/TagResource with the tag
emulator:status=AVAILABLE (or PENDING, ERROR) sets the connection's status,
standing in for the console handshake.

Fault injection, set by the environment: all off by default, and then no
middleware is installed at all. Requests to /moto-api/... are never touched.
When any is on, one summary line goes to stderr (stdout stays READY only).
A setting that does not parse makes the launcher exit non-zero at start.
  CBCTL_EMU_LATENCY_MS=N         every request waits N ms (integer >= 0)
      before it is handled, standing in for the network round trip; the
      server handles each request in its own thread, so concurrent requests
      wait side by side (8 at once take N ms, not 8*N).
  CBCTL_EMU_TAGGING_LAG_SECONDS=F  AWS's tag index lags behind tag changes:
      Resource Groups Tagging API GetResources leaves out a resource whose
      tags changed (created with tags, tagged, untagged) less than F s ago
      (number >= 0), with a ResourceARNList or without.
  CBCTL_EMU_THROTTLE_RATE=F      fraction 0..1 of requests answered with the
      service's throttling error: JSON/CBOR services 400 ThrottlingException
      (Tagging: ThrottledException), IAM/STS 400 Throttling (XML
      ErrorResponse), S3 503 SlowDown.
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
      CodePipeline, S3, EventBridge, CodeConnections, CodeStarConnections,
      Tagging, ECR (or a SigV4 signing name, e.g. codestar-connections: requests
      are told apart by the API they were sent to); Operation: its API name,
      or * for any.
Precedence per request: latency (always waited), then CBCTL_EMU_FAIL, then
throttle/5xx, then role delay.
"""

import argparse
import base64
import collections
import copy
import functools
import hashlib
import http
import inspect
import io
import json
import logging
import math
import os
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
import uuid

MOTO_VERSION = "5.2.5"


def _body(response):
    """The JSON request body of a moto (awsJson 1.1) response handler."""
    return json.loads(response.body or "{}")


# When each resource's tags last changed (created with tags, tagged,
# untagged), by ARN, kept on the object that holds the tags (a moto backend,
# its TaggingService, or the resource itself) so that deleting it or
# /moto-api/reset forgets it too. patch_tagging reads it: a resource with a
# record was "tagged or previously tagged", and CBCTL_EMU_TAGGING_LAG_SECONDS
# hides it for a while after the change.
TAG_CHANGES = "cbctl_tag_changes"


def note_tag_change(holder, arn):
    holder.__dict__.setdefault(TAG_CHANGES, {})[arn] = time.monotonic()


def tag_changes(holder):
    return getattr(holder, "__dict__", {}).get(TAG_CHANGES, {})


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
    # badgeEnabled is returned as badge.badgeEnabled), then given the forms
    # AWS reads back (codebuild_read_back).
    settable = set(model.operation_model("UpdateProject").input_shape.members)
    settable -= {"name", "badgeEnabled"}
    AUTO_DISCOVER = "CODEBUILD_CONFIG_AUTO_DISCOVER"

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
        # Real AWS: location is optional for CODEPIPELINE (moto requires it).
        # NO_ARTIFACTS keeps moto's "must have null location" rule, and AWS
        # refuses a name or an encryptionDisabled with it too, in these words
        # (cloudposse/terraform-aws-codebuild#63; the comment on
        # expandProjectArtifacts in hashicorp/terraform-provider-aws
        # internal/service/codebuild/project.go).
        kind = require(artifacts, "artifacts").get("type")
        if kind not in artifact_types:
            raise InvalidInputException("Invalid type provided: Artifact type")
        for member, what in (("location", "location"), ("name", "output name"), ("encryptionDisabled", "encryptionDisabled")):
            if kind == "NO_ARTIFACTS" and member in artifacts:
                raise InvalidInputException(
                    f"Invalid artifacts: artifact type NO_ARTIFACTS should have null {what}"
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

    def tag_map(tags):
        return {t.get("key"): t.get("value") for t in tags or []}

    def project_view(base, request, region, account):
        # The project as BatchGetProjects reports it once `request` is applied
        # to `base` (the stored metadata; {} to judge a CreateProject before
        # moto stores it). Real AWS round-trips every field the client sent
        # (moto drops e.g. concurrentBuildLimit and never sets lastModified);
        # top-level structures (source, environment, tags, ...) are replaced
        # wholesale; a field left out keeps its value.
        meta = copy.deepcopy(base)
        for key in settable & request.keys():
            meta[key] = copy.deepcopy(request[key])
        name = meta.setdefault("name", request.get("name"))
        if "badgeEnabled" in request:
            arn = f"arn:{aws_partition(region)}:codebuild:{region}:{account}:project/{name}"
            meta["badge"] = codebuild_badge(request["badgeEnabled"], region, arn)
        codebuild_read_back(meta, region, account)
        return meta

    def check_view(view, request, account, region):
        # Rules on settings taken together, judged on the project as it would
        # read back: an UpdateProject may send one half of a pair.
        problem = codebuild_view_problem(view)
        if not problem and "vpcConfig" in request and view.get("vpcConfig"):
            problem = codebuild_vpc_ec2_problem(view["vpcConfig"], account, region)
        if problem:
            raise InvalidInputException(problem)

    def commit(project, view, request):
        if "tags" in request and tag_map(request["tags"]) != tag_map(project.tags):
            note_tag_change(project, project.arn)
        meta = project.project_metadata
        meta.clear()
        meta.update(view)
        project.tags = meta.get("tags")
        project.service_role = meta["serviceRole"]
        meta["lastModified"] = time.time()

    orig_create = cbr.CodeBuildResponse.create_project

    def create_project(self):
        request = _body(self)
        # Real AWS defaults: 60 min build timeout, 480 min queued timeout
        # (moto stores 0 for both).
        request.setdefault("timeoutInMinutes", 60)
        if request["environment"].get("type") not in CODEBUILD_LAMBDA_ENVIRONMENTS:
            request.setdefault("queuedTimeoutInMinutes", 480)
        # Real AWS (since April 2024) adds the report auto-discover switch to
        # every project created without it, CODEBUILD_CONFIG_AUTO_DISCOVER=true
        # (PLAINTEXT): hashicorp/terraform-provider-aws#37051,
        # pulumi/pulumi-aws#3844. A variable of that name the client sent is
        # kept as sent; UpdateProject stores the list as sent (no re-adding:
        # re-applying without it removes it, per the Pulumi report).
        variables = request["environment"].setdefault("environmentVariables", [])
        if not any(v.get("name") == AUTO_DISCOVER for v in variables):
            variables.append({"name": AUTO_DISCOVER, "value": "true", "type": "PLAINTEXT"})
        check_view(project_view({}, request, self.region, self.current_account), request, self.current_account, self.region)
        orig_create(self)  # validation + moto's own bookkeeping
        project = self.codebuild_backend.codebuild_projects[request["name"]]
        commit(project, project_view(project.project_metadata, request, self.region, self.current_account), request)
        if request.get("tags"):
            note_tag_change(project, project.arn)
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
        view = project_view(project.project_metadata, request, self.region, self.current_account)
        check_view(view, request, self.current_account, self.region)
        commit(project, view, request)
        return ActionResult({"project": project.project_metadata})

    def batch_get_projects(self):
        # Real AWS reports unknown names/ARNs in projectsNotFound (moto omits it).
        names = self._get_param("names") or []
        found = self.codebuild_backend.batch_get_projects(names)
        known = {p["name"] for p in found} | {p["arn"] for p in found}
        missing = [n for n in names if n not in known]
        return ActionResult({"projects": found, "projectsNotFound": missing})

    def list_projects(self):
        # Real AWS: at most 100 names per page, then a nextToken; sortBy NAME
        # (the emulator's default), CREATED_TIME or LAST_MODIFIED_TIME,
        # sortOrder ASCENDING (default) or DESCENDING. moto returns every
        # name in one unsorted page.
        sort_by = self._get_param("sortBy") or "NAME"
        descending = self._get_param("sortOrder") == "DESCENDING"
        token = self._get_param("nextToken")
        if token is not None and not str(token).isdigit():
            raise InvalidInputException("Invalid pagination token")
        field = {"NAME": "name", "CREATED_TIME": "created", "LAST_MODIFIED_TIME": "lastModified"}[sort_by]
        metas = [p.project_metadata for p in self.codebuild_backend.codebuild_projects.values()]
        names = [m["name"] for m in sorted(metas, key=lambda m: (m.get(field, m["created"]), m["name"]), reverse=descending)]
        start, page = int(token or 0), 100
        result = {"projects": names[start : start + page]}
        if start + page < len(names):
            result["nextToken"] = str(start + page)
        return ActionResult(result)

    cbr.CodeBuildResponse.create_project = create_project
    cbr.CodeBuildResponse.update_project = update_project
    cbr.CodeBuildResponse.batch_get_projects = batch_get_projects
    cbr.CodeBuildResponse.list_projects = list_projects
    # DeleteProject of an unknown name already succeeds in moto, as in AWS.


# ------------------------------------------- CodeBuild project read-back --
# What BatchGetProjects (and Create/UpdateProject's answer) reports for the
# settings a request left out or sent empty. moto stores requests verbatim
# and adds none of this; patch_codebuild applies codebuild_read_back to the
# stored project after every Create/UpdateProject.

CODEBUILD_GIT_SOURCES = ("CODECOMMIT", "GITHUB", "GITHUB_ENTERPRISE", "BITBUCKET", "GITLAB", "GITLAB_SELF_MANAGED")
# Members a client sends empty to remove them: Terraform's resourceProjectUpdate
# sends VpcConfig{}, ProjectBuildBatchConfig{} and [] for the lists
# (hashicorp/terraform-provider-aws internal/service/codebuild/project.go);
# "VpcConfig: {}" removes a VPC (aws-cloudformation/cloudformation-coverage-
# roadmap#445), and the CloudFormation docs say "To unset or remove a project
# value via CFN, explicitly provide the attribute with value as empty input".
# Whether AWS then reports an emptied list as [] or leaves it out is
# unconfirmed: the emulator leaves it out (SDKs read both as empty).
CODEBUILD_EMPTY_REMOVES = ("vpcConfig", "buildBatchConfig", "secondarySources", "secondaryArtifacts",
                           "secondarySourceVersions", "fileSystemLocations")


def codebuild_kms_key_arn(key, region, account):
    """encryptionKey as CodeBuild reports it. Default alias/aws/s3 (moto
    already reports that on create); "alias/NAME" reads back as the alias
    ARN, a bare key id as the key ARN, an ARN as sent (unconfirmed: the API
    reference only says either the ARN or alias/NAME may be sent)."""
    key = key or "alias/aws/s3"
    if key.startswith("arn:"):
        return key
    prefix = f"arn:{aws_partition(region)}:kms:{region}:{account}:"
    return prefix + (key if key.startswith("alias/") else f"key/{key}")


def codebuild_badge(enabled, region, arn):
    """ProjectBadge for badgeEnabled: AWS reports {"badgeEnabled": false}, or
    true with a public badgeRequestUrl of the form seen in READMEs:
    https://codebuild.REGION.amazonaws.com/badges?uuid=<url-encoded base64 of
    {"encryptedData","ivParameterSpec","materialSetSerial"}>&branch=main.
    The uuid here is a stable digest of the project ARN."""
    if not enabled:
        return {"badgeEnabled": False}
    digest = hashlib.sha256(arn.encode()).digest()
    blob = {"encryptedData": base64.b64encode(digest).decode(), "ivParameterSpec": base64.b64encode(digest[:12]).decode(),
            "materialSetSerial": 1}
    uuid_ = urllib.parse.quote(base64.b64encode(json.dumps(blob, separators=(",", ":")).encode()).decode(), safe="")
    return {"badgeEnabled": True, "badgeRequestUrl": f"https://codebuild.{region}.amazonaws.com/badges?uuid={uuid_}&branch=main"}


def codebuild_logs_defaults(logs):
    """LogsConfig as read back: CloudWatch Logs on and S3 logs off unless
    sent ("CloudWatch Logs are enabled by default", "S3 logs are not enabled
    by default": API reference, LogsConfig); a sent logsConfig replaces the
    stored one and its missing half gets the default, as Terraform's
    expandProjectLogsConfig assumes. S3 logs read back with
    encryptionDisabled false when not sent (moto's own build records say so;
    for a project unconfirmed)."""
    logs.setdefault("cloudWatchLogs", {"status": "ENABLED"})
    logs.setdefault("s3Logs", {"status": "DISABLED"}).setdefault("encryptionDisabled", False)
    return logs


def codebuild_artifact_defaults(artifacts, name=None):
    """S3 artifacts read back with packaging NONE and namespaceType NONE
    ("the default if not specified": API reference, ProjectArtifacts),
    encryptionDisabled false, and the primary artifacts named after the
    project. Terraform's aws_codebuild_project suppresses exactly these
    diffs (name == project name, NONE when unset) and defaults
    encryption_disabled to false. CODEPIPELINE/NO_ARTIFACTS are left as sent."""
    if not isinstance(artifacts, dict) or artifacts.get("type") != "S3":
        return
    for key, value in (("packaging", "NONE"), ("namespaceType", "NONE"), ("encryptionDisabled", False)):
        artifacts.setdefault(key, value)
    if name:
        artifacts.setdefault("name", name)


def codebuild_read_back(meta, region, account):
    """Give a stored project (`meta`, the request applied) AWS's read-back forms."""
    if meta.get("concurrentBuildLimit") == -1:  # -1 removes the limit
        del meta["concurrentBuildLimit"]
    if meta.get("autoRetryLimit") == 0:  # 0 = no retries; AWS may report 0 (unconfirmed)
        del meta["autoRetryLimit"]
    # Real AWS reports a git source sent without a clone depth as depth 0
    # (full clone); moto leaves it out.
    source = meta.get("source") or {}
    if source.get("type") in CODEBUILD_GIT_SOURCES:
        source.setdefault("gitCloneDepth", 0)
    for key in CODEBUILD_EMPTY_REMOVES:
        if key in meta and codebuild_is_empty(key, meta[key]):
            del meta[key]
    meta["encryptionKey"] = codebuild_kms_key_arn(meta.get("encryptionKey"), region, account)
    meta["badge"] = meta.get("badge") or {"badgeEnabled": False}
    # ProjectCache: NO_CACHE when none was sent (moto does this on create);
    # location "is ignored" for NO_CACHE and LOCAL (API reference,
    # ProjectCache): left out of the read-back (unconfirmed).
    cache = meta["cache"] = meta.get("cache") or {"type": "NO_CACHE"}
    if cache.get("type") in ("NO_CACHE", "LOCAL"):
        cache.pop("location", None)
    meta["logsConfig"] = codebuild_logs_defaults(meta.get("logsConfig") or {})
    codebuild_artifact_defaults(meta.get("artifacts"), meta.get("name"))
    for artifacts in meta.get("secondaryArtifacts") or []:
        codebuild_artifact_defaults(artifacts)


def codebuild_is_empty(key, value):
    """Whether a removable member holds nothing: {} or [], or a vpcConfig
    without vpcId, subnets and security groups (a client clearing it)."""
    if key == "vpcConfig" and isinstance(value, dict):
        return not (value.get("vpcId") or value.get("subnets") or value.get("securityGroupIds"))
    return value in ({}, [], None)


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
        if tags:
            note_tag_change(repo, repo.repository_metadata["Arn"])
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
        note_tag_change(repo, repo.repository_metadata["Arn"])
        return "{}"

    def untag_resource(self):
        repo = repo_by_arn(self, self._get_param("resourceArn"))
        keys = self._get_param("tagKeys")
        if not isinstance(keys, list):
            raise error("TagKeysListRequiredException", "A list of tag keys is required.")
        for key in keys:
            tags_of(repo).pop(key, None)
        note_tag_change(repo, repo.repository_metadata["Arn"])
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


ROLE_INLINE_POLICY_LIMIT = 10240
# GetAccountAuthorizationDetails: response list -> moto's detail kind, in paging order
GAAD_LISTS = (("UserDetailList", "users"), ("GroupDetailList", "groups"),
              ("RoleDetailList", "roles"), ("Policies", "managed_policies"))


def patch_iam():
    from moto.core.responses import ActionResult, EmptyResult
    from moto.core.serialize import url_encode
    from moto.iam.exceptions import ValidationError
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
    # Real GetAccountAuthorizationDetails returns every policy document
    # URL-encoded (RFC 3986), like GetRole/GetRolePolicy: moto sends the trust
    # policy raw and quote()s the others with "/" kept.
    def reencode(value):
        return encode(urllib.parse.unquote(value)) if isinstance(value, str) else value

    gaad = "GetAccountAuthorizationDetailsResponse."
    transformers[gaad + "RoleDetailList.RoleDetail.AssumeRolePolicyDocument"] = encode
    for path in ("RoleDetailList.RoleDetail.RolePolicyList", "UserDetailList.UserDetail.UserPolicyList",
                 "GroupDetailList.GroupDetail.GroupPolicyList"):
        transformers[gaad + path + ".PolicyDetail.PolicyDocument"] = reencode
    transformers[gaad + "Policies.ManagedPolicyDetail.PolicyVersionList.PolicyVersion.Document"] = reencode
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

    def get_account_authorization_details(self):
        # Real IAM pages: at most MaxItems (1..1000, default 100) entities a
        # response, then IsTruncated true and a Marker to resume from (moto
        # returns everything with IsTruncated false and ignores Marker).
        details = self.backend.get_account_authorization_details(self._get_param("Filter", []))
        entities = [(key, item) for key, kind in GAAD_LISTS for item in details[kind]]
        marker = self._get_param("Marker")
        if marker is not None and not str(marker).isdigit():
            raise ValidationError("Invalid Marker.")
        start, limit = int(marker or 0), self._get_int_param("MaxItems") or 100
        page = entities[start : start + limit]
        result = {key: [item for k, item in page if k == key] for key, _ in GAAD_LISTS}
        result["IsTruncated"] = start + limit < len(entities)
        if result["IsTruncated"]:
            result["Marker"] = str(start + limit)
        return ActionResult(result)

    IamResponse.get_account_authorization_details = get_account_authorization_details

    from moto.iam.exceptions import LimitExceededException

    orig_put_role_policy = IamResponse.put_role_policy

    def put_role_policy(self):
        # Real IAM: a role's inline policies total at most 10,240 characters,
        # white space not counted (moto has no limit).
        role = self.backend.get_role(self._get_param("RoleName"))
        name = self._get_param("PolicyName")
        size = lambda doc: sum(not c.isspace() for c in doc)  # noqa: E731
        total = size(self._get_param("PolicyDocument") or "")
        total += sum(size(d) for n, d in role.policies.items() if n != name)
        if total > ROLE_INLINE_POLICY_LIMIT:
            raise LimitExceededException(
                f"Maximum policy size of {ROLE_INLINE_POLICY_LIMIT} bytes exceeded for role {role.name}"
            )
        return orig_put_role_policy(self)

    IamResponse.put_role_policy = put_role_policy
    patch_iam_aws_managed_policies()
    patch_iam_permissions_boundaries()


def untrack(objects):
    """Takes moto model objects out of moto's instance tracker
    (BaseModel.instances_tracked, what /moto-api/data.json lists)."""
    gone = {id(o) for o in objects}
    for cls in {type(o) for o in objects if hasattr(type(o), "instances_tracked")}:
        cls.instances_tracked = [i for i in cls.instances_tracked if id(i) not in gone]


def patch_iam_aws_managed_policies():
    """Every AWS managed policy (arn:aws:iam::aws:policy/...) exists, as in
    AWS, so it can be attached, set as a permissions boundary or read (moto
    loads none unless told to: NoSuchEntity). Each partition's backend gets
    moto's catalogue (1582 policies) on its first IAM request, not when moto
    builds it: moto builds all 6 partitions' backends on any request's
    account lookup, STS included, and loading there cost every emulator
    0.4 s. The policies are AWS's, not test state: kept out of moto's
    instance tracker (/moto-api/data.json would list them all: 4.5 MB, over
    a second a call)."""
    from moto.iam import models as iam_models
    from moto.iam.responses import IamResponse

    lock = threading.Lock()

    @functools.lru_cache(maxsize=1)
    def catalogue():  # name -> policy data, parsed once for every backend
        return json.loads(iam_models.aws_managed_policies_data)

    def load(backend):
        policies = [iam_models.AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
                    for name, data in catalogue().items()]
        untrack(policies)
        backend.aws_managed_policies = policies
        backend.managed_policies = {**{p.arn: p for p in policies}, **backend.managed_policies}

    def backend(self):
        found = iam_models.iam_backends[self.current_account][self.partition]
        with lock:  # once per backend; /moto-api/reset clears the mark with the rest
            if not found.__dict__.get("cbctl_aws_policies"):
                load(found)
                found.cbctl_aws_policies = True
        return found

    IamResponse.backend = property(backend)


def patch_iam_permissions_boundaries():
    """Permissions boundaries as IAM serves them. A boundary reads back as
    PermissionsBoundaryType "Policy" in CreateRole, GetRole and
    GetAccountAuthorizationDetails (moto: the model's enum value
    "PermissionsBoundaryPolicy", which AWS never sends:
    awsdocs/iam-user-guide#82). CreateRole and PutRolePermissionsBoundary
    naming a managed policy that does not exist fail 404 NoSuchEntity "Scope
    ARN: ... does not exist or is not attachable." (moto stored the ARN).
    ListRoles leaves PermissionsBoundary, RoleLastUsed and Tags out in moto
    already, as AWS documents."""
    from moto.iam import models as iam_models
    from moto.iam.exceptions import NotFoundException

    def permissions_boundary(role):
        if not role.permissions_boundary_arn:
            return None
        return {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": role.permissions_boundary_arn}

    iam_models.Role.permissions_boundary = property(permissions_boundary)

    def require_policy(backend, arn):
        # A malformed ARN keeps moto's InvalidParameterValue.
        if arn and backend.policy_arn_regex.match(arn) and arn not in backend.managed_policies:
            raise NotFoundException(f"Scope ARN: {arn} does not exist or is not attachable.")

    Backend = iam_models.IAMBackend
    orig_create, orig_put = Backend.create_role, Backend.put_role_permissions_boundary
    create_signature = inspect.signature(orig_create)

    def create_role(self, *args, **kwargs):
        boundary = create_signature.bind(self, *args, **kwargs).arguments.get("permissions_boundary")
        require_policy(self, boundary)
        return orig_create(self, *args, **kwargs)

    def put_role_permissions_boundary(self, role_name, permissions_boundary):
        self.get_role(role_name)  # an unknown role: NoSuchEntity naming the role
        require_policy(self, permissions_boundary)
        orig_put(self, role_name, permissions_boundary)

    Backend.create_role = create_role
    Backend.put_role_permissions_boundary = put_role_permissions_boundary


def patch_codepipeline():
    from moto.codepipeline import models as cpm
    from moto.codepipeline.responses import CodePipelineResponse
    from moto.core.exceptions import JsonRESTError
    from moto.core.utils import unix_time
    from moto.iam.exceptions import NotFoundException as IAMNotFoundException

    # Real CodePipeline (awsJson 1.1) errors: HTTP 400, {"__type", "message"}.
    def error(kind, message):
        return JsonRESTError(kind, message)

    def not_found(self, name):
        return error(
            "PipelineNotFoundException",
            f"Account '{self.account_id}' does not have a pipeline with name '{name}'",
        )

    def assumable(self, arn):
        # Real AWS: the role must exist in this account and its trust policy
        # must Allow sts:AssumeRole to codepipeline.amazonaws.com; Principal
        # .Service may be a string or a list (moto only accepts a string, and
        # 500s on a statement without Principal.Service). Checked on Create and
        # on Update (moto checks Create only).
        try:
            role = self.iam_backend.get_role_by_arn(arn)
        except IAMNotFoundException:
            return False
        statements = json.loads(role.assume_role_policy_document).get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            principal = statement.get("Principal")
            services = principal.get("Service", []) if isinstance(principal, dict) else []
            services = [services] if isinstance(services, str) else services
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            if (
                statement.get("Effect") == "Allow"
                and (principal == "*" or "codepipeline.amazonaws.com" in services)
                and any(a.lower() in ("sts:assumerole", "sts:*", "*") for a in actions)
            ):
                return True
        return False

    def validate(self, pipeline):
        # Real AWS (Create and Update; moto checks only the stage count, on
        # Create): at least 2 stages, the first holding only source actions,
        # no source action in any later stage.
        stages = pipeline.get("stages") or []
        if len(stages) < 2:
            raise error(
                "InvalidStructureException",
                f"Pipeline has only {len(stages)} stage(s). There should be a minimum of 2 stages in a pipeline",
            )
        for index, stage in enumerate(stages):
            for action in stage.get("actions") or []:
                is_source = action.get("actionTypeId", {}).get("category") == "Source"
                if index == 0 and not is_source:
                    raise error(
                        "InvalidStructureException",
                        f"Stage '{stage['name']}' is the first stage, so it must contain only source actions; "
                        f"action '{action['name']}' is not a source action",
                    )
                if index > 0 and is_source:
                    raise error(
                        "InvalidStructureException",
                        f"Source action '{action['name']}' in stage '{stage['name']}': "
                        "source actions may only be in the first stage",
                    )
        if not assumable(self, pipeline.get("roleArn")):
            raise error(
                "InvalidStructureException",
                f"CodePipeline is not authorized to perform AssumeRole on role {pipeline.get('roleArn')}",
            )

    def declare(pipeline, version):
        # Real AWS returns pipelineType V1 and executionMode SUPERSEDED when
        # the request left them out (moto omits both); the declaration is
        # replaced wholesale on Update, so the defaults apply there too.
        pipeline = copy.deepcopy(pipeline)
        pipeline.setdefault("pipelineType", "V1")
        pipeline.setdefault("executionMode", "SUPERSEDED")
        pipeline["version"] = version
        if pipeline["pipelineType"] == "V2" and not pipeline.get("triggers"):
            pipeline["triggers"] = default_triggers(pipeline)
            if not pipeline["triggers"]:
                del pipeline["triggers"]
        return pipeline

    def default_triggers(pipeline):
        # Real AWS: a V2 pipeline declared without triggers gets, for each
        # CodeStarSourceConnection source action that detects changes
        # (DetectChanges absent or true), a trigger on a push to the action's
        # branch; it is stored and read back, and put back on every Update
        # that again declares none (hashicorp/terraform-provider-aws#38409,
        # #39347). A declaration with triggers is kept as sent.
        triggers = []
        for stage in pipeline.get("stages") or []:
            for action in stage.get("actions") or []:
                config = action.get("configuration") or {}
                if (
                    action.get("actionTypeId", {}).get("provider") == "CodeStarSourceConnection"
                    and str(config.get("DetectChanges", "true")).lower() != "false"
                ):
                    push = {"branches": {"includes": [config.get("BranchName", "main")]}}
                    triggers.append({
                        "providerType": "CodeStarSourceConnection",
                        "gitConfiguration": {"sourceActionName": action["name"], "push": [push]},
                    })
        return triggers

    # Action configuration properties CodePipeline never reads back: its
    # action types mark them secret, and GetPipeline answers "****" for them
    # (GitHub version 1's OAuthToken; hashicorp/terraform-provider-aws reads
    # it back from its own state for that reason). (owner, provider) -> keys.
    SECRET_CONFIGURATION = {("ThirdParty", "GitHub"): ("OAuthToken",)}

    def masked(pipeline):
        pipeline = copy.deepcopy(pipeline)
        for stage in pipeline.get("stages") or []:
            for action in stage.get("actions") or []:
                kind = action.get("actionTypeId", {})
                config = action.get("configuration") or {}
                for key in SECRET_CONFIGURATION.get((kind.get("owner"), kind.get("provider")), ()):
                    if key in config:
                        config[key] = "****"
        return pipeline

    def versions(codepipeline):
        return codepipeline.__dict__.setdefault("cbctl_versions", {})

    def create_pipeline(self, pipeline, tags):
        # Real AWS: an existing name is PipelineNameInUseException (moto:
        # InvalidStructureException); tags are validated before anything is
        # created (moto keeps the pipeline when its tags are rejected).
        name = pipeline["name"]
        if name in self.pipelines:
            raise error(
                "PipelineNameInUseException",
                f"A pipeline with the name '{name}' already exists in account '{self.account_id}'",
            )
        validate(self, pipeline)
        tags = tags or []
        created = cpm.CodePipeline(self.account_id, self.region_name, declare(pipeline, 1))
        created._updated = created._created  # one instant in AWS (moto: two utcnow() calls)
        created.validate_tags(tags)
        created.tags.update({tag["key"]: tag["value"] for tag in tags})
        if tags:
            note_tag_change(created, created._arn)
        self.pipelines[name] = created
        versions(created)[1] = copy.deepcopy(created.pipeline)
        return created.pipeline, sorted(tags, key=lambda t: t["key"])

    def update_pipeline(self, pipeline):
        # Real AWS: unknown name -> PipelineNotFoundException (moto:
        # ResourceNotFoundException); version is incremented.
        codepipeline = self.pipelines.get(pipeline.get("name"))
        if codepipeline is None:
            raise not_found(self, pipeline.get("name"))
        validate(self, pipeline)
        version = codepipeline.pipeline["version"] + 1
        codepipeline.pipeline = codepipeline.add_default_values(declare(pipeline, version))
        codepipeline._updated = cpm.utcnow()
        versions(codepipeline)[version] = copy.deepcopy(codepipeline.pipeline)
        return codepipeline.pipeline

    def pipeline_by_arn(self, arn):
        # Real AWS resolves the whole ARN (moto: only the part after the last
        # ":", so another account's/region's ARN would match).
        if not isinstance(arn, str) or not re.fullmatch(r"arn:aws[\w-]*:codepipeline:[\w-]+:\d{12}:[A-Za-z0-9.@_-]+", arn):
            raise error("InvalidArnException", f"The ARN is not valid: {arn}")
        for codepipeline in self.pipelines.values():
            if codepipeline._arn == arn:
                return codepipeline
        raise error("ResourceNotFoundException", f"The account with id '{self.account_id}' does not include a pipeline with the name '{arn.rsplit(':', 1)[-1]}'")

    def list_tags_for_resource(self, arn):
        codepipeline = pipeline_by_arn(self, arn)
        return sorted(({"key": k, "value": v} for k, v in codepipeline.tags.items()), key=lambda t: t["key"])

    def tag_resource(self, arn, tags):
        codepipeline = pipeline_by_arn(self, arn)
        codepipeline.validate_tags([t for t in tags if t["key"] not in codepipeline.tags])
        codepipeline.tags.update({t["key"]: t["value"] for t in tags})
        note_tag_change(codepipeline, arn)

    def untag_resource(self, arn, keys):
        codepipeline = pipeline_by_arn(self, arn)
        for key in keys:
            codepipeline.tags.pop(key, None)
        note_tag_change(codepipeline, arn)

    for fn in (create_pipeline, update_pipeline, list_tags_for_resource, tag_resource, untag_resource):
        setattr(cpm.CodePipelineBackend, fn.__name__, fn)

    # Real awsJson timestamps are epoch seconds (JSON numbers); moto sends
    # ISO-8601 strings (botocore and the Rust SDK's default, lenient parsing
    # accept both; a strict parser would reject the strings).
    cpm.CodePipeline.metadata = property(lambda self: {
        "pipelineArn": self._arn,
        "created": unix_time(self._created),
        "updated": unix_time(self._updated),
    })

    def get_pipeline(self):
        # Real AWS: `version` selects an earlier version of the declaration
        # (unknown one -> PipelineVersionNotFoundException); moto ignores it.
        name, version = self._get_param("name"), self._get_param("version")
        codepipeline = self.codepipeline_backend.pipelines.get(name)
        if codepipeline is None:
            raise not_found(self.codepipeline_backend, name)
        pipeline = codepipeline.pipeline
        if version is not None:
            pipeline = versions(codepipeline).get(version)
            if pipeline is None:
                raise error("PipelineVersionNotFoundException", f"Pipeline '{name}' does not have a version {version}")
        return json.dumps({"pipeline": masked(pipeline), "metadata": codepipeline.metadata})

    def list_pipelines(self):
        # Real AWS summaries carry pipelineType and executionMode too, and
        # pages with maxResults (1..1000) / nextToken. AWS documents no
        # default page size; the emulator uses 100, the documented default of
        # CodePipeline's other List operations (ListPipelineExecutions, ...),
        # so a client wanting 1000 a page must ask for it.
        limit = self._get_param("maxResults") or 100
        token = self._get_param("nextToken")
        if token is not None and not str(token).isdigit():
            raise error("InvalidNextTokenException", "The next token is not valid.")
        pipelines = self.codepipeline_backend.pipelines
        summaries = [
            {
                "name": name,
                "version": p.pipeline["version"],
                "pipelineType": p.pipeline["pipelineType"],
                "executionMode": p.pipeline["executionMode"],
                "created": p.metadata["created"],
                "updated": p.metadata["updated"],
            }
            for name, p in sorted(pipelines.items())
        ]
        start = int(token or 0)
        result = {"pipelines": summaries[start : start + limit]}
        if start + limit < len(summaries):
            result["nextToken"] = str(start + limit)
        return json.dumps(result)

    CodePipelineResponse.get_pipeline = get_pipeline
    CodePipelineResponse.list_pipelines = list_pipelines
    # DeletePipeline of an unknown name already succeeds in moto, as in AWS.


def _cbor_encode(value):
    """Generic CBOR encoder for rpcv2Cbor responses (maps, lists, strings,
    numbers, booleans, null); moto has none."""
    out = bytearray()

    def head(major, n):
        if n < 24:
            out.append(major << 5 | n)
        else:
            size = next(s for s in (1, 2, 4, 8) if n < 1 << (8 * s))
            out.append(major << 5 | {1: 24, 2: 25, 4: 26, 8: 27}[size])
            out.extend(n.to_bytes(size, "big"))

    def item(v):
        if v is None:
            out.append(0xF6)
        elif isinstance(v, bool):
            out.append(0xF5 if v else 0xF4)
        elif isinstance(v, int):
            head(0, v) if v >= 0 else head(1, -1 - v)
        elif isinstance(v, float):
            out.append(0xFB)
            out.extend(struct.pack(">d", v))
        elif isinstance(v, str):
            data = v.encode()
            head(3, len(data))
            out.extend(data)
        elif isinstance(v, (bytes, bytearray)):
            head(2, len(v))
            out.extend(v)
        elif isinstance(v, (list, tuple)):
            head(4, len(v))
            for x in v:
                item(x)
        elif isinstance(v, dict):
            head(5, len(v))
            for k, x in v.items():
                item(k)
                item(x)
        else:
            raise TypeError(f"cannot CBOR-encode {type(v).__name__}")

    item(value)
    return bytes(out)


def _cbor_decode(data):
    from botocore.parsers import RpcV2CBORParser

    if not data:
        return {}
    parser = RpcV2CBORParser()
    return parser.parse_data_item(parser.get_peekable_stream_from_bytes(data))


# CodeConnections and its pre-2024 name share one store. Each protocol the
# service speaks: awsJson 1.0 (X-Amz-Target "<prefix>.<Operation>", boto3's
# choice) and Smithy RPC v2 CBOR (POST /service/<shape>/operation/<Operation>,
# what aws-sdk-codeconnections for Rust sends).
CONNECTION_SERVICES = {
    # signing name: (ARN service, service shape name, Smithy namespace, provider types)
    "codeconnections": ("codeconnections", "CodeConnections_20231201", "com.amazonaws.codeconnections",
                        ("Bitbucket", "GitHub", "GitHubEnterpriseServer", "GitLab", "GitLabSelfManaged", "AzureDevOps")),
    "codestar-connections": ("codestar-connections", "CodeStar_connections_20191201", "com.amazonaws.codestar.connections",
                             ("Bitbucket", "GitHub", "GitHubEnterpriseServer", "GitLab", "GitLabSelfManaged")),
}
# TEST-ONLY (no such thing in AWS): a connection tagged emulator:status=S
# (at CreateConnection or later with TagResource) gets ConnectionStatus S
# (PENDING, AVAILABLE or ERROR) -- the stand-in for the console handshake that
# turns a real connection from PENDING to AVAILABLE. The tag is kept like any other.
STATUS_TAG = "emulator:status"


def patch_codeconnections():
    # moto 5.2.5 has no CodeConnections/CodeStar Connections at all: this is
    # an in-memory implementation of CreateConnection, GetConnection,
    # ListConnections, DeleteConnection, TagResource, UntagResource and
    # ListTagsForResource, registered as moto backends "codeconnections" and
    # "codestar-connections" (one shared BackendDict, so /moto-api/reset
    # clears it), and routed like any other service by the SigV4 credential
    # scope. Real AWS behaviours reproduced: ARN
    # arn:aws:<service>:REGION:ACCOUNT:connection/UUID (service = the API it
    # was created through), new connections are PENDING, a connection is
    # reachable through either API, unknown ARN -> ResourceNotFoundException.
    import types

    import botocore.session
    import moto.backend_index
    from moto.core.base_backend import BackendDict, BaseBackend
    from moto.core.responses import BaseResponse

    class Failure(Exception):
        def __init__(self, code, message, status=400):
            super().__init__(message)
            self.code, self.message, self.status = code, message, status

    def validation(message):
        return Failure("ValidationException", message)

    class Backend(BaseBackend):
        def __init__(self, region_name, account_id):
            super().__init__(region_name, account_id)
            self.connections = {}  # ARN -> record, in creation order
            self.lock = threading.Lock()

        def find(self, arn):
            if not isinstance(arn, str) or not arn:
                raise validation("1 validation error detected: Value null at 'connectionArn' failed to satisfy constraint: Member must not be null")
            m = re.fullmatch(r"arn:aws[\w-]*:(codeconnections|codestar-connections):([\w-]+):(\d{12}):connection/([\w-]+)", arn)
            if not m:
                raise validation(f"1 validation error detected: Value '{arn}' at 'connectionArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws(-[\\w]+)*:.+:.+:[0-9]{{12}}:.+")
            if (m[2], m[3]) == (self.region_name, self.account_id):
                for record in self.connections.values():  # either service prefix
                    if record["id"] == m[4]:
                        return record
            raise Failure("ResourceNotFoundException", f"Connection {arn} not found")

    class Response(BaseResponse):
        def __init__(self):
            super().__init__(service_name="codeconnections")

        # -- operations: request dict -> result dict --
        def create_connection(self, backend, service, request):
            arn_service, _, _, providers = CONNECTION_SERVICES[service]
            name = request.get("ConnectionName")
            if not isinstance(name, str) or not 1 <= len(name) <= 32:
                raise validation(f"1 validation error detected: Value '{name}' at 'connectionName' failed to satisfy constraint: Member must have length between 1 and 32")
            provider = request.get("ProviderType")
            if request.get("HostArn"):  # hosts (self-managed providers) are not emulated
                raise Failure("ResourceNotFoundException", f"Host {request['HostArn']} not found")
            if provider not in providers:
                raise validation(f"1 validation error detected: Value '{provider}' at 'providerType' failed to satisfy constraint: Member must satisfy enum value set: [{', '.join(providers)}]")
            tags = self.tags_of(request.get("Tags") or [])
            arn = f"arn:{self.partition}:{arn_service}:{self.region}:{self.current_account}:connection/{uuid.uuid4()}"
            record = {
                "id": arn.rsplit("/", 1)[1],
                "connection": {
                    "ConnectionName": name,
                    "ConnectionArn": arn,
                    "ProviderType": provider,
                    "OwnerAccountId": self.current_account,
                    "ConnectionStatus": "PENDING",
                },
                "tags": {},
            }
            self.apply_tags(record, tags)
            with backend.lock:
                backend.connections[arn] = record
            result = {"ConnectionArn": arn}
            if request.get("Tags"):
                result["Tags"] = request["Tags"]
            return result

        def get_connection(self, backend, service, request):
            return {"Connection": dict(backend.find(request.get("ConnectionArn"))["connection"])}

        def list_connections(self, backend, service, request):
            # Real AWS: ProviderTypeFilter / HostArnFilter, MaxResults (0..5000)
            # pages with NextToken.
            wanted, host = request.get("ProviderTypeFilter"), request.get("HostArnFilter")
            limit = request.get("MaxResults") or 5000
            token = request.get("NextToken")
            if token is not None and not str(token).isdigit():
                raise validation("Invalid NextToken")
            with backend.lock:
                found = [
                    dict(r["connection"]) for r in backend.connections.values()
                    if (wanted is None or r["connection"]["ProviderType"] == wanted)
                    and (host is None or r["connection"].get("HostArn") == host)
                ]
            start = int(token or 0)
            result = {"Connections": found[start : start + limit]}
            if start + limit < len(found):
                result["NextToken"] = str(start + limit)
            return result

        def delete_connection(self, backend, service, request):
            record = backend.find(request.get("ConnectionArn"))
            with backend.lock:
                backend.connections.pop(record["connection"]["ConnectionArn"], None)
            return {}

        def tag_resource(self, backend, service, request):
            record = backend.find(request.get("ResourceArn"))
            tags = self.tags_of(request.get("Tags"))
            if len({**record["tags"], **tags}) > 200:
                raise Failure("LimitExceededException", "Tag limit exceeded: a resource can have at most 200 tags")
            self.apply_tags(record, tags)
            return {}

        def untag_resource(self, backend, service, request):
            record = backend.find(request.get("ResourceArn"))
            keys = request.get("TagKeys")
            if not isinstance(keys, list):
                raise validation("1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null")
            for key in keys:
                record["tags"].pop(key, None)
            return {}

        def list_tags_for_resource(self, backend, service, request):
            record = backend.find(request.get("ResourceArn"))
            return {"Tags": [{"Key": k, "Value": v} for k, v in record["tags"].items()]}

        @staticmethod
        def tags_of(tags):
            if not isinstance(tags, list) or not all(
                isinstance(t, dict) and isinstance(t.get("Key"), str) and 1 <= len(t["Key"]) <= 128
                and isinstance(t.get("Value", ""), str) and len(t.get("Value", "")) <= 256
                for t in tags
            ):
                raise validation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must be a list of tags with a Key of 1-128 and a Value of 0-256 characters")
            status = [t.get("Value", "") for t in tags if t["Key"] == STATUS_TAG]
            if status and status[-1] not in ("PENDING", "AVAILABLE", "ERROR"):
                raise validation(f"{STATUS_TAG} (emulator test hook) must be PENDING, AVAILABLE or ERROR, not {status[-1]!r}")
            return {t["Key"]: t.get("Value", "") for t in tags}

        @staticmethod
        def apply_tags(record, tags):
            record["tags"].update(tags)
            if STATUS_TAG in tags:
                record["connection"]["ConnectionStatus"] = tags[STATUS_TAG]

        OPERATIONS = {
            "CreateConnection": create_connection,
            "GetConnection": get_connection,
            "ListConnections": list_connections,
            "DeleteConnection": delete_connection,
            "TagResource": tag_resource,
            "UntagResource": untag_resource,
            "ListTagsForResource": list_tags_for_resource,
        }

        # -- the wire --
        def handle(self, request, full_url, headers):
            self.setup_class(request, full_url, headers, use_raw_body=True)
            rpc = re.fullmatch(r"/service/([^/]+)/operation/([^/]+)", self.path)
            if rpc:  # the Rust SDK names the bare shape, botocore the qualified one
                shape, operation = rpc[1], rpc[2]
            else:
                shape, _, operation = (self.headers.get("X-Amz-Target") or "").rpartition(".")
            shape = shape.rpartition(".")[2]
            service = next((s for s, v in CONNECTION_SERVICES.items() if v[1] == shape), None)
            namespace = CONNECTION_SERVICES[service or "codeconnections"][2]

            def reply(status, body, code=None):
                if rpc:  # rpcv2Cbor: errors name the full shape id
                    if code:
                        body = {"__type": f"{namespace}#{code}", "message": body["message"]}
                    cbor_headers = {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
                    return status, cbor_headers, _cbor_encode(body)
                if code:
                    body = {"__type": code, "message": body["message"]}
                return status, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(body)

            handler = self.OPERATIONS.get(operation)
            if service is None or handler is None:
                known = service and operation in botocore.session.get_session().get_service_model(service).operation_names
                if known:  # a real operation this emulator does not implement
                    return reply(501, {"message": f"launcher.py does not emulate {operation}"}, "NotImplemented")
                return reply(400, {"message": f"Unknown operation {shape}.{operation}"}, "UnknownOperationException")
            try:
                body = _cbor_decode(self.raw_body) if rpc else json.loads(self.raw_body or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("not an object")
            except Exception:
                return reply(400, {"message": "Could not parse the request body"}, "SerializationException")
            backend = backends[self.current_account][self.region]
            try:
                return reply(200, handler(self, backend, service, body))
            except Failure as e:
                return reply(e.status, {"message": e.message}, e.code)

    def connections_dispatch(request, full_url, headers):
        return Response().handle(request, full_url, headers)

    Backend._url_module = types.SimpleNamespace(
        url_bases=[r"https?://codeconnections\.(.+)\.amazonaws\.com", r"https?://codestar-connections\.(.+)\.amazonaws\.com"],
        url_paths={"{0}/$": connections_dispatch, "{0}/service/(?P<shape>[^/]+)/operation/(?P<operation>[^/]+)$": connections_dispatch},
    )
    session = botocore.session.get_session()
    regions = sorted(set(session.get_available_regions("codestar-connections")) | set(session.get_available_regions("codepipeline")))
    backends = BackendDict(Backend, "codestar-connections", additional_regions=regions)
    # moto resolves backend "x-y" by importing moto.xy and reading xy_backends.
    for name in CONNECTION_SERVICES:
        module = types.ModuleType(f"moto.{name.replace('-', '')}")
        setattr(module, f"{name.replace('-', '')}_backends", backends)
        sys.modules[module.__name__] = module
        moto.backend_index.backend_url_patterns.append(
            (name, re.compile(rf"https?://{re.escape(name)}\.(.+)\.amazonaws\.com"))
        )


def patch_s3():
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult
    from moto.s3 import models as s3m

    # Request context of every S3 request as real AWS sees it: the SDKs talk
    # HTTPS to AWS, so aws:SecureTransport is "true" (the emulator is plain
    # HTTP only because it is local).
    context = {"aws:securetransport": "true"}

    def condition_holds(conditions):
        # IAM condition semantics: every operator block must hold; a key absent
        # from the request context fails the test, except for negated
        # operators (true), ...IfExists (true) and Null.
        for operator, tests in conditions.items():
            qualifier, _, op = operator.rpartition(":")
            if_exists = op.endswith("IfExists")
            op = op[: -len("IfExists")] if if_exists else op
            for key, expected in tests.items():
                expected = [str(v).lower() if isinstance(v, bool) else str(v) for v in (expected if isinstance(expected, list) else [expected])]
                actual = context.get(key.lower())
                negated = "Not" in op
                if op == "Null":
                    holds = (actual is None) == (expected[0].lower() == "true")
                elif actual is None:
                    holds = negated or if_exists or qualifier == "ForAllValues"
                elif op == "Bool":
                    holds = actual.lower() in [e.lower() for e in expected]
                elif op.startswith("String"):
                    fold = str.lower if "IgnoreCase" in op else (lambda s: s)
                    if "Like" in op:
                        match = any(re.fullmatch(re.escape(e).replace(r"\*", ".*").replace(r"\?", "."), actual) for e in expected)
                    else:
                        match = fold(actual) in [fold(e) for e in expected]
                    holds = match != negated
                else:  # no context key of ours is numeric, a date, an IP or an ARN
                    holds = negated
                if not holds:
                    return False
        return True

    def get_permission(self, action, resource):
        # Real AWS: a statement whose Condition does not hold does not apply.
        # moto ignores every operator but StringEquals (so a Deny on
        # aws:SecureTransport=false denied every object request) and treats an
        # unmet condition as an explicit Deny even on Allow statements.
        if self.policy is None:
            return PermissionResult.NEUTRAL
        statements = json.loads(self.policy).get("Statement", [])
        result = PermissionResult.NEUTRAL
        for statement in statements if isinstance(statements, list) else [statements]:
            if statement.get("Condition") and not condition_holds(statement["Condition"]):
                continue
            unconditional = {k: v for k, v in statement.items() if k != "Condition"}
            permission = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
            if permission == PermissionResult.DENIED:
                return permission
            if permission == PermissionResult.PERMITTED:
                result = permission
        return result

    s3m.FakeBucket.get_permission = get_permission

    def default_encryption():
        return {"Rule": {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": "false"}}

    orig_create = s3m.S3Backend.create_bucket

    def create_bucket(self, bucket_name, region_name, *args, **kwargs):
        # Real AWS (since 2023): every new bucket has SSE-S3 default
        # encryption and all four Block Public Access settings on, so
        # GetBucketEncryption / GetPublicAccessBlock answer them straight
        # away (moto: ServerSideEncryptionConfigurationNotFoundError /
        # NoSuchPublicAccessBlockConfiguration).
        new = bucket_name not in self.buckets
        bucket = orig_create(self, bucket_name, region_name, *args, **kwargs)
        if new:
            bucket.encryption = default_encryption()
            bucket.public_access_block = s3m.PublicAccessBlock(True, True, True, True)
        return bucket

    def delete_bucket_encryption(self, bucket_name):
        # Real AWS: deleting the configuration reverts to SSE-S3 (moto: none).
        self.get_bucket(bucket_name).encryption = default_encryption()

    s3m.S3Backend.create_bucket = create_bucket
    s3m.S3Backend.delete_bucket_encryption = delete_bucket_encryption

    from moto.s3 import responses as s3r

    def get_bucket_versioning(self):
        # Real S3 answers GetBucketVersioning with a <VersioningConfiguration>
        # root (and no <Status> on a never-versioned bucket); moto names the
        # root <GetBucketVersioningResponse>, which strict clients such as the
        # AWS SDK for Rust reject as an invalid root element.
        status = self.backend.get_bucket_versioning(self.bucket_name)
        inner = f"<Status>{status}</Status>" if status else ""
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{inner}</VersioningConfiguration>')
        return 200, {"Content-Type": "application/xml"}, body

    s3r.S3Response.get_bucket_versioning = get_bucket_versioning


# ECR: items a DescribeRepositories/ListImages/DescribeImages page holds
# without maxResults (the model allows 1..1000), and the AWS managed key
# that KMS encryption uses when no kmsKey is given.
ECR_PAGE_SIZE = 100
ECR_MANAGED_KEY_ALIAS = "alias/aws/ecr"


def patch_ecr():
    """ECR where moto 5.2.5 differs from AWS: KMS keys, PutImage and paging
    (below). Repository tags live in moto's TaggingService (ECRBackend.tagger),
    so record_tagging_service_changes records their changes and cbctl_tagged
    reports repositories to GetResources. Already as in AWS in moto:
    CreateRepository's settings and their DescribeRepositories read-back,
    RepositoryNotFoundException for any missing name in repositoryNames,
    PutImageScanningConfiguration, PutImageTagMutability, lifecycle policies
    (text stored as sent; LifecyclePolicyNotFoundException), Tag/Untag/
    ListTagsForResource, ListImages, DescribeImages, and DeleteRepository
    (RepositoryNotEmptyException unless force)."""
    patch_ecr_encryption()
    patch_ecr_images()
    patch_ecr_paging()


def ecr_kms_key_arn(account, region, key):
    """The ARN of KMS key `key` (key ID, key ARN, alias name or alias ARN) in
    this account and Region, or None when KMS has no such key there."""
    from moto.kms.models import kms_backends

    if key.startswith("arn:"):
        fields = key.split(":", 5)
        if len(fields) < 6 or (fields[3], fields[4]) != (region, account):
            return None
    backend = kms_backends[account][region]
    try:
        return backend.keys[backend.any_id_to_key_id(key)].arn
    except (KeyError, AttributeError, TypeError):  # unknown key ID or alias
        return None


def ecr_managed_key_arn(account, region):
    """The ARN of the AWS managed key aws/ecr, created in KMS on first use as
    AWS does."""
    from moto.kms.models import kms_backends

    backend = kms_backends[account][region]
    key_id = backend.get_key_id_from_alias(ECR_MANAGED_KEY_ALIAS)
    if key_id is None:
        description = "Default key that protects my ECR data when no other key is defined"
        key_id = backend.create_key(None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", description, None).id
        backend.create_alias(key_id, ECR_MANAGED_KEY_ALIAS)
    return backend.keys[key_id].arn


def patch_ecr_encryption():
    """CreateRepository with encryptionType KMS or KMS_DSSE as AWS: kmsKey may
    name the key by ID, ARN, alias name or alias ARN; the key must exist in
    the repository's account and Region (else 400 KmsException) and reads
    back as its key ARN; without kmsKey the AWS managed key aws/ecr is used.
    moto stored kmsKey as sent (an alias stayed an alias), accepted keys that
    do not exist, and made up a different random key ARN for each repository
    created without kmsKey."""
    from moto.core.exceptions import ServiceException
    from moto.ecr.models import Repository

    class KmsException(ServiceException):
        code = "KmsException"

    def determine_encryption_config(self, config):
        if not config:
            return {"encryptionType": "AES256"}
        config = dict(config)
        if config.get("encryptionType") in ("KMS", "KMS_DSSE"):
            key = config.get("kmsKey")
            arn = ecr_kms_key_arn(self.account_id, self.region_name, key) if key else \
                ecr_managed_key_arn(self.account_id, self.region_name)
            if arn is None:
                raise KmsException(f"KMS key {key} does not exist in account {self.account_id} in {self.region_name}; "
                                   "the key must exist in the repository's Region")
            config["kmsKey"] = arn
        return config

    Repository._determine_encryption_config = determine_encryption_config


def patch_ecr_images():
    """PutImage as AWS: into an unknown repository, 400
    RepositoryNotFoundException (moto raised a bare Exception: a 500); an
    image's digest is the sha256 of its manifest (moto hashed the layer
    digests, or took a random number of 0..100 for a manifest without
    layers, so two images could share a digest)."""
    from moto.ecr.exceptions import RepositoryNotFoundException
    from moto.ecr.models import ECRBackend, Image

    orig_put_image = ECRBackend.put_image

    def put_image(self, repository_name, *args, **kwargs):
        if repository_name not in self.repositories:
            raise RepositoryNotFoundException(repository_name, self.account_id)
        return orig_put_image(self, repository_name, *args, **kwargs)

    def create_digest(self):
        self._image_digest = "sha256:" + hashlib.sha256(self.image_manifest.encode()).hexdigest()

    ECRBackend.put_image = put_image
    Image._create_digest = create_digest


def patch_ecr_paging():
    """DescribeRepositories, ListImages and DescribeImages page as AWS does:
    up to maxResults (default 100) items, then a nextToken; maxResults cannot
    be combined with repositoryNames / imageIds (400
    InvalidParameterException). moto answered everything in one page."""
    from moto.core.responses import ActionResult
    from moto.ecr.exceptions import InvalidParameterException
    from moto.ecr.responses import ECRResponse

    def paged(orig, key, exclusive=None):
        def handler(self):
            limit, token = self._get_param("maxResults"), self._get_param("nextToken")
            if limit is not None and exclusive and self._get_param(exclusive):
                raise InvalidParameterException(
                    f"Invalid parameter at 'maxResults' failed to satisfy constraint: "
                    f"'maxResults cannot be used together with {exclusive}'")
            if token is not None and not str(token).isdigit():
                raise InvalidParameterException("Invalid parameter at 'nextToken' failed to satisfy constraint: "
                                                "'Invalid pagination token'")
            result = dict(orig(self).result)
            items, start, limit = list(result[key]), int(token or 0), limit or ECR_PAGE_SIZE
            result[key] = items[start : start + limit]
            if start + limit < len(items):
                result["nextToken"] = str(start + limit)
            return ActionResult(result)

        return handler

    ECRResponse.describe_repositories = paged(ECRResponse.describe_repositories, "repositories", "repositoryNames")
    ECRResponse.list_images = paged(ECRResponse.list_images, "imageIds")
    ECRResponse.describe_images = paged(ECRResponse.describe_images, "imageDetails", "imageIds")


def patch_ssm():
    from moto.core.responses import ActionResult
    from moto.ssm.exceptions import SSMException, ValidationException
    from moto.ssm.responses import SimpleSystemManagerResponse

    orig_put = SimpleSystemManagerResponse.put_parameter

    def put_parameter(self):
        # Real SSM: a standard-tier value holds at most 4 KB (moto: no limit).
        tier = self._get_param("Tier") or "Standard"
        if tier == "Standard" and len((self._get_param("Value") or "").encode()) > 4096:
            raise ValidationException(
                "Standard tier parameters support a maximum parameter value of 4096 characters. "
                "To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier."
            )
        return orig_put(self)

    SimpleSystemManagerResponse.put_parameter = put_parameter

    def describe_parameters(self):
        # Real SSM returns up to MaxResults (1..50; default 10) parameters a
        # page (fewer only at its own discretion); moto ignores MaxResults
        # and always pages by 10, and sends a NextToken after a full last page.
        limit = self._get_int_param("MaxResults") or 10
        token = str(self._get_param("NextToken") or "0").strip()
        if not token.isdigit():
            raise SSMException("InvalidNextToken", "The specified token isn't valid.")
        found = self.ssm_backend.describe_parameters(self._get_param("Filters"), self._get_param("ParameterFilters"))
        start = int(token)
        result = {"Parameters": [p.describe_response_object(False) for p in found[start : start + limit]]}
        if start + limit < len(found):
            result["NextToken"] = str(start + limit)
        return ActionResult(result)

    SimpleSystemManagerResponse.describe_parameters = describe_parameters
    patch_ssm_tag_changes()


def patch_ssm_tag_changes():
    """Records parameters' tag changes for patch_tagging (TAG_CHANGES)."""
    from moto.ssm.models import SimpleSystemManagerBackend as Backend
    from moto.ssm.utils import parameter_arn

    def arn(self, name):  # name or ARN, as the tagging operations take it
        parameter = self.get_parameter(name)
        return parameter_arn(self.account_id, self.region_name, parameter.name if parameter else name)

    orig_add, orig_remove = Backend.add_tags_to_resource, Backend.remove_tags_from_resource
    orig_delete, orig_delete_many = Backend.delete_parameter, Backend.delete_parameters

    def add_tags_to_resource(self, resource_type, resource_id, tags):
        orig_add(self, resource_type, resource_id, tags)
        if resource_type == "Parameter" and tags:
            note_tag_change(self, arn(self, resource_id))

    def remove_tags_from_resource(self, resource_type, resource_id, keys):
        orig_remove(self, resource_type, resource_id, keys)
        if resource_type == "Parameter":
            note_tag_change(self, arn(self, resource_id))

    def delete_parameter(self, name):
        orig_delete(self, name)
        tag_changes(self).pop(parameter_arn(self.account_id, self.region_name, name), None)

    def delete_parameters(self, names):
        deleted = orig_delete_many(self, names)
        for name in deleted:
            tag_changes(self).pop(parameter_arn(self.account_id, self.region_name, name), None)
        return deleted

    for fn in (add_tags_to_resource, remove_tags_from_resource, delete_parameter, delete_parameters):
        setattr(Backend, fn.__name__, fn)


def patch_events():
    from moto.events import models as evm
    from moto.events.responses import EventsHandler
    from moto.events.utils import PAGINATION_MODEL
    from moto.utilities.paginator import paginate

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_rules(self, prefix=None, event_bus_arn=None):
        # Real AWS matches NamePrefix literally (moto reads it as a regular
        # expression, so "a.b" also matched "aXb").
        bus = self._get_event_bus(self._normalize_event_bus_arn(event_bus_arn))
        return [rule for name, rule in bus.rules.items() if name.startswith(prefix or "")]

    orig_list_rules = EventsHandler.list_rules

    def list_rules_response(self):
        # Real ListRules items are Rule shapes: Name, Arn, EventPattern,
        # State, Description, ScheduleExpression, RoleArn, ManagedBy,
        # EventBusName; moto adds DescribeRule's CreatedBy.
        body, headers = orig_list_rules(self)
        result = json.loads(body)
        for rule in result["Rules"]:
            rule.pop("CreatedBy", None)
        if result.get("NextToken") is None:  # AWS omits it on the last page (moto: null)
            result.pop("NextToken", None)
        return json.dumps(result), headers

    evm.EventsBackend.list_rules = list_rules
    EventsHandler.list_rules = list_rules_response


# Resource Groups Tagging API. AWS's resource type strings ("service:type",
# as ResourceTypeFilters take them) where moto's differ.
TAGGING_TYPES = {"logs:loggroup": "logs:log-group"}
# GetResources members that AWS refuses together with ResourceARNList
TAGGING_ARN_LIST_EXCLUSIVE = ("TagFilters", "ResourceTypeFilters", "ResourcesPerPage", "TagsPerPage", "PaginationToken")
TaggedArn = collections.namedtuple("TaggedArn", "arn tags type changed")  # changed: TAG_CHANGES time or None


def patch_tagging(lag):
    """GetResources as AWS serves it, over every resource cbctl tags (moto
    knows no CodeBuild project, CodePipeline pipeline, CodeCommit repository,
    ECR repository or EventBridge rule there): a ResourceARNList (1..100) is
    answered in one response with each listed resource that is tagged or was
    tagged before (unknown or never-tagged ARNs are left out, no error), and refused
    (InvalidParameterException) together with TagFilters, ResourceTypeFilters,
    ResourcesPerPage, TagsPerPage or PaginationToken; moto paged it (50
    resources / 100 tags) and never returned a resource whose tags were all
    removed. AWS's tag index lags behind tag changes: a resource whose tags
    changed less than `lag` seconds ago (CBCTL_EMU_TAGGING_LAG_SECONDS) is
    left out of every answer."""
    from moto.core.resource_tagging import iter_taggable_backends, make_tag_matcher, match_resource_type
    from moto.resourcegroupstaggingapi.exceptions import ResourceGroupsTaggingAPIError as Error
    from moto.resourcegroupstaggingapi.responses import ResourceGroupsTaggingAPIResponse as Response

    record_tagging_service_changes()

    def visible(item, now):
        if item.changed is None:  # tagged by a path that keeps no record
            return bool(item.tags)
        return now - item.changed >= lag

    def reply(items, token):
        mappings = [{"ResourceARN": i.arn, "Tags": [{"Key": k, "Value": v} for k, v in i.tags.items()]} for i in items]
        return json.dumps({"PaginationToken": token, "ResourceTagMappingList": mappings})

    def by_arn(request, found):
        clash = [key for key in TAGGING_ARN_LIST_EXCLUSIVE if key in request]
        if clash:
            raise Error("InvalidParameterException", f"ResourceARNList cannot be combined with {', '.join(clash)}")
        wanted = set(request["ResourceARNList"])
        return reply([item for item in found if item.arn in wanted], "")

    def listing(request, found):
        # moto's page limits (50 resources, 100 tags), with AWS's counting:
        # a page may hold exactly TagsPerPage tags, an untagged resource
        # counts as one (moto: one less, and zero).
        per_page, tags_per_page = request.get("ResourcesPerPage", 50), request.get("TagsPerPage", 100)
        if not 1 <= per_page <= 100:
            raise Error("InvalidParameterException", "ResourcesPerPage must be between 1 and 100")
        if not 100 <= tags_per_page <= 500:
            raise Error("InvalidParameterException", "TagsPerPage must be between 100 and 500")
        token = request.get("PaginationToken") or "0"
        if not str(token).isdigit():
            raise Error("PaginationTokenExpiredException", "Token does not exist")
        matches = make_tag_matcher(request.get("TagFilters"))
        types = request.get("ResourceTypeFilters")
        found = [i for i in found if match_resource_type(i.type, types) and matches(i.tags)]
        start, page, weight = int(token), [], 0
        for item in found[start:]:
            if len(page) == per_page or weight + max(len(item.tags), 1) > tags_per_page:
                break
            page.append(item)
            weight += max(len(item.tags), 1)
        end = start + len(page)
        return reply(page, str(end) if end < len(found) else "")

    def get_resources(self):
        request, now = _body(self), time.monotonic()
        indexed = [*moto_tagged(iter_taggable_backends(self.current_account, self.region)),
                   *cbctl_tagged(self.current_account, self.region)]
        found = sorted((i for i in indexed if visible(i, now)), key=lambda i: i.arn)
        return by_arn(request, found) if "ResourceARNList" in request else listing(request, found)

    Response.get_resources = get_resources


def record_tagging_service_changes():
    """Records tag changes made through moto's TaggingService (EventBridge,
    CloudWatch Logs and most others) in TAG_CHANGES, on the service's tagger."""
    from moto.logs.models import LogsBackend
    from moto.utilities.tagging_service import TaggingService

    orig_tag, orig_untag = TaggingService.tag_resource, TaggingService.untag_resource_using_names
    orig_untag_tags, orig_delete = TaggingService.untag_resource_using_tags, TaggingService.delete_all_tags_for_resource
    orig_delete_group = LogsBackend.delete_log_group

    def tag_resource(self, arn, tags):
        orig_tag(self, arn, tags)
        if tags:
            note_tag_change(self, arn)

    def untag_resource_using_names(self, arn, tag_names):
        orig_untag(self, arn, tag_names)
        note_tag_change(self, arn)

    def untag_resource_using_tags(self, arn, tags):
        orig_untag_tags(self, arn, tags)
        note_tag_change(self, arn)

    def delete_all_tags_for_resource(self, arn):  # the resource is gone
        orig_delete(self, arn)
        tag_changes(self).pop(arn, None)

    def delete_log_group(self, log_group_name):
        # Real AWS deletes a log group's tags with it (moto kept them for a
        # later group of the same name).
        group = self.groups.get(log_group_name)
        orig_delete_group(self, log_group_name)
        self.tagger.delete_all_tags_for_resource(group.arn)

    for fn in (tag_resource, untag_resource_using_names, untag_resource_using_tags, delete_all_tags_for_resource):
        setattr(TaggingService, fn.__name__, fn)
    LogsBackend.delete_log_group = delete_log_group


def moto_tagged(backends):
    """TaggedArn of each resource of moto's TaggableResourcesMixin backends."""
    for backend in backends:
        changes = {**tag_changes(backend), **tag_changes(getattr(backend, "tagger", None))}
        for r in backend.iter_tagged_resources():
            yield TaggedArn(r.arn, r.tags, TAGGING_TYPES.get(r.resource_type, r.resource_type), changes.get(r.arn))


def cbctl_tagged(account, region):
    """TaggedArn of each resource GetResources must report that moto's
    tagging backend does not know: EventBridge rules (events:rule, ARN
    arn:aws:events:REGION:ACCOUNT:rule/[BUS/]NAME), CodeBuild projects
    (codebuild:project, ...:project/NAME), CodePipeline pipelines
    (codepipeline:pipeline, arn:aws:codepipeline:REGION:ACCOUNT:NAME),
    CodeCommit repositories (codecommit:repository, ...:codecommit:REGION:ACCOUNT:NAME)
    and ECR repositories (ecr:repository, ...:ecr:REGION:ACCOUNT:repository/NAME)."""
    from moto.codebuild.models import codebuild_backends
    from moto.codecommit.models import codecommit_backends
    from moto.codepipeline.models import codepipeline_backends
    from moto.ecr.models import ecr_backends
    from moto.events.models import events_backends

    events = events_backends[account][region]
    for bus in events.event_buses.values():
        for rule in bus.rules.values():
            tags = events.tagger.get_tag_dict_for_resource(rule.arn)
            yield TaggedArn(rule.arn, tags, "events:rule", tag_changes(events.tagger).get(rule.arn))
    for project in codebuild_backends[account][region].codebuild_projects.values():
        tags = {t["key"]: t.get("value", "") for t in project.tags or []}
        yield TaggedArn(project.arn, tags, "codebuild:project", tag_changes(project).get(project.arn))
    for pipeline in codepipeline_backends[account][region].pipelines.values():
        yield TaggedArn(pipeline._arn, dict(pipeline.tags), "codepipeline:pipeline", tag_changes(pipeline).get(pipeline._arn))
    for repo in codecommit_backends[account][region].repositories.values():
        arn = repo.repository_metadata["Arn"]
        tags = dict(repo.__dict__.get("cbctl_tags", {}))
        yield TaggedArn(arn, tags, "codecommit:repository", tag_changes(repo).get(arn))
    ecr = ecr_backends[account][region]
    for repo in ecr.repositories.values():
        tags = ecr.tagger.get_tag_dict_for_resource(repo.arn)
        yield TaggedArn(repo.arn, tags, "ecr:repository", tag_changes(ecr.tagger).get(repo.arn))


def apply_patches(faults):
    import moto

    if moto.__version__ != MOTO_VERSION:
        sys.exit(
            f"launcher.py: patches target moto {MOTO_VERSION}, found {moto.__version__};"
            " run tests/emulator/setup.sh"
        )
    patch_codebuild()
    patch_codecommit()
    patch_iam()
    patch_ssm()
    patch_events()
    patch_codepipeline()
    patch_codeconnections()
    patch_s3()
    patch_ecr()
    patch_tagging(faults.tagging_lag)


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
    "CodeConnections": ("codeconnections", "codeconnections"),
    "CodeStarConnections": ("codestar-connections", "codestar-connections"),
    "Tagging": ("tagging", "resourcegroupstaggingapi"),
    "ECR": ("ecr", "ecr"),
}
QUERY_SERVICES = {
    "IAM": "https://iam.amazonaws.com/doc/2010-05-08/",
    "STS": "https://sts.amazonaws.com/doc/2011-06-15/",
}
THROTTLE_CODES = {"Tagging": "ThrottledException"}  # services whose throttling error is named otherwise
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
        self.latency = number("CBCTL_EMU_LATENCY_MS", int, 0, "an integer number of milliseconds >= 0", 0, 10**9)
        self.tagging_lag = number("CBCTL_EMU_TAGGING_LAG_SECONDS", float, 0.0, "a number of seconds >= 0", 0.0, 1e9)
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
        return bool(self.throttle or self.server_error or self.role_delay or self.fail
                    or self.latency or self.tagging_lag)

    def summary(self):
        parts = []
        if self.latency:
            parts.append(f"latency {self.latency} ms")
        if self.tagging_lag:
            parts.append(f"tagging lag {self.tagging_lag:g}s")
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
        # awsJson target prefix / rpcv2Cbor service shape -> service; both
        # the bare ("CodeConnections_20231201") and the qualified form
        # ("com.amazonaws.codeconnections.CodeConnections_20231201") occur.
        self.targets = {}
        for s in FAULT_SERVICES:
            prefix = _service_model(s).metadata.get("targetPrefix")
            if prefix:
                self.targets[prefix] = self.targets[prefix.rpartition(".")[2]] = s
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
        """(service, protocol family); family is json, cbor, query, s3 or rest-json."""
        target = environ.get("HTTP_X_AMZ_TARGET")
        rpc = re.fullmatch(r"/service/([^/]+)/operation/[^/]+", environ.get("PATH_INFO", ""))
        scope = environ.get("HTTP_AUTHORIZATION", "")
        m = re.search(r"Credential=[^/,\s]+/\d+/[^/]+/([^/]+)/aws4_request", scope)
        if not m:
            q = urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential", [""])[0]
            m = re.fullmatch(r"[^/]+/\d+/[^/]+/([^/]+)/aws4_request", q)
        service = m and self.signing.get(m[1].lower(), m[1])
        if rpc and environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor":
            return service or self.targets.get(rpc[1]) or self.targets.get(rpc[1].rpartition(".")[2]), "cbor"
        if target:
            return service or self.targets.get(target.rpartition(".")[0]), "json"
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
            return environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
        if family == "cbor":
            return environ.get("PATH_INFO", "").rpartition("/")[2]
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
        if family == "json":  # the request's awsJson version (1.0: CodeConnections)
            content_type = environ.get("CONTENT_TYPE", "")
            if not content_type.startswith("application/x-amz-json-1."):
                content_type = "application/x-amz-json-1.1"
            body = json.dumps({"__type": code, "message": message}, separators=(",", ":"))
        elif family == "cbor":  # Smithy RPC v2 CBOR (the Rust CodeConnections SDK)
            content_type = "application/cbor"
            headers.append(("smithy-protocol", "rpc-v2-cbor"))
            body = _cbor_encode({"__type": code, "message": message})
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
        data = body if isinstance(body, bytes) else body.encode()
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
        if faults.latency:  # the round trip; the server runs each request in its own thread
            time.sleep(faults.latency / 1000)
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
                "cbor": (400, "ThrottlingException", "Rate exceeded"),
                "query": (400, "Throttling", "Rate exceeded"),
                "s3": (503, "SlowDown", "Please reduce your request rate."),
            }.get(family, (429, "ThrottlingException", "Rate exceeded"))
            code = THROTTLE_CODES.get(service, code)
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


# ------------------------------------------------------- strict requests --
# Real AWS checks every request against the service model before the service
# sees it; moto checks almost nothing. StrictRequests, a WSGI middleware that
# is always installed, holds each request against botocore's model of its
# operation (the same model AWS's SDKs are generated from) and answers a
# violation as AWS does, so any test whose request AWS would refuse fails:
#   awsJson / RPC v2 CBOR (CodeBuild, CodePipeline, SSM, CodeCommit,
#     EventBridge, KMS, CodeConnections, CodeStar Connections, CloudWatch
#     Logs, Resource Groups Tagging API, ECR): 400 ValidationException "N
#     validation error(s) detected: Value 'x' at 'a.b' failed to satisfy
#     constraint: Member must ...", or 400 SerializationException when a
#     member has the wrong JSON type;
#   awsQuery (IAM, STS): the same message as 400 ValidationError, XML;
#   S3: CreateBucket's bucket name (400 InvalidBucketName) and the XML bodies
#     of PutBucketTagging/Encryption/Versioning/Lifecycle, PutPublicAccessBlock
#     and DeleteObjects (400 MalformedXML; tag limits: 400 InvalidTag).
# Rules: required members, types, string/blob length, list/map size, number
# range, enum values and patterns. Patterns are Java regexes matched against
# the whole value; they are compiled with the `regex` module (which knows
# \p{L} and friends); one that still does not compile is skipped and counted
# by strict_pattern_report(). Diagnostics: CBCTL_EMU_STRICT_LOG=FILE appends
# one line per refused request (service, operation, code, message) to FILE.

STRICT_JSON_SERVICES = ("codebuild", "codepipeline", "ssm", "codecommit", "events", "kms",
                        "codeconnections", "codestar-connections", "logs", "resourcegroupstaggingapi", "ecr")
STRICT_QUERY_SERVICES = ("iam", "sts")
STRICT_S3_XML_OPERATIONS = ("PutBucketTagging", "PutBucketEncryption", "PutBucketVersioning",
                            "PutPublicAccessBlock", "PutBucketLifecycleConfiguration", "DeleteObjects")
# Java's POSIX classes are ASCII-only; `regex` would read them as Unicode.
JAVA_POSIX_CLASSES = {
    "Lower": "a-z", "Upper": "A-Z", "ASCII": "\\x00-\\x7F", "Alpha": "a-zA-Z", "Digit": "0-9",
    "Alnum": "a-zA-Z0-9", "Punct": "!-/:-@\\[-`{-~", "Graph": "!-~", "Print": " -~",
    "Blank": " \\t", "Cntrl": "\\x00-\\x1F\\x7F", "XDigit": "0-9a-fA-F", "Space": " \\t\\n\\x0B\\f\\r",
}
_strict_patterns = {}  # Java pattern -> compiled regex, or None when it cannot be compiled


def strict_pattern(java):
    """The compiled form of a botocore (Java) pattern, or None if unusable."""
    if java not in _strict_patterns:
        import regex

        def posix(m):
            body = JAVA_POSIX_CLASSES[m[2]]
            return body if m.string[: m.start()].count("[") > m.string[: m.start()].count("]") else f"[{'^' if m[1] == 'P' else ''}{body}]"

        translated = re.sub(r"\\([pP])\{(?:Is)?(" + "|".join(JAVA_POSIX_CLASSES) + r")\}", posix, java)
        try:
            _strict_patterns[java] = regex.compile(translated)
        except Exception:  # noqa: BLE001 -- any failure means: skip this pattern
            _strict_patterns[java] = None
    return _strict_patterns[java]


def strict_pattern_report():
    """(patterns compiled, patterns skipped, operations covered) over every
    service the strict emulator checks."""
    import botocore.session

    session = botocore.session.get_session()
    patterns, operations = set(), 0
    for name in STRICT_JSON_SERVICES + STRICT_QUERY_SERVICES + ("s3",):
        model = session.get_service_model(name)
        operations += len(model.operation_names)
        for shape_name in model.shape_names:
            pattern = model.shape_for(shape_name).metadata.get("pattern")
            if pattern:
                patterns.add(pattern)
    skipped = sorted(p for p in patterns if strict_pattern(p) is None)
    return len(patterns) - len(skipped), skipped, operations


class StrictViolation(Exception):
    """One rule a request broke; `kind` is "validation" or "type"."""

    def __init__(self, path, value, rule, kind="validation", sensitive=False):
        super().__init__(rule)
        self.path, self.value, self.rule, self.kind, self.sensitive = path, value, rule, kind, sensitive

    def describe(self):
        if self.value is None:
            shown = "Value null"
        elif self.sensitive:
            shown = "Value"  # AWS echoes neither sensitive values nor maps
        else:
            shown = f"Value '{_java_string(self.value)}'"
        path = ".".join(p[:1].lower() + p[1:] for p in self.path.split("."))  # AWS: lowerCamelCase
        return f"{shown} at '{path}' failed to satisfy constraint: {self.rule}"


def _java_string(value):
    """A value as AWS (Java) prints it in a validation message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_java_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_java_string(v)}" for k, v in value.items()) + "}"
    return str(value)


def _strict_message(violations):
    count = len(violations)
    plural = "error" if count == 1 else "errors"
    return f"{count} validation {plural} detected: " + "; ".join(v.describe() for v in violations)


def _member_name(shape, member):
    return shape.members[member].serialization.get("name", member)


def strict_violations(shape, value, path=""):
    """Every rule of botocore shape `shape` that `value` (a decoded request,
    JSON-like) breaks, as StrictViolations; `path` is AWS's member path
    (list items: 'stages.1.member')."""
    found = []
    _check_value(shape, value, path, found)
    return found


_STRICT_TYPES = {  # botocore type -> (accepted Python types, name in messages)
    "string": ((str,), "string"),
    "boolean": ((bool,), "boolean"),
    "integer": ((int,), "integer"),
    "long": ((int,), "long"),
    "float": ((int, float), "float"),
    "double": ((int, float), "double"),
    "structure": ((dict,), "structure"),
    "list": ((list,), "list"),
    "map": ((dict,), "map"),
}


def _type_ok(shape, value):
    kind = shape.type_name
    if kind == "timestamp":  # epoch seconds (JSON), ISO-8601 text, CBOR tag
        import datetime

        return isinstance(value, (int, float, str, datetime.datetime)) and not isinstance(value, bool)
    if kind == "blob":
        return isinstance(value, (str, bytes, bytearray))
    accepted = _STRICT_TYPES.get(kind)
    if accepted is None:  # document and friends: anything goes
        return True
    if kind in ("integer", "long", "float", "double") and isinstance(value, bool):
        return False
    return isinstance(value, accepted[0])


def _check_value(shape, value, path, found):
    sensitive = bool(shape.metadata.get("sensitive"))
    if not _type_ok(shape, value):
        found.append(StrictViolation(path, value, f"Member must be of type {shape.type_name}", "type", sensitive))
        return
    kind = shape.type_name
    if kind == "structure":
        _check_structure(shape, value, path, found)
    elif kind == "list":
        _check_size(shape, value, path, found)
        for index, item in enumerate(value, 1):
            _check_value(shape.member, item, f"{path}.{index}.member", found)
    elif kind == "map":
        _check_size(shape, value, path, found)
        _check_map_entries(shape, value, path, found)
    elif kind in ("string", "blob"):
        _check_size(shape, value, path, found)
        if kind == "string":
            _check_string(shape, value, path, found)
    elif kind in ("integer", "long", "float", "double"):
        _check_range(shape, value, path, found)


def _check_map_entries(shape, value, path, found):
    """Keys and scalar values are reported on the map as a whole, as AWS
    does ("Map value must satisfy constraint: [...]"); nested values by key."""
    for part, part_shape, items in (("keys", shape.key, value.keys()), ("value", shape.value, value.values())):
        if part == "value" and part_shape.type_name in ("structure", "list", "map"):
            for key, item in value.items():
                _check_value(part_shape, item, f"{path}.{key}" if path else key, found)
            continue
        broken = []
        for item in items:
            _check_value(part_shape, item, path, broken)
        rules = list(dict.fromkeys(v.rule for v in broken))
        if rules:
            kind = "type" if any(v.kind == "type" for v in broken) else "validation"
            rule = f"Map {part} must satisfy constraint: [{', '.join(rules)}]"
            found.append(StrictViolation(path, value, rule, kind, sensitive=True))  # AWS: "Value at 'x'"


def _check_structure(shape, value, path, found):
    prefix = f"{path}." if path else ""
    for member in shape.required_members:
        if value.get(_member_name(shape, member)) is None:
            found.append(StrictViolation(prefix + member, None, "Member must not be null"))
    for member, member_shape in shape.members.items():
        item = value.get(_member_name(shape, member))
        if item is not None:
            _check_value(member_shape, item, prefix + member, found)


def _size_of(shape, value):
    if shape.type_name == "blob" and isinstance(value, str):
        import base64
        import binascii

        try:
            return len(base64.b64decode(value, validate=True))
        except binascii.Error:
            return len(value)
    return len(value)


def _check_size(shape, value, path, found):
    size, meta = _size_of(shape, value), shape.metadata
    sensitive = bool(meta.get("sensitive"))
    if "min" in meta and size < meta["min"]:
        found.append(StrictViolation(path, value, f"Member must have length greater than or equal to {meta['min']}", sensitive=sensitive))
    if "max" in meta and size > meta["max"]:
        found.append(StrictViolation(path, value, f"Member must have length less than or equal to {meta['max']}", sensitive=sensitive))


def _check_range(shape, value, path, found):
    meta = shape.metadata
    if "min" in meta and value < meta["min"]:
        found.append(StrictViolation(path, value, f"Member must have value greater than or equal to {meta['min']}"))
    if "max" in meta and value > meta["max"]:
        found.append(StrictViolation(path, value, f"Member must have value less than or equal to {meta['max']}"))


def _check_string(shape, value, path, found):
    sensitive = bool(shape.metadata.get("sensitive"))
    if shape.enum and value not in shape.enum:
        found.append(StrictViolation(path, value, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]", sensitive=sensitive))
    java = shape.metadata.get("pattern")
    compiled = strict_pattern(java) if java else None
    if compiled is not None and not compiled.fullmatch(value):
        found.append(StrictViolation(path, value, f"Member must satisfy regular expression pattern: {java}", sensitive=sensitive))


# -- decoding awsQuery form parameters into the shape's JSON-like value --
def query_params(shape, form, prefix=""):
    """The value of `shape` carried by the flat awsQuery form `form`
    (name -> text) under `prefix`, e.g. Tags.member.1.Key; None if absent."""
    kind = shape.type_name
    if kind == "structure":
        return _query_structure(shape, form, prefix)
    if kind == "list":
        return _query_list(shape, form, prefix)
    if kind == "map":
        return _query_map(shape, form, prefix)
    return _query_scalar(shape, form.get(prefix))


def _query_has(form, prefix):
    return prefix in form or any(key.startswith(prefix + ".") for key in form)


def _query_structure(shape, form, prefix):
    if prefix and not _query_has(form, prefix):
        return None
    value = {}
    for member, member_shape in shape.members.items():
        name = _member_name(shape, member)
        item = query_params(member_shape, form, f"{prefix}.{name}" if prefix else name)
        if item is not None:
            value[name] = item
    return value


def _query_indexed(form, base):
    indices = {int(m[1]) for key in form if (m := re.match(re.escape(base) + r"\.(\d+)(?:\.|$)", key))}
    return sorted(indices)


def _query_list(shape, form, prefix):
    if form.get(prefix) == "":  # an empty list is sent as "Name="
        return []
    flattened = shape.serialization.get("flattened")
    base = prefix if flattened else f"{prefix}.{shape.member.serialization.get('name', 'member')}"
    indices = _query_indexed(form, base)
    if not indices:
        return None
    return [query_params(shape.member, form, f"{base}.{i}") for i in indices]


def _query_map(shape, form, prefix):
    base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    indices = _query_indexed(form, base)
    if not indices:
        return None
    return {
        form.get(f"{base}.{i}.{key_name}", ""): query_params(shape.value, form, f"{base}.{i}.{value_name}")
        for i in indices
    }


def _query_scalar(shape, text):
    """A query parameter as its JSON-like value; text that cannot be one
    stays text, so the type rule reports it."""
    if text is None:
        return None
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        return text
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text


# -- S3: bucket names and XML bodies --
S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def s3_bucket_name_problem(name):
    """Why `name` breaks S3's general purpose bucket naming rules, or None."""
    if not 3 <= len(name) <= 63:
        return "Bucket name must be between 3 and 63 characters long"
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name):
        return "Bucket name must use only lowercase letters, numbers, dots and hyphens, and begin and end with a letter or number"
    if ".." in name:
        return "Bucket name must not contain two adjacent periods"
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        return "Bucket name must not be formatted as an IP address"
    if name.startswith(S3_RESERVED_PREFIXES):
        return f"Bucket name must not start with a reserved prefix ({', '.join(S3_RESERVED_PREFIXES)})"
    if name.endswith(S3_RESERVED_SUFFIXES):
        return f"Bucket name must not end with a reserved suffix ({', '.join(S3_RESERVED_SUFFIXES)})"
    return None


def s3_bucket_of(environ):
    host = environ.get("HTTP_HOST", "").rsplit(":", 1)[0]
    virtual = re.fullmatch(r"(.+)\.(?:s3[.-].*|localhost)", host)
    if virtual:
        return virtual[1]
    return urllib.parse.unquote(environ.get("PATH_INFO", "").lstrip("/").split("/", 1)[0])


def s3_xml_value(shape, element):
    """An XML element decoded by the botocore shape into a JSON-like value
    (text stays text: the XML schema rules are checked on names/structure)."""
    local = lambda tag: tag.rpartition("}")[2]  # noqa: E731
    kind = shape.type_name
    if kind == "structure":
        value = {}
        for member, member_shape in shape.members.items():
            name = _member_name(shape, member)
            if member_shape.type_name == "list" and member_shape.serialization.get("flattened"):
                items = [c for c in element if local(c.tag) == name]
                if items:
                    value[name] = [s3_xml_value(member_shape.member, c) for c in items]
                continue
            child = next((c for c in element if local(c.tag) == name), None)
            if child is not None:
                value[name] = s3_xml_value(member_shape, child)
        return value
    if kind == "list":
        name = shape.member.serialization.get("name", "member")
        return [s3_xml_value(shape.member, c) for c in element if local(c.tag) == name]
    return _query_scalar(shape, (element.text or "").strip() if kind != "string" else (element.text or ""))


def s3_tag_problem(tags):
    """S3's own tag limits (InvalidTag), which the model does not carry."""
    keys = [tag.get("Key", "") for tag in tags]
    if len(keys) != len(set(keys)):
        return "Cannot provide multiple Tags with the same key"
    for tag in tags:
        if len(tag.get("Key", "")) > 128:
            return "The TagKey you have provided is too long, max 128"
        if len(tag.get("Value", "")) > 256:
            return "The TagValue you have provided is too long, max 256"
    if len(tags) > 50:
        return "Bucket tag count cannot be greater than 50"
    return None


class StrictRequests:
    """WSGI middleware in front of moto: refuses, as AWS does, every request
    that breaks its operation's botocore model (see the section comment)."""

    MALFORMED_XML = "The XML you provided was not well-formed or did not validate against our published schema"

    def __init__(self, app):
        import botocore.session

        self.app = app
        session = botocore.session.get_session()
        self.models = {name: session.get_service_model(name) for name in STRICT_JSON_SERVICES + STRICT_QUERY_SERVICES + ("s3",)}
        self.targets = {}  # awsJson target prefix / CBOR service shape -> service
        for name in STRICT_JSON_SERVICES:
            prefix = self.models[name].metadata["targetPrefix"]
            self.targets[prefix] = self.targets[prefix.rpartition(".")[2]] = name
        self.s3_routes = None
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/moto-api") or path == "/favicon.ico":
            return self.app(environ, start_response)
        refusal = self.refusal(environ)
        if refusal is None:
            return self.app(environ, start_response)
        family, service, code, message = refusal
        self.log_refusal(environ, service, code, message)
        return FaultInjector.respond(environ, start_response, family, service, 400, code, message)

    def log_refusal(self, environ, service, code, message):
        path = os.environ.get("CBCTL_EMU_STRICT_LOG")
        if not path:
            return
        what = environ.get("HTTP_X_AMZ_TARGET") or f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
        with self.lock, open(path, "a", encoding="utf-8") as log:
            log.write(f"{service} {what} {code}: {message}\n")

    # -- which operation, in which protocol --
    def signing_name(self, environ):
        scope = environ.get("HTTP_AUTHORIZATION", "")
        m = re.search(r"Credential=[^/,\s]+/\d+/[^/]+/([^/]+)/aws4_request", scope)
        return m[1].lower() if m else None

    def refusal(self, environ):
        """(family, service, code, message) when the request must be refused."""
        target = environ.get("HTTP_X_AMZ_TARGET")
        rpc = re.fullmatch(r"/service/([^/]+)/operation/([^/]+)", environ.get("PATH_INFO", ""))
        signing = self.signing_name(environ)
        if target:
            service = self.targets.get(target.rpartition(".")[0])
            return service and self.check_json(environ, service, target.rpartition(".")[2], "json")
        if rpc and environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor":
            service = self.targets.get(rpc[1]) or self.targets.get(rpc[1].rpartition(".")[2])
            return service and self.check_json(environ, service, rpc[2], "cbor")
        form = self.form(environ)
        if signing in STRICT_QUERY_SERVICES or (signing is None and "Action" in form):
            return self.check_query(form, signing or "sts")
        if signing in (None, "s3"):
            return self.check_s3(environ)
        return None

    def operation(self, service, name):
        model = self.models[service]
        return model.operation_model(name) if name in model.operation_names else None

    # -- awsJson and RPC v2 CBOR --
    def check_json(self, environ, service, name, family):
        operation = self.operation(service, name)
        if operation is None or operation.input_shape is None:
            return None  # unknown operations are moto's (or the gap filler's) to answer
        data = FaultInjector.body(environ)
        try:
            request = _cbor_decode(data) if family == "cbor" else json.loads(data or b"{}")
        except Exception:  # noqa: BLE001 -- the service's own parser answers this
            return None
        if not isinstance(request, dict):
            return None
        violations = strict_violations(operation.input_shape, request)
        wrong_type = [v for v in violations if v.kind == "type"]
        if wrong_type:
            return family, service, "SerializationException", _strict_message(wrong_type)
        if violations:
            return family, service, "ValidationException", _strict_message(violations)
        return None

    # -- awsQuery --
    @staticmethod
    def form(environ):
        if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            text = environ.get("QUERY_STRING", "")
        else:
            text = FaultInjector.body(environ).decode("utf-8", "replace")
        return dict(urllib.parse.parse_qsl(text, keep_blank_values=True))

    def check_query(self, form, service):
        operation = self.operation(service, form.get("Action", ""))
        if operation is None or operation.input_shape is None:
            return None
        request = query_params(operation.input_shape, form)
        violations = strict_violations(operation.input_shape, request)
        if violations:
            return "query", service.upper(), "ValidationError", _strict_message(violations)
        return None

    # -- S3 --
    def s3_operation(self, environ):
        with self.lock:
            if self.s3_routes is None:
                self.s3_routes = RestOperations("S3")
        return self.s3_routes.name(environ)

    def check_s3(self, environ):
        name = self.s3_operation(environ)
        if name == "CreateBucket":
            bucket = s3_bucket_of(environ)
            if s3_bucket_name_problem(bucket):
                return "s3", "S3", "InvalidBucketName", "The specified bucket is not valid."
        if name in STRICT_S3_XML_OPERATIONS:
            return self.check_s3_xml(environ, name)
        return None

    def check_s3_xml(self, environ, name):
        import xml.etree.ElementTree as ET

        if "aws-chunked" in environ.get("HTTP_CONTENT_ENCODING", ""):
            return None  # a streamed body: not decoded here
        operation = self.operation("s3", name)
        payload = operation.input_shape.serialization["payload"]
        shape = operation.input_shape.members[payload]
        root_name = shape.serialization.get("name", payload)
        malformed = ("s3", "S3", "MalformedXML", self.MALFORMED_XML)
        try:
            root = ET.fromstring(FaultInjector.body(environ))
        except ET.ParseError:
            return malformed
        if root.tag.rpartition("}")[2] != root_name:
            return malformed
        value = s3_xml_value(shape, root)
        if strict_violations(shape, value, root_name):
            return malformed
        if name == "PutBucketTagging":
            problem = s3_tag_problem(value.get("TagSet", []))
            if problem:
                return "s3", "S3", "InvalidTag", problem
        return None


# ------------------------------------------------------- documented rules --
# Rules AWS documents and enforces that botocore's models do not carry (so
# StrictRequests cannot see them) and moto ignores. DocumentedRules, a WSGI
# middleware always installed right behind StrictRequests (AWS checks the
# model first), refuses a request that breaks one as AWS does; `cbctl
# validate` checks the same rules offline (src/file/rules.rs,
# src/file/environment.rs, src/file/pipeline/check.rs):
#   SSM PutParameter, GetParameter, DeleteParameter, GetParameterHistory,
#     LabelParameterVersion, UnlabelParameterVersion: the 1011-character limit
#     of a parameter name counts its ARN prefix
#     (arn:aws:ssm:REGION:ACCOUNT:parameter/) -> 400 ValidationException.
#   CodeBuild CreateProject/UpdateProject (the environment as sent) -> 400
#     InvalidInputException: an on-demand compute type its environment type
#     offers ("Build environment compute modes and types"; Windows Server
#     2022 only on a fleet); Lambda environments: no privilegedMode, no
#     timeoutInMinutes over 15; an ARM or Lambda environment refuses a
#     CodeBuild-curated image of another architecture or compute mode (e.g.
#     aws/codebuild/standard:7.0, x86 EC2). Custom images are not judged.
#     Image pull credentials (ProjectEnvironment.imagePullCredentialsType,
#     RegistryCredential; absent means CODEBUILD): a CodeBuild-curated image
#     (aws/codebuild/...) needs CODEBUILD, a cross-account ECR image
#     SERVICE_ROLE (both refusals in AWS's words), and a registryCredential
#     needs SERVICE_ROLE and an image that is not in ECR.
#     The other members as sent (codebuild_project_problem): cache S3 needs
#     a location, LOCAL at least one mode, modes only on LOCAL; logsConfig
#     s3Logs ENABLED needs a bucket/prefix location; vpcConfig's vpcId,
#     subnets and securityGroupIds go together; reportBuildStatus and
#     buildStatusConfig only on GitHub/GitHub Enterprise/GitLab/GitLab self-
#     managed/Bitbucket sources, gitSubmodulesConfig only on git sources;
#     secondary sources and artifacts not CODEPIPELINE, each with a unique
#     identifier (sourceIdentifier: [A-Za-z0-9_], under 128 characters).
#   CodeBuild settings taken together, on the project as it would read back
#     (codebuild_view_problem, enforced by patch_codebuild since an
#     UpdateProject may send one half): CODEPIPELINE source if and only if
#     CODEPIPELINE artifacts; secondarySourceVersions name secondary sources;
#     Lambda compute takes no cache, VPC, file systems or badge; and a sent
#     vpcConfig names a VPC, subnets and security groups of that VPC that
#     exist in moto's EC2 (codebuild_vpc_ec2_problem).
#   CodePipeline CreatePipeline/UpdatePipeline -> 400
#     InvalidActionDeclarationException naming the action: the number of
#     input/output artifacts of its action type ("Valid input and output
#     artifacts for each action type"; CodeBuild 1-5 in, 0-5 out; CodeCommit,
#     CodeStarSourceConnection, S3 and ECR sources 0 in, 1 out; Manual
#     approval none), and a CodeBuild action's EnvironmentVariables must be a
#     JSON array.
# Refusals are logged like StrictRequests' (CBCTL_EMU_STRICT_LOG).

SSM_NAME_LIMIT = 1011
SSM_NAMED_OPERATIONS = ("PutParameter", "GetParameter", "DeleteParameter", "GetParameterHistory",
                        "LabelParameterVersion", "UnlabelParameterVersion")


def aws_partition(region):
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def ssm_parameter_name_problem(name, region, account):
    """Why a parameter name breaks SSM's 1011-character limit counted with its
    ARN prefix, or None. ARNs and version/label selectors (name:3) are read
    as the name they stand for."""
    if not isinstance(name, str) or not name or name.startswith("arn:"):
        return None
    bare = name.split(":", 1)[0].lstrip("/")
    prefix = f"arn:{aws_partition(region)}:ssm:{region}:{account}:parameter/"
    length = len(prefix) + len(bare)
    if length <= SSM_NAME_LIMIT:
        return None
    return (f"Parameter name: the name and its ARN prefix {prefix} are {length} characters together, "
            f"more than the limit of {SSM_NAME_LIMIT}; shorten the name to at most "
            f"{SSM_NAME_LIMIT - len(prefix)} characters (without its leading /)")


# On-demand compute types per environment type: the table of
# src/file/environment.rs `offered` (CodeBuild User Guide, "Build environment
# compute modes and types"). Environment types and compute types not listed
# (WINDOWS_CONTAINER, *_EC2, ATTRIBUTE_BASED_COMPUTE, ...) are not judged.
_GENERAL = ["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_XLARGE", "BUILD_GENERAL1_2XLARGE"]
_LAMBDA = ["BUILD_LAMBDA_1GB", "BUILD_LAMBDA_2GB", "BUILD_LAMBDA_4GB", "BUILD_LAMBDA_8GB", "BUILD_LAMBDA_10GB"]
CODEBUILD_OFFERED = {
    "LINUX_CONTAINER": _GENERAL,
    "ARM_CONTAINER": _GENERAL,
    "LINUX_GPU_CONTAINER": ["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_LARGE"],
    "WINDOWS_SERVER_2019_CONTAINER": ["BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"],
    "WINDOWS_SERVER_2022_CONTAINER": [],  # reserved-capacity fleets only
    "LINUX_LAMBDA_CONTAINER": _LAMBDA,
    "ARM_LAMBDA_CONTAINER": _LAMBDA,
}
CODEBUILD_JUDGED_COMPUTE = set(_GENERAL + _LAMBDA)
CODEBUILD_LAMBDA_ENVIRONMENTS = ("LINUX_LAMBDA_CONTAINER", "ARM_LAMBDA_CONTAINER")
CODEBUILD_LAMBDA_MAX_MINUTES = 15
# The curated image family each of these environment types runs ("Docker
# images provided by CodeBuild"); only these types are judged on images.
CODEBUILD_IMAGE_FAMILY = {"ARM_CONTAINER": "ARM EC2", "LINUX_LAMBDA_CONTAINER": "x86_64 Lambda",
                          "ARM_LAMBDA_CONTAINER": "ARM Lambda"}


def codebuild_image_family(image):
    """The family of a CodeBuild-curated image (aws/codebuild/...), or None
    for custom images and names this table does not know."""
    if not isinstance(image, str) or not image.startswith("aws/codebuild/"):
        return None
    repository = re.split(r"[:@]", image[len("aws/codebuild/"):], maxsplit=1)[0]
    if "lambda" in repository:
        return "ARM Lambda" if "aarch64" in repository else "x86_64 Lambda" if "x86_64" in repository else None
    if "aarch64" in repository:
        return "ARM EC2"
    if repository == "standard" or "x86_64" in repository or repository.startswith("ubuntu"):
        return "x86_64 EC2"
    if repository.startswith("windows-base"):
        return "Windows EC2"
    return None


# An ECR image URI: ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]/REPOSITORY...
CODEBUILD_ECR_IMAGE = re.compile(r"(\d{12})\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/")


def codebuild_pull_credentials_problem(env, account):
    """Why an environment's image pull credentials break CodeBuild's
    documented rules (ProjectEnvironment.imagePullCredentialsType,
    RegistryCredential), or None. The first two messages are AWS's own
    (aws/aws-codebuild-docker-images#163, traveloka/terraform-aws-codebuild-
    terraform-ci-cd#25)."""
    image = env.get("image") if isinstance(env.get("image"), str) else ""
    pull = env.get("imagePullCredentialsType") or "CODEBUILD"  # CodeBuild's default
    curated, ecr = image.startswith("aws/codebuild/"), CODEBUILD_ECR_IMAGE.match(image)
    if curated and pull == "SERVICE_ROLE":
        return "Invalid input: cannot use a CodeBuild curated image with imagePullCredentialsType SERVICE_ROLE"
    if ecr and ecr[1] != account and pull == "CODEBUILD":
        return "Invalid input: cannot use a cross-account ECR image with imagePullCredentialsType CODEBUILD"
    if not env.get("registryCredential"):
        return None
    if pull != "SERVICE_ROLE":
        return f"Invalid input: registryCredential needs imagePullCredentialsType SERVICE_ROLE, not {pull}"
    if ecr:  # (a curated image with SERVICE_ROLE was refused above)
        return f"Invalid input: registryCredential cannot be used with an Amazon ECR image ({image}); it is for private registries"
    return None


def codebuild_project_problem(request, account="123456789012"):
    """Why a CreateProject/UpdateProject request breaks a documented rule on
    the members it sends, or None; `account` is the caller's. Rules on
    settings taken together are codebuild_view_problem's."""
    return (codebuild_environment_problem(request, account)
            or codebuild_cache_problem(request.get("cache"))
            or codebuild_logs_problem(request.get("logsConfig"))
            or codebuild_vpc_problem(request.get("vpcConfig"))
            or codebuild_sources_problem(request)
            or codebuild_secondary_artifacts_problem(request.get("secondaryArtifacts")))


def codebuild_environment_problem(request, account):
    """Why the environment sent (with the timeouts) breaks CodeBuild's
    documented environment rules, or None."""
    env = request.get("environment")
    if not isinstance(env, dict):
        return None
    kind, compute, image = env.get("type"), env.get("computeType"), env.get("image")
    has_fleet = bool((env.get("fleet") or {}).get("fleetArn"))
    if kind == "WINDOWS_SERVER_2022_CONTAINER" and not has_fleet:
        return ("Invalid environment: environment type WINDOWS_SERVER_2022_CONTAINER runs only on a "
                "reserved-capacity fleet (environment.fleet), not on on-demand compute")
    if not has_fleet and kind in CODEBUILD_OFFERED and compute in CODEBUILD_JUDGED_COMPUTE \
            and compute not in CODEBUILD_OFFERED[kind]:
        return (f"Invalid environment: compute type {compute} is not offered with environment type {kind}; "
                f"use one of {', '.join(CODEBUILD_OFFERED[kind])}")
    if kind in CODEBUILD_LAMBDA_ENVIRONMENTS:
        if env.get("privilegedMode") is True:
            return f"Invalid environment: privilegedMode is not supported with Lambda compute ({kind})"
        # AWS's words, quoted in hashicorp/terraform-provider-aws#34376.
        if request.get("queuedTimeoutInMinutes") is not None:
            return "Cannot specify queuedTimeoutInMinutes for lambda compute"
        timeout = request.get("timeoutInMinutes")
        if isinstance(timeout, int) and not isinstance(timeout, bool) and timeout > CODEBUILD_LAMBDA_MAX_MINUTES:
            return (f"Invalid timeoutInMinutes {timeout}: Lambda compute ({kind}) builds run at most "
                    f"{CODEBUILD_LAMBDA_MAX_MINUTES} minutes")
    wanted, family = CODEBUILD_IMAGE_FAMILY.get(kind), codebuild_image_family(image)
    if wanted and family and family != wanted:
        return (f"Invalid environment: image {image} is a {family} image, and environment type {kind} "
                f"needs a {wanted} image")
    return codebuild_pull_credentials_problem(env, account)


CODEBUILD_LOCAL_CACHE_MODES = "LOCAL_DOCKER_LAYER_CACHE, LOCAL_SOURCE_CACHE, LOCAL_CUSTOM_CACHE"


def codebuild_cache_problem(cache):
    """ProjectCache (API reference): S3 caches in "the S3 bucket name/prefix"
    (location; Terraform refuses S3 without one at plan time, "cache location
    is required when cache type is S3"); modes are "only used for LOCAL cache
    types". That AWS refuses S3 without location, LOCAL without modes and
    modes on other types is unconfirmed (the most plausible reading). A
    location on NO_CACHE/LOCAL "is ignored", so it is not refused."""
    if not isinstance(cache, dict):
        return None
    kind, modes = cache.get("type"), cache.get("modes") or []
    if kind == "S3" and not cache.get("location"):
        return "Invalid cache: cache type S3 needs a location (bucket or bucket/prefix)"
    if kind == "LOCAL" and not modes:
        return f"Invalid cache: cache type LOCAL needs at least one mode ({CODEBUILD_LOCAL_CACHE_MODES})"
    if kind != "LOCAL" and modes:
        return f"Invalid cache: modes are only for cache type LOCAL, not {kind}"
    return None


# S3LogsConfig.location (API reference): "If your Amazon S3 bucket name is
# my-bucket, and your path prefix is build-log, then acceptable formats are
# my-bucket/build-log or arn:aws:s3:::my-bucket/build-log" (Terraform's
# validProjectS3LogsLocation insists on the prefix too).
CODEBUILD_S3_LOGS_LOCATION = re.compile(r"(arn:aws[a-z-]*:s3:::)?[a-z0-9][^/]*/.+")


def codebuild_logs_problem(logs):
    """S3 logs ENABLED need a location, bucket/prefix (unconfirmed wording).
    CloudWatch Logs DISABLED with a groupName is accepted."""
    s3 = logs.get("s3Logs") if isinstance(logs, dict) else None
    if not isinstance(s3, dict) or s3.get("status") != "ENABLED":
        return None
    location = s3.get("location")
    if not location:
        return "Invalid logs config: s3Logs with status ENABLED needs a location (bucket/prefix)"
    if not CODEBUILD_S3_LOGS_LOCATION.fullmatch(location):
        return (f"Invalid logs config: s3Logs location {location} must be bucket/prefix or "
                "arn:aws:s3:::bucket/prefix")
    return None


def codebuild_vpc_problem(vpc):
    """vpcId, subnets and securityGroupIds go together: "You must provide at
    least one security group and one subnet ID" (API reference,
    Build.vpcConfig), all three "Required" ("Allow Amazon VPC access in your
    CodeBuild projects"). At most 16 subnets and 5 security groups is the
    model's (StrictRequests refuses more). An empty vpcConfig removes the
    VPC (codebuild_is_empty). The wording here is unconfirmed."""
    if not isinstance(vpc, dict) or codebuild_is_empty("vpcConfig", vpc):
        return None
    missing = [member for member in ("vpcId", "subnets", "securityGroupIds") if not vpc.get(member)]
    if missing:
        return (f"Invalid vpc config: {' and '.join(missing)} missing; vpcId, subnets and securityGroupIds "
                "go together (at least one subnet and one security group)")
    return None


# ProjectSource.reportBuildStatus: "valid only when your source provider is
# GitHub, GitHub Enterprise, GitLab, GitLab Self Managed, or Bitbucket. If
# this is set and you use a different source provider, an
# invalidInputException is thrown" (API reference); AWS's message, quoted on
# expandProjectSource in Terraform's project.go: "Source type NO_SOURCE does
# not support ReportBuildStatus". buildStatusConfig ("only used when the
# source provider is GITHUB, GITHUB_ENTERPRISE, or BITBUCKET") and
# gitSubmodulesConfig (git sources only; Terraform sends it for CodeCommit,
# GitHub and Bitbucket) are refused alike, which is unconfirmed.
CODEBUILD_STATUS_SOURCES = ("GITHUB", "GITHUB_ENTERPRISE", "GITLAB", "GITLAB_SELF_MANAGED", "BITBUCKET")
CODEBUILD_SOURCE_ONLY_FOR = (("reportBuildStatus", "ReportBuildStatus", CODEBUILD_STATUS_SOURCES),
                             ("buildStatusConfig", "BuildStatusConfig", CODEBUILD_STATUS_SOURCES),
                             ("gitSubmodulesConfig", "GitSubmodulesConfig", CODEBUILD_GIT_SOURCES))
# ProjectSource.sourceIdentifier / ProjectSourceVersion.sourceIdentifier:
# "can only contain alphanumeric characters and underscores, and must be less
# than 128 characters in length" (API reference).
CODEBUILD_SOURCE_IDENTIFIER = re.compile(r"[A-Za-z0-9_]{1,127}")


def codebuild_source_problem(source):
    kind = source.get("type")
    for member, name, types in CODEBUILD_SOURCE_ONLY_FOR:
        if source.get(member) is not None and kind not in types:
            return f"Source type {kind} does not support {name}"
    return None


def codebuild_sources_problem(request):
    """The primary source's and each secondary source's rules. Secondary
    sources: not CODEPIPELINE (AWS's words, hashicorp/terraform-provider-
    aws#36987), each with a sourceIdentifier of the documented form, unique
    (unconfirmed), and a location where the primary would need one; at most
    12 is the model's."""
    secondaries = [s for s in request.get("secondarySources") or [] if isinstance(s, dict)]
    for source in [request.get("source"), *secondaries]:
        problem = isinstance(source, dict) and codebuild_source_problem(source)
        if problem:
            return problem
    if any(s.get("type") == "CODEPIPELINE" for s in secondaries):
        return "Invalid input: sourceType CODEPIPELINE is not allowed for secondarySources"
    if any(s.get("type") not in ("NO_SOURCE", "CODEPIPELINE") and not s.get("location") for s in secondaries):
        return "Invalid input: every secondary source but NO_SOURCE needs a location"
    return codebuild_identifiers_problem(secondaries, "sourceIdentifier", "secondarySources", CODEBUILD_SOURCE_IDENTIFIER)


def codebuild_secondary_artifacts_problem(artifacts):
    """Secondary artifacts: not CODEPIPELINE (AWS's words, hashicorp/terraform-
    provider-aws#36987; "The CODEPIPELINE type is not supported for
    secondaryArtifacts", API reference), each with an artifactIdentifier,
    unique (unconfirmed), S3 ones with a location; at most 12 is the model's."""
    artifacts = [a for a in artifacts or [] if isinstance(a, dict)]
    if any(a.get("type") == "CODEPIPELINE" for a in artifacts):
        return "Invalid input: artifactType CODEPIPELINE is not allowed for secondaryArtifacts"
    if any(a.get("type") == "S3" and not a.get("location") for a in artifacts):
        return "Invalid input: secondary artifacts of type S3 need a location (the output bucket)"
    return codebuild_identifiers_problem(artifacts, "artifactIdentifier", "secondaryArtifacts")


def codebuild_identifiers_problem(items, key, member, pattern=None):
    seen = set()
    for item in items:
        ident = item.get(key)
        if not ident:
            return f"Invalid input: every entry of {member} needs its {key}"
        if pattern and not (isinstance(ident, str) and pattern.fullmatch(ident)):
            return (f"Invalid input: {key} {ident} must be letters, digits and underscores, "
                    "fewer than 128 characters")
        if ident in seen:
            return f"Invalid input: {key} {ident} appears twice in {member}"
        seen.add(ident)
    return None


def codebuild_view_problem(view):
    """Why a project, as it would read back after a Create/UpdateProject
    (codebuild_read_back applied), combines settings CodeBuild refuses
    together, or None. patch_codebuild judges this on the stored project
    with the request applied, as an UpdateProject may send one half of a
    pair."""
    source, artifacts = view.get("source") or {}, view.get("artifacts") or {}
    # AWS's words: cloudposse/terraform-aws-codebuild#23 (API reference,
    # ProjectArtifacts: CODEPIPELINE output is "generated through CodePipeline").
    if (source.get("type") == "CODEPIPELINE") != (artifacts.get("type") == "CODEPIPELINE"):
        return "Invalid input: when using CodePipeline both sourceType, and artifactType must be set to: CODEPIPELINE"
    known = {s.get("sourceIdentifier") for s in view.get("secondarySources") or []}
    for version in view.get("secondarySourceVersions") or []:
        if version.get("sourceIdentifier") not in known:  # wording unconfirmed
            return (f"Invalid input: secondarySourceVersions names sourceIdentifier "
                    f"{version.get('sourceIdentifier')}, which no secondary source has")
    return codebuild_lambda_settings_problem(view)


def codebuild_lambda_settings_problem(view):
    """The "Limitations of AWS Lambda compute" (CodeBuild User Guide): "AWS Lambda
    doesn't support caching, custom build timeouts, queue timeout, build
    badges, privileged mode, ..." and "doesn't support VPC connectivity, ...,
    EFS, ...". That CreateProject/UpdateProject refuse these (rather than
    builds failing) is unconfirmed but matches the queue timeout's refusal
    (codebuild_environment_problem); the wording follows that refusal's."""
    kind = (view.get("environment") or {}).get("type")
    if kind not in CODEBUILD_LAMBDA_ENVIRONMENTS:
        return None
    refused = [("cache", (view.get("cache") or {}).get("type", "NO_CACHE") != "NO_CACHE"),
               ("vpcConfig", bool(view.get("vpcConfig"))),
               ("fileSystemLocations", bool(view.get("fileSystemLocations"))),
               ("badgeEnabled", (view.get("badge") or {}).get("badgeEnabled") is True)]
    for member, present in refused:
        if present:
            return f"Cannot specify {member} for lambda compute ({kind})"
    return None


def codebuild_vpc_ec2_problem(vpc, account, region):
    """Whether the VPC, subnets and security groups of a vpcConfig exist in
    moto's EC2 backend and belong together. CodeBuild looks them up when the
    project is created or updated (an unauthorised caller gets
    InvalidInputException "Not authorized to perform DescribeSecurityGroups",
    aws/aws-cdk#2335) and "The security groups and subnets must belong to the
    same VPC" (API reference, Build.vpcConfig); the wording of these refusals
    is unconfirmed."""
    from moto.ec2.models import ec2_backends

    ec2, vpc_id = ec2_backends[account][region], vpc.get("vpcId")
    if vpc_id not in ec2.vpcs:
        return f"Invalid vpc config: VPC {vpc_id} does not exist"
    subnets = {s.id: s for s in ec2.describe_subnets()}
    for kind, ids, lookup in (("subnet", vpc.get("subnets") or [], subnets.get),
                              ("security group", vpc.get("securityGroupIds") or [], ec2.get_security_group_from_id)):
        for ident in ids:
            found = lookup(ident)
            if found is None:
                return f"Invalid vpc config: {kind} {ident} does not exist"
            if found.vpc_id != vpc_id:
                return f"Invalid vpc config: {kind} {ident} belongs to {found.vpc_id}, not to VPC {vpc_id}"
    return None


# (category, provider) of an action owned by AWS -> (min in, max in, min out, max out)
CODEPIPELINE_ARTIFACT_COUNTS = {
    ("Build", "CodeBuild"): (1, 5, 0, 5),
    ("Test", "CodeBuild"): (1, 5, 0, 5),
    ("Source", "CodeCommit"): (0, 0, 1, 1),
    ("Source", "CodeStarSourceConnection"): (0, 0, 1, 1),
    ("Source", "S3"): (0, 0, 1, 1),
    ("Source", "ECR"): (0, 0, 1, 1),
    ("Approval", "Manual"): (0, 0, 0, 0),
}


def codepipeline_action_problem(action):
    """Why one action declaration breaks its action type's documented
    artifact counts or CodeBuild configuration, or None."""
    if not isinstance(action, dict):
        return None
    name, type_id = action.get("name"), action.get("actionTypeId") or {}
    if type_id.get("owner") != "AWS":
        return None
    key = (type_id.get("category"), type_id.get("provider"))
    counts = CODEPIPELINE_ARTIFACT_COUNTS.get(key)
    if counts:
        for what, member, low, high in (("input", "inputArtifacts", *counts[:2]), ("output", "outputArtifacts", *counts[2:])):
            n = len(action.get(member) or [])
            if n < low:
                return f"Action {name} declares {n} {what} artifacts which is less than the minimum count ({low})"
            if n > high:
                return f"Action {name} declares {n} {what} artifacts which is more than the maximum count ({high})"
    if key[1] == "CodeBuild":
        variables = (action.get("configuration") or {}).get("EnvironmentVariables")
        if variables is not None:
            try:
                parsed = json.loads(variables)
            except (TypeError, ValueError) as e:
                return f"Action {name}: configuration EnvironmentVariables is not valid JSON ({e})"
            if not isinstance(parsed, list):
                return f"Action {name}: configuration EnvironmentVariables must be a JSON array of name/value/type objects"
    return None


def codepipeline_pipeline_problem(request):
    pipeline = request.get("pipeline")
    if not isinstance(pipeline, dict):
        return None
    for stage in pipeline.get("stages") or []:
        for action in (stage.get("actions") or []) if isinstance(stage, dict) else []:
            problem = codepipeline_action_problem(action)
            if problem:
                return problem
    return None


class DocumentedRules(StrictRequests):
    """WSGI middleware behind StrictRequests: refuses, as AWS does, requests
    that break the documented rules above (see the section comment)."""

    SERVICES = ("ssm", "codebuild", "codepipeline")

    def __init__(self, app):  # noqa: super-init-not-called -- only these services' targets are needed
        import botocore.session

        self.app, self.lock = app, threading.Lock()
        session = botocore.session.get_session()
        self.targets = {session.get_service_model(name).metadata["targetPrefix"]: name for name in self.SERVICES}

    def refusal(self, environ):
        target = environ.get("HTTP_X_AMZ_TARGET")
        if not target:
            return None  # every rule here is on an awsJson operation
        service, name = self.targets.get(target.rpartition(".")[0]), target.rpartition(".")[2]
        if service is None:
            return None
        try:
            request = json.loads(FaultInjector.body(environ) or b"{}")
        except ValueError:
            return None
        if not isinstance(request, dict):
            return None
        scope = re.search(r"Credential=[^/,\s]+/\d+/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
        region = scope[1] if scope else "us-east-1"
        account = os.environ.get("MOTO_ACCOUNT_ID", "123456789012")
        if service == "ssm" and name in SSM_NAMED_OPERATIONS:
            problem = ssm_parameter_name_problem(request.get("Name"), region, account)
            return problem and ("json", service, "ValidationException", problem)
        if service == "codebuild" and name in ("CreateProject", "UpdateProject"):
            problem = codebuild_project_problem(request, account)
            return problem and ("json", service, "InvalidInputException", problem)
        if service == "codepipeline" and name in ("CreatePipeline", "UpdatePipeline"):
            problem = codepipeline_pipeline_problem(request)
            return problem and ("json", service, "InvalidActionDeclarationException", problem)
        return None


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
    faults = Faults(os.environ)
    apply_patches(faults)
    # What moto.server.ThreadedMotoServer does, minus its thread-side bind:
    # there a busy port leaves start() waiting forever; here it exits non-zero.
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    # always: AWS validates every request against its model, then its documented rules
    app = StrictRequests(DocumentedRules(DomainDispatcherApplication(create_backend_app)))
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

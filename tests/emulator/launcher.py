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
repositories, ECR repositories, CloudWatch Logs groups, SNS topics (sns:topic)
and CodeStar Notifications rules (codestar-notifications:notificationrule;
see patch_tagging).
CodeConnections (and its old name, CodeStar Connections) is missing from moto
and emulated here in memory, over awsJson 1.0 and Smithy RPC v2 CBOR.
CodePipeline stage transitions (GetPipelineState, Enable/DisableStageTransition)
and CodeDeploy's BatchGetDeploymentGroups are missing from moto and emulated
(patch_pipeline_transitions, patch_codedeploy_reads; unconfirmed: the first
stage is given no inbound transition state, and disabling it is refused).
S3 buckets live in their region (patch_s3_regions): ListBuckets with a
parameter names each BucketRegion, and a request signed for another region is
answered 301 PermanentRedirect with x-amz-bucket-region, as on AWS.
TEST-ONLY hook, not in AWS: CreateConnection/TagResource with the tag
emulator:status=AVAILABLE (or PENDING, ERROR) sets the connection's status,
standing in for the console handshake.
CodeBuild webhooks (Create/Update/DeleteWebhook; BatchGetProjects reports the
project's `webhook`) and source credentials (Import/List/
DeleteSourceCredentials) are missing from moto and added by
patch_codebuild_webhooks, with AWS's filter-group rules
(codebuild_webhook_problem; sources in the section comment above it).
CodeBuild builds and CodePipeline executions run (runs.py): builds go
through their phases in wall-clock time, run an inline buildspec's commands
with a tiny interpreter, write CloudWatch Logs and fail as CodeBuild does;
executions advance stage by stage and run their CodeBuild actions' builds.
CodeStar Notifications (restJson, signing name codestar-notifications) is
missing from moto and emulated in memory (patch_codestar_notifications):
rules on CodeBuild projects and CodePipeline pipelines, SNS and Amazon Q
Developer (chatbot) targets, TargetStatus from the SNS topic's policy, the
service-linked role AWSServiceRoleForCodeStarNotifications created by an
account's first CreateNotificationRule, which fails (400
ConfigurationException, AWS's message) until the role has propagated.
SNS (patch_sns): email/email-json/http/https subscriptions wait for
confirmation ("pending confirmation", listed as PendingConfirmation).
TEST-ONLY hook, not in AWS: ConfirmSubscription with TopicArn and Token equal
to the pending subscription's endpoint (the email address or URL) confirms it
(it then lists with its real SubscriptionArn); any other token is 400
InvalidParameter "Invalid parameter: Token".
EventBridge PutRule validates ScheduleExpression as AWS does and PutTargets
wants a RoleArn for CodeBuild/CodePipeline/Step Functions targets
(patch_events_schedules_and_targets).

Behaviour settings (not faults: always in effect, no summary line):
  CBCTL_EMU_SLR_DELAY_SECONDS=F  (number >= 0, default 2) how long after an
      account's first CreateNotificationRule created the CodeStar
      Notifications service-linked role rule creation keeps failing 400
      ConfigurationException (AWS: up to 15 minutes). That first call always
      fails; a role created beforehand with IAM CreateServiceLinkedRole
      (AWSServiceName codestar-notifications.amazonaws.com) lets rules be
      created at once.
  CBCTL_EMU_PHASE_SECONDS=F  (number >= 0, default 0.3) the base time of
      each phase of a CodeBuild build (plus the buildspec's `sleep N`
      commands), and of each non-build pipeline action: builds and pipeline
      executions run in the background and are read live (runs.py, which
      also names the emulator's limits there).

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
      (Tagging: ThrottledException), IAM/STS/SNS 400 Throttling (XML
      ErrorResponse), CodeStar Notifications 429 ThrottlingException
      (x-amzn-ErrorType), S3 503 SlowDown.
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
      Tagging, ECR, SNS, CodeStarNotifications (or a SigV4 signing name, e.g.
      codestar-connections, codestar-notifications, sns: requests are told
      apart by the API they were sent to); Operation: its API name, or * for
      any. Throttling: SNS answers like IAM/STS (400 Throttling), CodeStar
      Notifications (restJson) 429 ThrottlingException.
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


# ------------------------------------------------------ CodeBuild webhooks --
# moto 5.2.5 has no CreateWebhook/UpdateWebhook/DeleteWebhook and no source
# credentials (ImportSourceCredentials, ListSourceCredentials,
# DeleteSourceCredentials): patch_codebuild_webhooks adds them, all refusals
# 400. codebuild_webhook_problem holds the rules on the webhook itself (the
# Rust side's offline `validate` mirrors them), InvalidInputException:
#   source type GITHUB, GITHUB_ENTERPRISE, BITBUCKET, GITLAB or
#     GITLAB_SELF_MANAGED; NO_SOURCE only with buildType
#     RUNNER_BUILDKITE_BUILD, which is for NO_SOURCE only (API_CreateWebhook);
#   not branchFilter and filterGroups together (AWS's words quoted in
#     hashicorp/terraform-provider-aws#8110); manualCreation for GITHUB only;
#     scopeConfiguration GITHUB_* scopes for GitHub/GitHub Enterprise,
#     GITLAB_GROUP for GitLab, domain for the self-hosted ones (API_CreateWebhook,
#     API ScopeConfiguration);
#   every filter group exactly one EVENT filter ("at least one": API_Webhook,
#     API_UpdateWebhook; "exactly": unconfirmed), not excluded (unconfirmed),
#     naming known events (API_WebhookFilter) that the source type delivers
#     (WEBHOOK_EVENTS_BY_SOURCE); each other filter type only with the events
#     it works with (WEBHOOK_FILTER_EVENTS, API_WebhookFilter), FILE_PATH /
#     COMMIT_MESSAGE not with GitHub Enterprise pull request events (user
#     guide github-webhook.md; CDK GitHubEnterpriseSource), REPOSITORY_NAME on
#     organization/global webhooks, ORGANIZATION_NAME on global ones
#     (API_WebhookFilter); patterns (and branchFilter) regular expressions
#     that compile and use nothing RE2 lacks (CodeBuild evaluates them with
#     RE2: user guide webhook pages; refusing at create time is unconfirmed).
# Before them: the project exists (ResourceNotFoundException "Project cannot
# be found: ARN"), has no webhook yet (CreateWebhook:
# ResourceAlreadyExistsException) or has one (Update/DeleteWebhook:
# ResourceNotFoundException "Webhook does not exist for project: NAME"); after
# them, unless source.auth is a CODECONNECTIONS connection or SECRETS_MANAGER
# secret, the Region holds a source credential of the source's server type
# (ResourceNotFoundException "Could not find access token for server type
# github": Terraform's aws_codebuild_webhook docs). The webhook is stored in
# the project's metadata, so BatchGetProjects reports it and DeleteProject
# deletes it; its secret is kept apart (CreateWebhook's answer only; none for
# Bitbucket, API_Webhook).

CODEBUILD_WEBHOOK_SOURCES = ("GITHUB", "GITHUB_ENTERPRISE", "BITBUCKET", "GITLAB", "GITLAB_SELF_MANAGED")
PULL_REQUEST_EVENTS = ("PULL_REQUEST_CREATED", "PULL_REQUEST_UPDATED", "PULL_REQUEST_CLOSED",
                       "PULL_REQUEST_REOPENED", "PULL_REQUEST_MERGED")
RELEASE_EVENTS = ("RELEASED", "PRERELEASED")
WEBHOOK_EVENTS = ("PUSH", *PULL_REQUEST_EVENTS, *RELEASE_EVENTS, "WORKFLOW_JOB_QUEUED")
# The events each source type's webhooks deliver (API_WebhookFilter; the
# GitHub, Bitbucket and GitLab "webhook events" pages of the user guide).
WEBHOOK_EVENTS_BY_SOURCE = {
    "GITHUB": WEBHOOK_EVENTS,
    "GITHUB_ENTERPRISE": tuple(e for e in WEBHOOK_EVENTS if e not in RELEASE_EVENTS),
    "BITBUCKET": ("PUSH", "PULL_REQUEST_CREATED", "PULL_REQUEST_UPDATED", "PULL_REQUEST_MERGED", "PULL_REQUEST_CLOSED"),
    "GITLAB": ("PUSH", "PULL_REQUEST_CREATED", "PULL_REQUEST_UPDATED", "PULL_REQUEST_MERGED", "PULL_REQUEST_REOPENED",
               "PULL_REQUEST_CLOSED", "RELEASED", "WORKFLOW_JOB_QUEUED"),
    "NO_SOURCE": ("WORKFLOW_JOB_QUEUED",),  # Buildkite runner webhooks (RUNNER_BUILDKITE_BUILD)
}
WEBHOOK_EVENTS_BY_SOURCE["GITLAB_SELF_MANAGED"] = WEBHOOK_EVENTS_BY_SOURCE["GITLAB"]
# Filter type -> the only events it works with (API_WebhookFilter "Works with
# ... only"); types not listed work with every event.
WEBHOOK_FILTER_EVENTS = {
    "BASE_REF": PULL_REQUEST_EVENTS,
    "FILE_PATH": ("PUSH", *PULL_REQUEST_EVENTS),
    "COMMIT_MESSAGE": ("PUSH", *PULL_REQUEST_EVENTS),
    "TAG_NAME": RELEASE_EVENTS,
    "RELEASE_NAME": RELEASE_EVENTS,
    "WORKFLOW_NAME": ("WORKFLOW_JOB_QUEUED",),
}
# GitHub Enterprise Server delivers no changed files or head commit message
# with pull request events (user guide github-webhook.md; CDK's
# GitHubEnterpriseSource refuses both).
WEBHOOK_GHES_PUSH_ONLY = ("FILE_PATH", "COMMIT_MESSAGE")
WEBHOOK_SCOPES = {"GITHUB_ORGANIZATION": ("GITHUB", "GITHUB_ENTERPRISE"), "GITHUB_GLOBAL": ("GITHUB", "GITHUB_ENTERPRISE"),
                  "GITLAB_GROUP": ("GITLAB", "GITLAB_SELF_MANAGED")}
WEBHOOK_BRANCH_AND_GROUPS = ("You cannot use branchFilter and filterGroups at the same time. "
                             "Specify the branch filter using filterGroups")


def re2_unsupported(pattern):
    """The construct of `pattern` that RE2 (which CodeBuild evaluates webhook
    filter patterns with) does not support, or None."""
    i, in_class = 0, False
    while i < len(pattern):
        c, rest = pattern[i], pattern[i:]
        if c == "\\":
            if not in_class and rest[1:2] and (rest[1] in "123456789" or rest[1] == "k"):
                return "backreferences"
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class, i = True, i + (2 if rest[1:2] == "]" else 1)
            continue
        elif rest.startswith(("(?=", "(?!", "(?<=", "(?<!")):
            return "lookahead or lookbehind"
        elif rest.startswith("(?>"):
            return "atomic groups"
        elif c in "*+?}" and rest[1:2] == "+":
            return "possessive quantifiers"
        i += 1
    return None


def webhook_pattern_problem(kind, pattern):
    """Why a filter's (or branchFilter's) regular expression is refused, or None."""
    import regex

    try:
        regex.compile(pattern)
    except Exception as e:  # noqa: BLE001 -- any compile error
        return f"Invalid regular expression in {kind} filter: {pattern} ({e})"
    construct = re2_unsupported(pattern)
    if construct:
        return (f"Invalid regular expression in {kind} filter: {pattern} (CodeBuild evaluates filter patterns "
                f"with RE2 syntax, which does not support {construct})")
    return None


def webhook_events(pattern):
    """The event names of an EVENT filter's comma-separated pattern."""
    return [item.strip() for item in (pattern or "").split(",")]


def codebuild_webhook_problem(webhook, source_type):
    """Why a webhook, as it would be stored (an UpdateWebhook's members
    applied), breaks CodeBuild's documented webhook rules for a project of
    source type `source_type`, or None (the rules in the section comment)."""
    runner = (webhook.get("buildType") or "BUILD") == "RUNNER_BUILDKITE_BUILD"
    if source_type not in CODEBUILD_WEBHOOK_SOURCES and not (source_type == "NO_SOURCE" and runner):
        return f"Webhooks are not supported for source type {source_type}"
    if runner and source_type != "NO_SOURCE":
        return "Build type RUNNER_BUILDKITE_BUILD is only available for NO_SOURCE projects configured for Buildkite runner builds"
    if webhook.get("branchFilter") and webhook.get("filterGroups"):
        return WEBHOOK_BRANCH_AND_GROUPS
    if webhook.get("branchFilter"):
        problem = webhook_pattern_problem("branchFilter", webhook["branchFilter"])
        if problem:
            return problem
    if webhook.get("manualCreation") and source_type != "GITHUB":
        return "manualCreation is only available for GitHub webhooks"
    scope = webhook.get("scopeConfiguration") or {}
    if scope:
        kind = scope.get("scope") or "GITHUB_ORGANIZATION"
        if source_type not in WEBHOOK_SCOPES.get(kind, ()):
            return f"Scope {kind} is not available for source type {source_type}"
        if source_type in ("GITHUB_ENTERPRISE", "GITLAB_SELF_MANAGED") and not scope.get("domain"):
            return f"scopeConfiguration.domain is required for source type {source_type}"
    for number, group in enumerate(webhook.get("filterGroups") or [], 1):
        problem = webhook_filter_group_problem(number, group, source_type, scope)
        if problem:
            return problem
    return None


def webhook_filter_group_problem(number, group, source_type, scope):
    """One filter group's rules (numbered from 1 in the messages)."""
    events = [f for f in group if f.get("type") == "EVENT"]
    if len(events) != 1:
        found = "no EVENT filter" if not events else f"{len(events)} EVENT filters"
        return f"Filter group {number} has {found}; every filter group needs exactly one EVENT filter"
    if events[0].get("excludeMatchedPattern"):
        return f"Filter group {number}: an EVENT filter cannot have excludeMatchedPattern true"
    names = webhook_events(events[0].get("pattern"))
    for name in names:
        if name not in WEBHOOK_EVENTS:
            return (f"Filter group {number}: invalid event type {name!r} in EVENT filter; "
                    f"valid event types are {', '.join(WEBHOOK_EVENTS)}")
        if name not in WEBHOOK_EVENTS_BY_SOURCE.get(source_type, ()):
            return f"Filter group {number}: event type {name} is not supported for source type {source_type}"
    for webhook_filter in group:
        kind, pattern = webhook_filter.get("type"), webhook_filter.get("pattern")
        if kind == "EVENT":
            continue
        allowed = WEBHOOK_FILTER_EVENTS.get(kind)
        wrong = [e for e in names if allowed is not None and e not in allowed]
        if wrong:
            return (f"Filter group {number}: filter type {kind} cannot be used with event {wrong[0]}; "
                    f"it works with {', '.join(allowed)} only")
        if source_type == "GITHUB_ENTERPRISE" and kind in WEBHOOK_GHES_PUSH_ONLY:
            pull = [e for e in names if e in PULL_REQUEST_EVENTS]
            if pull:
                return (f"Filter group {number}: filter type {kind} cannot be used with GitHub Enterprise Server "
                        f"pull request events ({pull[0]})")
        if kind == "REPOSITORY_NAME" and not scope:
            return f"Filter group {number}: filter type REPOSITORY_NAME works with GitHub global or organization webhooks only"
        if kind == "ORGANIZATION_NAME" and (scope.get("scope") or "GITHUB_ORGANIZATION") != "GITHUB_GLOBAL":
            return f"Filter group {number}: filter type ORGANIZATION_NAME works with GitHub global webhooks only"
        problem = webhook_pattern_problem(kind, pattern)
        if problem:
            return f"Filter group {number}: {problem}"
    return None


def webhook_hook_url(source, scope):
    """The repository-side webhook URL CodeBuild reports, or None when it
    creates none (Buildkite). Only the GitHub form is confirmed
    (https://api.github.com/repos/OWNER/REPO/hooks/N, cloudtools/
    troposphere#1372); the others follow each provider's REST API."""
    number = random.randint(10**8, 10**9 - 1)
    location = (source.get("location") or "").removesuffix(".git")
    parsed = urllib.parse.urlparse(location)
    host, path = parsed.netloc or "github.com", parsed.path.strip("/")
    kind = source.get("type")
    if scope:
        name = scope.get("name")
        if kind == "GITHUB":
            return f"https://api.github.com/orgs/{name}/hooks/{number}"
        domain = scope.get("domain") or host
        if kind == "GITHUB_ENTERPRISE":
            return f"https://{domain}/api/v3/orgs/{name}/hooks/{number}"
        return f"https://{domain}/api/v4/groups/{urllib.parse.quote(name or '', safe='')}/hooks/{number}"
    if kind == "GITHUB":
        return f"https://api.github.com/repos/{path}/hooks/{number}"
    if kind == "GITHUB_ENTERPRISE":
        return f"https://{host}/api/v3/repos/{path}/hooks/{number}"
    if kind == "BITBUCKET":
        return f"https://api.bitbucket.org/2.0/repositories/{path}/hooks/%7B{uuid.uuid4()}%7D"
    if kind in ("GITLAB", "GITLAB_SELF_MANAGED"):
        return f"https://{host}/api/v4/projects/{urllib.parse.quote(path, safe='')}/hooks/{number}"
    return None


# Source credentials: serverType -> the token ARN's last part
SOURCE_CREDENTIAL_AUTH_TYPES = ("OAUTH", "BASIC_AUTH", "PERSONAL_ACCESS_TOKEN", "CODECONNECTIONS", "SECRETS_MANAGER")
SOURCE_CREDENTIAL_RESOURCE = {
    # authType -> the ARN `token` must be, and what it names
    "CODECONNECTIONS": (r"arn:aws[\w-]*:(codeconnections|codestar-connections):[\w-]+:\d{12}:connection/[\w-]+", "connection"),
    "SECRETS_MANAGER": (r"arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:.+", "secret"),
}


def codebuild_source_credentials(backend):
    """serverType -> stored credential ({arn, serverType, authType[, resource]},
    plus the token, never answered), kept on the CodeBuild backend so that
    /moto-api/reset forgets it."""
    return backend.__dict__.setdefault("cbctl_source_credentials", {})


def patch_codebuild_webhooks():
    from moto.codebuild import responses as cbr
    from moto.codebuild.exceptions import (
        InvalidInputException,
        ResourceAlreadyExistsException,
        ResourceNotFoundException,
    )
    from moto.core.responses import ActionResult

    SECRET = "cbctl_webhook_secret"  # on the project object, never in its metadata

    def project_named(self):
        name = self._get_param("projectName")
        project = self.codebuild_backend.codebuild_projects.get(name)
        if project is None:
            raise ResourceNotFoundException(
                f"Project cannot be found: arn:{aws_partition(self.region)}:codebuild:{self.region}:"
                f"{self.current_account}:project/{name}")
        return project

    def requested(self):
        """The webhook members the request sends, in their stored form."""
        request = _body(self)
        sent = {k: copy.deepcopy(request[k]) for k in ("branchFilter", "filterGroups", "buildType", "scopeConfiguration",
                                                       "manualCreation", "pullRequestBuildPolicy") if k in request}
        for group in sent.get("filterGroups") or []:
            for webhook_filter in group:
                webhook_filter.setdefault("excludeMatchedPattern", False)
        return sent

    def settle(webhook):
        """Empty members removed, as they read back."""
        if not webhook.get("branchFilter"):
            webhook.pop("branchFilter", None)
        if not webhook.get("filterGroups"):
            webhook.pop("filterGroups", None)
        webhook.setdefault("buildType", "BUILD")
        return webhook

    def check(self, project, webhook):
        source = project.project_metadata.get("source") or {}
        problem = codebuild_webhook_problem(webhook, source.get("type"))
        if problem:
            raise InvalidInputException(problem)
        if source.get("type") in CODEBUILD_WEBHOOK_SOURCES:
            require_source_credentials(self, source)

    def require_source_credentials(self, source):
        auth = source.get("auth") or {}
        if auth.get("type") in ("CODECONNECTIONS", "SECRETS_MANAGER") and auth.get("resource"):
            return  # project-level credentials
        if source["type"] not in codebuild_source_credentials(self.codebuild_backend):
            raise ResourceNotFoundException(f"Could not find access token for server type {source['type'].lower()}")

    def new_secret():
        return base64.b64encode(os.urandom(30)).decode().rstrip("=").replace("+", "A").replace("/", "B")

    def create_webhook(self):
        project = project_named(self)
        meta = project.project_metadata
        if meta.get("webhook"):
            raise ResourceAlreadyExistsException(f"Webhook already exists for project: {meta['name']}")
        webhook = requested(self)
        if webhook.get("branchFilter") and webhook.get("filterGroups"):
            raise InvalidInputException(WEBHOOK_BRANCH_AND_GROUPS)
        settle(webhook)
        check(self, project, webhook)
        token = base64.urlsafe_b64encode(os.urandom(96)).decode().rstrip("=")
        webhook["payloadUrl"] = f"https://codebuild.{self.region}.amazonaws.com/webhooks?t={token}&v=1"
        url = None if webhook.get("manualCreation") else webhook_hook_url(meta["source"], webhook.get("scopeConfiguration"))
        if url:
            webhook["url"] = url
        webhook["lastModifiedSecret"] = time.time()
        webhook["status"] = "ACTIVE"
        meta["webhook"] = webhook
        project.__dict__[SECRET] = new_secret()
        answer = dict(webhook)
        if meta["source"].get("type") != "BITBUCKET":  # "A Bitbucket webhook does not support secret"
            answer["secret"] = project.__dict__[SECRET]
        return ActionResult({"webhook": answer})

    def stored_webhook(project):
        webhook = project.project_metadata.get("webhook")
        if not webhook:
            raise ResourceNotFoundException(f"Webhook does not exist for project: {project.project_metadata['name']}")
        return webhook

    def update_webhook(self):
        project = project_named(self)
        stored, sent = copy.deepcopy(stored_webhook(project)), requested(self)
        if sent.get("branchFilter") and sent.get("filterGroups"):
            raise InvalidInputException(WEBHOOK_BRANCH_AND_GROUPS)
        # One of the two sent replaces the other stored (Terraform switches
        # between them this way).
        for one, other in (("branchFilter", "filterGroups"), ("filterGroups", "branchFilter")):
            if sent.get(one):
                stored.pop(other, None)
        webhook = settle({**stored, **sent})
        check(self, project, webhook)
        if self._get_param("rotateSecret"):
            project.__dict__[SECRET] = new_secret()
            webhook["lastModifiedSecret"] = time.time()
        project.project_metadata["webhook"] = webhook
        return ActionResult({"webhook": webhook})

    def delete_webhook(self):
        project = project_named(self)
        stored_webhook(project)
        del project.project_metadata["webhook"]
        project.__dict__.pop(SECRET, None)
        return ActionResult({})

    def import_source_credentials(self):
        # ImportSourceCredentials: one credential per serverType; shouldOverwrite (default true) false
        # with one present is ResourceAlreadyExistsException; OAUTH "is not
        # supported by the API and must be created using the CodeBuild
        # console"; username only (and always) with BASIC_AUTH; for
        # CODECONNECTIONS / SECRETS_MANAGER the token is the connection /
        # secret ARN and is reported as `resource`. The token is never answered.
        server, auth, token = self._get_param("serverType"), self._get_param("authType"), self._get_param("token")
        username, overwrite = self._get_param("username"), self._get_param("shouldOverwrite")
        if auth == "OAUTH":
            raise InvalidInputException("An OAUTH connection is not supported by the API and must be created using the CodeBuild console")
        if (auth == "BASIC_AUTH") != bool(username):
            raise InvalidInputException("username is required with authType BASIC_AUTH and not valid with any other authType"
                                        if auth == "BASIC_AUTH" else
                                        f"username is not valid with authType {auth}; it is for BASIC_AUTH (Bitbucket) only")
        if auth in SOURCE_CREDENTIAL_RESOURCE:
            pattern, what = SOURCE_CREDENTIAL_RESOURCE[auth]
            if not re.fullmatch(pattern, token or ""):
                raise InvalidInputException(f"Invalid token: with authType {auth} the token must be the ARN of a {what}")
        store = codebuild_source_credentials(self.codebuild_backend)
        if server in store and overwrite is False:
            raise ResourceAlreadyExistsException(f"Source credentials already exist for server type {server.lower()}")
        arn = f"arn:{aws_partition(self.region)}:codebuild:{self.region}:{self.current_account}:token/{server.lower()}"
        record = {"arn": arn, "serverType": server, "authType": auth}
        if auth in SOURCE_CREDENTIAL_RESOURCE:
            record["resource"] = token
        store[server] = {**record, "cbctl_token": token}
        return ActionResult({"arn": arn})

    def list_source_credentials(self):
        store = codebuild_source_credentials(self.codebuild_backend)
        infos = [{k: v for k, v in r.items() if k != "cbctl_token"} for r in store.values()]
        return ActionResult({"sourceCredentialsInfos": infos})

    def delete_source_credentials(self):
        arn, store = self._get_param("arn"), codebuild_source_credentials(self.codebuild_backend)
        server = next((s for s, r in store.items() if r["arn"] == arn), None)
        if server is None:
            raise ResourceNotFoundException(f"Could not find source credentials for arn: {arn}")
        del store[server]
        return ActionResult({"arn": arn})

    for fn in (create_webhook, update_webhook, delete_webhook, import_source_credentials, list_source_credentials,
               delete_source_credentials):
        setattr(cbr.CodeBuildResponse, fn.__name__, fn)


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

    def backend(account, partition):
        found = iam_models.iam_backends[account][partition]
        with lock:  # once per backend; /moto-api/reset clears the mark with the rest
            if not found.__dict__.get("cbctl_aws_policies"):
                load(found)
                found.cbctl_aws_policies = True
        return found

    global iam_backend
    iam_backend = backend
    IamResponse.backend = property(lambda self: backend(self.current_account, self.partition))


def iam_backend(account, partition):
    """moto's IAM backend of an account and partition, AWS managed policies
    loaded (patch_iam_aws_managed_policies replaces this)."""
    from moto.iam.models import iam_backends

    return iam_backends[account][partition]


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


# ---------------------------------------------------- CodeStar Notifications --
# Event types per resource type: (ARN service, ServiceName, ResourceType) ->
# {EventTypeId: EventTypeName} ("Events for notification rules on build
# projects / pipelines", Developer Tools console user guide; names are
# "Category: Event" as ListEventTypes answers them, e.g. "Deployment:
# Succeeded" in the AWS CLI's list-event-types example).
def _pipeline_events():
    kinds = (("action-execution", "Action execution", ("succeeded", "failed", "canceled", "started")),
             ("stage-execution", "Stage execution", ("started", "succeeded", "resumed", "canceled", "failed")),
             ("pipeline-execution", "Pipeline execution", ("failed", "canceled", "started", "resumed", "succeeded", "superseded")),
             ("manual-approval", "Manual approval", ("failed", "needed", "succeeded")))
    return {f"codepipeline-pipeline-{kind}-{event}": f"{category}: {event.capitalize()}"
            for kind, category, events in kinds for event in events}


NOTIFICATION_EVENT_TYPES = {
    ("codebuild", "CodeBuild", "Project"): {
        "codebuild-project-build-state-failed": "Build state: Failed",
        "codebuild-project-build-state-succeeded": "Build state: Succeeded",
        "codebuild-project-build-state-in-progress": "Build state: In-progress",
        "codebuild-project-build-state-stopped": "Build state: Stopped",
        "codebuild-project-build-phase-failure": "Build phase: Failure",
        "codebuild-project-build-phase-success": "Build phase: Success",
    },
    ("codepipeline", "CodePipeline", "Pipeline"): _pipeline_events(),
}
NOTIFICATION_TARGET_TYPES = {  # TargetType -> the ARN its TargetAddress must be
    "SNS": r"arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+(\.fifo)?",
    "AWSChatbotSlack": r"arn:aws[\w-]*:chatbot:[\w-]*:\d{12}:chat-configuration/.+",
    "AWSChatbotMicrosoftTeams": r"arn:aws[\w-]*:chatbot:[\w-]*:\d{12}:chat-configuration/.+",
}
NOTIFICATION_SLR = "AWSServiceRoleForCodeStarNotifications"
NOTIFICATION_SLR_SERVICE = "codestar-notifications.amazonaws.com"
NOTIFICATION_SLR_POLICY = "arn:aws:iam::aws:policy/aws-service-role/AWSCodeStarNotificationsServiceRolePolicy"
# AWS's words, typo included (aws-ia/ecs-blueprints#58, kjagiello/terraform-
# aws-codepipeline-slack-notifications#33).
NOTIFICATION_SLR_MESSAGE = (
    "AWS CodeStar Notifications could not create the AWS CloudWatch Events managed rule in your AWS account. "
    "If this is your first time creating a notification rule, the service-linked role for AWS CodeStar "
    "Notifications might not yet exist. Creation of this role might take up to 15 minutes. Until it exists, "
    "notification rule creation will fail. Wait 15 minutes, and then try again. If this is is not the first time "
    "you are creating a notification rule, there might be a problem with a network connection, or one or more "
    "AWS services might be experiencing issues. Verify your network connection and check to see if there are any "
    "issues with AWS services in your AWS Region before trying again.")
NOTIFICATION_RULES_PER_RESOURCE = 10  # "Maximum number of notification rules for a resource" (quotas)


def notification_event_types():
    """Every EventTypeSummary, as ListEventTypes answers it."""
    return [{"EventTypeId": event_id, "ServiceName": service, "EventTypeName": name, "ResourceType": resource_type}
            for (_, service, resource_type), events in NOTIFICATION_EVENT_TYPES.items()
            for event_id, name in events.items()]


def sns_topic_publishable_by_codestar(topic_arn, rule_arn):
    """Whether the SNS topic exists and its access policy lets CodeStar
    Notifications (principal service codestar-notifications.amazonaws.com)
    sns:Publish to it -- the "SNS topic policy" AWS's console sets up and a
    rule's target needs (TargetStatus ACTIVE, else UNREACHABLE; AWS's default
    topic policy does not). Conditions
    on aws:SourceAccount / AWS:SourceOwner / aws:SourceArn are evaluated
    (StringEquals/StringLike/ArnEquals/ArnLike); other condition keys are
    taken to hold (unconfirmed)."""
    from moto.sns.models import sns_backends

    parts = topic_arn.split(":")
    topic = sns_backends[parts[4]][parts[3]].topics.get(topic_arn) if len(parts) >= 6 else None
    if topic is None:
        return False
    account = rule_arn.split(":")[4]
    context = {"aws:sourceaccount": account, "aws:sourceowner": account, "aws:sourcearn": rule_arn}

    def listed(value):
        return value if isinstance(value, list) else [value]

    def covers(statement):
        # A service must be named as one: {"AWS": "*"} (AWS's default topic
        # policy, limited to the owner account) does not let it publish, as
        # S3 and EventBridge targets need their service principal too.
        principal = statement.get("Principal")
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        if not (principal == "*" or NOTIFICATION_SLR_SERVICE in listed(services)):
            return False
        if not any(a.lower() in ("sns:publish", "sns:*", "*") for a in listed(statement.get("Action", []))):
            return False
        if not any(r in ("*", topic_arn) or fnmatch_arn(r, topic_arn) for r in listed(statement.get("Resource", []))):
            return False
        for operator, tests in (statement.get("Condition") or {}).items():
            for key, expected in tests.items():
                actual = context.get(key.lower())
                if actual is None:
                    continue
                like = "Like" in operator
                if not any(fnmatch_arn(e, actual) if like else e == actual for e in listed(expected)):
                    return False
        return True

    statements = listed(json.loads(topic.policy).get("Statement", []))
    if any(s.get("Effect") == "Deny" and covers(s) for s in statements):
        return False
    return any(s.get("Effect") == "Allow" and covers(s) for s in statements)


def fnmatch_arn(pattern, value):
    return re.fullmatch(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."), value) is not None


def patch_codestar_notifications(slr_delay):
    # moto 5.2.5 has no CodeStar Notifications: an in-memory implementation
    # of its 13 operations (restJson1, POST /<operation>), registered as the
    # moto backend "codestar-notifications" (so /moto-api/reset clears it)
    # and routed by the SigV4 credential scope like any other service.
    # Behaviour (see the module docstring): rules watch a CodeBuild project
    # or CodePipeline pipeline of the same account and Region; the first
    # CreateNotificationRule of an account without the service-linked role
    # creates the role and fails 400 ConfigurationException until
    # `slr_delay` seconds (CBCTL_EMU_SLR_DELAY_SECONDS) have passed.
    import types

    import moto.backend_index
    from moto.core.base_backend import BackendDict, BaseBackend
    from moto.core.responses import BaseResponse
    from moto.iam import models as iam_models
    from moto.iam.exceptions import NotFoundException

    # moto names the role of "codestar-notifications.amazonaws.com"
    # AWSServiceRoleForcodestar-notifications; IAM names it
    # AWSServiceRoleForCodeStarNotifications.
    iam_models.SERVICE_NAME_CONVERSION["codestar-notifications"] = "CodeStarNotifications"

    class Failure(Exception):
        def __init__(self, code, message, status=400):
            super().__init__(message)
            self.code, self.message, self.status = code, message, status

    def validation(message):
        return Failure("ValidationException", message)

    def not_found(arn):
        return Failure("ResourceNotFoundException", f"Notification rule {arn} does not exist", 404)

    class Backend(BaseBackend):
        def __init__(self, region_name, account_id):
            super().__init__(region_name, account_id)
            self.rules = {}  # ARN -> rule record, in creation order
            self.tokens = {}  # ClientRequestToken -> (request, ARN)
            self.lock = threading.Lock()

        def find(self, arn):
            rule = self.rules.get(arn)
            if rule is None:
                raise not_found(arn)
            return rule

    def event_summary(event_id):
        for (_, service, resource_type), events in NOTIFICATION_EVENT_TYPES.items():
            if event_id in events:
                return {"EventTypeId": event_id, "ServiceName": service, "EventTypeName": events[event_id],
                        "ResourceType": resource_type}
        return None

    def target_status(target, rule_arn):
        if target["TargetType"] != "SNS":
            return "ACTIVE"  # Amazon Q Developer in chat applications clients: accepted as given
        return "ACTIVE" if sns_topic_publishable_by_codestar(target["TargetAddress"], rule_arn) else "UNREACHABLE"

    class Response(BaseResponse):
        def __init__(self):
            super().__init__(service_name="codestar-notifications")

        # -- rules on members --
        def watched_resource(self, arn):
            """The (ARN service, ServiceName, ResourceType) key of the resource
            a rule watches; it must exist in this account and Region."""
            from moto.codebuild.models import codebuild_backends
            from moto.codepipeline.models import codepipeline_backends

            parts = arn.split(":", 5)
            if (parts[3], parts[4]) != (self.region, self.current_account):
                raise validation(f"The resource {arn} must be in the same account and Region as the notification rule")
            if parts[2] == "codebuild" and parts[5].startswith("project/"):
                found = parts[5][len("project/"):] in codebuild_backends[self.current_account][self.region].codebuild_projects
            elif parts[2] == "codepipeline" and "/" not in parts[5]:
                found = parts[5] in codepipeline_backends[self.current_account][self.region].pipelines
            else:
                raise validation(f"Resource {arn} is not supported: launcher.py emulates notification rules on "
                                 "CodeBuild projects and CodePipeline pipelines")
            if not found:
                raise validation(f"Resource {arn} does not exist")
            return next(key for key in NOTIFICATION_EVENT_TYPES if key[0] == parts[2])

        @staticmethod
        def checked_events(event_ids, resource_key):
            if not event_ids:
                raise validation("EventTypeIds must contain at least one event type")
            for event_id in event_ids:
                if event_id not in NOTIFICATION_EVENT_TYPES[resource_key]:
                    raise validation(f"Event type {event_id} is not valid for resource type {resource_key[2]} "
                                     f"of {resource_key[1]}")
            return list(dict.fromkeys(event_ids))

        @staticmethod
        def checked_targets(targets):
            if len(targets) > 10:
                raise validation("A notification rule can have at most 10 targets")
            for target in targets:
                kind, address = target.get("TargetType"), target.get("TargetAddress")
                if kind not in NOTIFICATION_TARGET_TYPES:
                    raise validation(f"Invalid TargetType {kind}: must be SNS, AWSChatbotSlack or AWSChatbotMicrosoftTeams")
                if not re.fullmatch(NOTIFICATION_TARGET_TYPES[kind], address or ""):
                    raise validation(f"Invalid TargetAddress {address} for TargetType {kind}")
            unique = {t["TargetAddress"]: {"TargetType": t["TargetType"], "TargetAddress": t["TargetAddress"]} for t in targets}
            return list(unique.values())

        @staticmethod
        def checked_tags(tags, have=None):
            if any(key.lower().startswith("aws:") for key in tags):
                raise validation("Tag keys cannot start with aws:")
            if len({**(have or {}), **tags}) > 50:
                raise Failure("LimitExceededException", "A notification rule can have at most 50 tags")
            return dict(tags)

        def require_service_linked_role(self):
            """AWS creates the service-linked role on the first rule of an
            account; rules fail until it has propagated."""
            backend = iam_backend(self.current_account, self.partition)
            created = backend.__dict__.setdefault("cbctl_codestar_slr_created", {})  # role id -> monotonic time
            try:
                role = backend.get_role(NOTIFICATION_SLR)
            except NotFoundException:
                role = backend.create_service_linked_role(NOTIFICATION_SLR_SERVICE, "", "")
                if NOTIFICATION_SLR_POLICY in backend.managed_policies:
                    backend.attach_role_policy(NOTIFICATION_SLR_POLICY, role.name)
                created[role.id] = time.monotonic()
                raise Failure("ConfigurationException", NOTIFICATION_SLR_MESSAGE)  # the role did not exist
            if role.id in created and time.monotonic() - created[role.id] < slr_delay:
                raise Failure("ConfigurationException", NOTIFICATION_SLR_MESSAGE)

        def describe(self, rule):
            return {
                "Arn": rule["Arn"], "Name": rule["Name"],
                "EventTypes": [event_summary(e) for e in rule["EventTypeIds"]],
                "Resource": rule["Resource"],
                "Targets": [{**t, "TargetStatus": target_status(t, rule["Arn"])} for t in rule["Targets"]],
                "DetailType": rule["DetailType"], "CreatedBy": rule["CreatedBy"], "Status": rule["Status"],
                "CreatedTimestamp": rule["CreatedTimestamp"], "LastModifiedTimestamp": rule["LastModifiedTimestamp"],
                "Tags": dict(rule["Tags"]),
            }

        @staticmethod
        def page(items, request, key, default_size=100):
            limit, token = request.get("MaxResults") or default_size, request.get("NextToken")
            if token is not None and not str(token).isdigit():
                raise Failure("InvalidNextTokenException", "The specified NextToken is not valid.")
            start = int(token or 0)
            result = {key: items[start : start + limit]}
            if start + limit < len(items):
                result["NextToken"] = str(start + limit)
            return result

        @staticmethod
        def matches(filters, values_of):
            """Filters of one name are ORed, of different names ANDed."""
            wanted = collections.defaultdict(set)
            for f in filters or []:
                wanted[f.get("Name")].add(f.get("Value"))
            return all(values_of(name) & values for name, values in wanted.items())

        # -- operations: request dict -> result dict --
        def create_notification_rule(self, backend, request):
            token = request.get("ClientRequestToken")
            if token and token in backend.tokens:
                earlier, arn = backend.tokens[token]
                if earlier != request:
                    raise validation(f"ClientRequestToken {token} was already used with different parameters")
                if arn in backend.rules:
                    return {"Arn": arn}
            name = request["Name"]
            if any(r["Name"] == name for r in backend.rules.values()):
                raise Failure("ResourceAlreadyExistsException",
                              "The notification rule was not created because another notification rule already exists "
                              "with the same name. Notification rule names must be unique within an AWS account", 409)
            resource_key = self.watched_resource(request["Resource"])
            events = self.checked_events(request["EventTypeIds"], resource_key)
            targets = self.checked_targets(request["Targets"])
            tags = self.checked_tags(request.get("Tags") or {})
            if sum(r["Resource"] == request["Resource"] for r in backend.rules.values()) >= NOTIFICATION_RULES_PER_RESOURCE:
                raise Failure("LimitExceededException",
                              f"A resource can have at most {NOTIFICATION_RULES_PER_RESOURCE} notification rules")
            self.require_service_linked_role()
            rule_id = hashlib.sha1(f"{uuid.uuid4()}".encode()).hexdigest()
            arn = f"arn:{self.partition}:codestar-notifications:{self.region}:{self.current_account}:notificationrule/{rule_id}"
            now = time.time()
            with backend.lock:
                backend.rules[arn] = {
                    "Id": rule_id, "Arn": arn, "Name": name, "EventTypeIds": events, "Resource": request["Resource"],
                    "Targets": targets, "DetailType": request["DetailType"], "Status": request.get("Status") or "ENABLED",
                    "CreatedBy": f"arn:{self.partition}:iam::{self.current_account}:root",
                    "CreatedTimestamp": now, "LastModifiedTimestamp": now, "Tags": tags,
                }
                if token:
                    backend.tokens[token] = (request, arn)
            if tags:
                note_tag_change(backend, arn)
            return {"Arn": arn}

        def describe_notification_rule(self, backend, request):
            return self.describe(backend.find(request["Arn"]))

        def list_notification_rules(self, backend, request):
            def values_of(rule):
                return lambda name: {"EVENT_TYPE_ID": set(rule["EventTypeIds"]), "CREATED_BY": {rule["CreatedBy"]},
                                     "RESOURCE": {rule["Resource"]},
                                     "TARGET_ADDRESS": {t["TargetAddress"] for t in rule["Targets"]}}.get(name, set())

            found = [{"Id": r["Id"], "Arn": r["Arn"]} for r in backend.rules.values()
                     if self.matches(request.get("Filters"), values_of(r))]
            return self.page(found, request, "NotificationRules")

        def update_notification_rule(self, backend, request):
            rule = backend.find(request["Arn"])
            changes = {}
            if "Name" in request:
                if any(r["Name"] == request["Name"] and r is not rule for r in backend.rules.values()):
                    raise validation("Notification rule names must be unique within an AWS account; "
                                     f"another notification rule is named {request['Name']}")
                changes["Name"] = request["Name"]
            if "EventTypeIds" in request:
                changes["EventTypeIds"] = self.checked_events(request["EventTypeIds"], self.watched_key(rule))
            if "Targets" in request:
                changes["Targets"] = self.checked_targets(request["Targets"])
            for key in ("Status", "DetailType"):
                if key in request:
                    changes[key] = request[key]
            with backend.lock:
                rule.update(changes, LastModifiedTimestamp=time.time())
            return {}

        @staticmethod
        def watched_key(rule):
            service = rule["Resource"].split(":")[2]
            return next(key for key in NOTIFICATION_EVENT_TYPES if key[0] == service)

        def delete_notification_rule(self, backend, request):
            # Real AWS: deleting a rule that does not exist succeeds (no
            # ResourceNotFoundException in the operation's errors).
            with backend.lock:
                backend.rules.pop(request["Arn"], None)
            tag_changes(backend).pop(request["Arn"], None)
            return {"Arn": request["Arn"]}

        def subscribe(self, backend, request):
            rule = backend.find(request["Arn"])
            target = self.checked_targets([request["Target"]])[0]
            if target["TargetAddress"] not in {t["TargetAddress"] for t in rule["Targets"]}:
                self.checked_targets([*rule["Targets"], target])
                with backend.lock:
                    rule["Targets"].append(target)
                    rule["LastModifiedTimestamp"] = time.time()
            return {"Arn": rule["Arn"]}

        def unsubscribe(self, backend, request):
            # Only ValidationException is modelled: an unknown rule or target is no error.
            rule = backend.rules.get(request["Arn"])
            if rule is not None:
                with backend.lock:
                    rule["Targets"] = [t for t in rule["Targets"] if t["TargetAddress"] != request["TargetAddress"]]
            return {"Arn": request["Arn"]}

        def all_targets(self, backend):
            targets = {}
            for rule in backend.rules.values():
                for target in rule["Targets"]:
                    status = target_status(target, rule["Arn"])
                    targets.setdefault(target["TargetAddress"], {**target, "TargetStatus": status})
            return list(targets.values())

        def list_targets(self, backend, request):
            found = [t for t in self.all_targets(backend)
                     if self.matches(request.get("Filters"), lambda name, t=t: {
                         "TARGET_TYPE": {t["TargetType"]}, "TARGET_ADDRESS": {t["TargetAddress"]},
                         "TARGET_STATUS": {t["TargetStatus"]}}.get(name, set()))]
            return self.page(found, request, "Targets")

        def delete_target(self, backend, request):
            address = request["TargetAddress"]
            using = [r for r in backend.rules.values() if address in {t["TargetAddress"] for t in r["Targets"]}]
            if using and not request.get("ForceUnsubscribeAll"):
                raise validation(f"Target {address} is still associated with {len(using)} notification rule(s); "
                                 "unsubscribe it first or set ForceUnsubscribeAll")
            with backend.lock:
                for rule in using:
                    rule["Targets"] = [t for t in rule["Targets"] if t["TargetAddress"] != address]
            return {}

        def list_event_types(self, backend, request):
            found = [e for e in notification_event_types()
                     if self.matches(request.get("Filters"), lambda name, e=e: {
                         "RESOURCE_TYPE": {e["ResourceType"]}, "SERVICE_NAME": {e["ServiceName"]}}.get(name, set()))]
            return self.page(found, request, "EventTypes", default_size=50)

        def tag_resource(self, backend, request):
            rule = backend.find(request["Arn"])
            tags = self.checked_tags(request["Tags"], rule["Tags"])
            with backend.lock:
                rule["Tags"].update(tags)
            note_tag_change(backend, rule["Arn"])
            return {"Tags": dict(rule["Tags"])}

        def untag_resource(self, backend, request):
            rule = backend.find(request["Arn"])
            with backend.lock:
                for key in request.get("TagKeys") or []:
                    rule["Tags"].pop(key, None)
            note_tag_change(backend, rule["Arn"])
            return {}

        def list_tags_for_resource(self, backend, request):
            return {"Tags": dict(backend.find(request["Arn"])["Tags"])}

        # -- the wire --
        def handle(self, request, full_url, headers):
            self.setup_class(request, full_url, headers, use_raw_body=True)
            path = urllib.parse.urlsplit(full_url).path
            m = re.fullmatch(r"/([A-Za-z]+)(?:/(.+))?", path)
            operation = m and m[1][:1].upper() + m[1][1:]
            handler = getattr(self, camel_to_snake(operation or ""), None) if operation in NOTIFICATION_OPERATIONS else None

            def reply(status, body, code=None):
                headers = {"Content-Type": "application/json"}
                if code:
                    headers["x-amzn-ErrorType"] = code
                return status, headers, json.dumps(body)

            if handler is None or self.method != "POST":
                return reply(404, {"message": f"Unknown operation {self.method} {path}"}, "UnknownOperationException")
            try:
                body = json.loads(self.raw_body or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("not an object")
            except ValueError:
                return reply(400, {"message": "Could not parse the request body"}, "SerializationException")
            if operation == "UntagResource":
                body["Arn"] = urllib.parse.unquote(m[2] or "")
                body["TagKeys"] = urllib.parse.parse_qs(urllib.parse.urlsplit(full_url).query).get("tagKeys", [])
            backend = backends[self.current_account][self.region]
            try:
                return reply(200, handler(backend, body))
            except Failure as e:
                return reply(e.status, {"message": e.message}, e.code)

    def notifications_dispatch(request, full_url, headers):
        return Response().handle(request, full_url, headers)

    Backend._url_module = types.SimpleNamespace(
        url_bases=[r"https?://codestar-notifications\.(.+)\.amazonaws\.com"],
        url_paths={"{0}/(?P<operation>[A-Za-z]+)$": notifications_dispatch,
                   "{0}/untagResource/(?P<arn>.+)$": notifications_dispatch},
    )
    import botocore.session

    regions = botocore.session.get_session().get_available_regions("codestar-notifications")
    backends = BackendDict(Backend, "codestar-notifications", additional_regions=regions)
    module = types.ModuleType("moto.codestarnotifications")
    module.codestarnotifications_backends = backends
    sys.modules[module.__name__] = module
    moto.backend_index.backend_url_patterns.append(
        ("codestar-notifications", re.compile(r"https?://codestar-notifications\.(.+)\.amazonaws\.com")))
    global codestar_notification_backends
    codestar_notification_backends = backends


NOTIFICATION_OPERATIONS = ("CreateNotificationRule", "DescribeNotificationRule", "ListNotificationRules",
                           "UpdateNotificationRule", "DeleteNotificationRule", "Subscribe", "Unsubscribe",
                           "ListTargets", "DeleteTarget", "ListEventTypes", "TagResource", "UntagResource",
                           "ListTagsForResource")
codestar_notification_backends = None  # set by patch_codestar_notifications


def camel_to_snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


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


def patch_pipeline_transitions():
    """CodePipeline stage transitions, which moto lacks: GetPipelineState answers
    each stage's inboundTransitionState (none for the first stage, which has no
    transition into it: an unconfirmed choice), EnableStageTransition and
    DisableStageTransition (Inbound only; `reason` is checked against botocore's
    pattern by the strict request checks) set it, and a transition survives
    UpdatePipeline while its stage keeps its name. PipelineNotFoundException and
    StageNotFoundException as AWS words them."""
    from moto.codepipeline.responses import CodePipelineResponse
    from moto.core.exceptions import JsonRESTError
    from moto.core.utils import unix_time
    import datetime

    pipeline_of = runs_module().pipeline_of

    def transitions(p):
        return p.__dict__.setdefault("cbctl_transitions", {})

    def get_pipeline_state(self):
        name = self._get_param("name")
        p = pipeline_of(self, name)
        states = []
        for i, stage in enumerate(p.pipeline.get("stages", [])):
            # latestExecution, inboundExecution and actionStates: runs.stage_state
            state = {"stageName": stage["name"], **runs_module().stage_state(p, stage, self.region)}
            if i > 0:
                enabled, reason, at = transitions(p).get(stage["name"], (True, None, None))
                inbound = {"enabled": enabled}
                if at is not None:
                    inbound.update({"lastChangedBy": f"arn:aws:iam::{self.current_account}:user/cbctl-tests", "lastChangedAt": at})
                if not enabled:
                    inbound["disabledReason"] = reason
                state["inboundTransitionState"] = inbound
            states.append(state)
        return json.dumps({
            "pipelineName": name,
            "pipelineVersion": p.pipeline["version"],
            "stageStates": states,
            "created": unix_time(p._created),
            "updated": unix_time(p._updated),
        })

    def set_transition(self, enabled):
        name, stage = self._get_param("pipelineName"), self._get_param("stageName")
        p = pipeline_of(self, name)
        names = [s["name"] for s in p.pipeline.get("stages", [])]
        if stage not in names:
            raise JsonRESTError("StageNotFoundException", f"Stage '{stage}' not found in pipeline '{name}'")
        if self._get_param("transitionType") != "Inbound":
            raise JsonRESTError("ValidationException", "The emulator models Inbound transitions only")
        if names.index(stage) == 0:
            raise JsonRESTError("InvalidStageDeclarationException", f"Stage '{stage}' is the first stage and has no inbound transition")
        transitions(p)[stage] = (enabled, None if enabled else self._get_param("reason"), unix_time(datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)))
        return ""

    CodePipelineResponse.get_pipeline_state = get_pipeline_state
    CodePipelineResponse.enable_stage_transition = lambda self: set_transition(self, True)
    CodePipelineResponse.disable_stage_transition = lambda self: set_transition(self, False)


def patch_codedeploy_reads():
    """CodeDeploy's BatchGetDeploymentGroups, which moto lacks: up to 100 names
    of one application (ApplicationDoesNotExistException when it does not
    exist); groups that do not exist are left out of deploymentGroupsInfo and
    named in errorMessage, as AWS documents."""
    from moto.codedeploy.responses import CodeDeployResponse, _deployment_group_info
    from moto.core.responses import ActionResult

    def batch_get_deployment_groups(self):
        app = self._get_param("applicationName")
        names = self._get_param("deploymentGroupNames") or []
        backend = self.codedeploy_backend
        backend.get_application(app)  # raises ApplicationDoesNotExistException
        groups = backend.deployment_groups.get(app, {})
        found = [_deployment_group_info(groups[n]) for n in names if n in groups]
        missing = [n for n in names if n not in groups]
        result = {"deploymentGroupsInfo": found}
        if missing:
            result["errorMessage"] = "Deployment groups not found: " + ", ".join(missing)
        return ActionResult(result)

    CodeDeployResponse.batch_get_deployment_groups = batch_get_deployment_groups


def patch_s3_regions():
    """Buckets in several regions, as S3 answers them: ListBuckets names each
    bucket's BucketRegion when the request has a parameter (prefix, max-buckets,
    ...), as the S3 API reference documents; and a request on a bucket signed
    for another region than the bucket's answers 301 PermanentRedirect with the
    x-amz-bucket-region header (HeadBucket: no body), so a client that forgets a
    bucket's region fails here as it would on AWS."""
    from moto.s3 import responses as s3r
    from moto.core.responses import ActionResult

    orig_all = s3r.S3Response.all_buckets

    def all_buckets(self):
        has_parameter = any(self._get_param(p) is not None for p in ("prefix", "bucket-region", "max-buckets", "continuation-token"))
        if not has_parameter:
            return orig_all(self)
        self.data["Action"] = "ListAllMyBuckets"
        self._authenticate_and_authorize_s3_action()
        found = self.backend.list_buckets(
            prefix=self._get_param("prefix"), bucket_region=self._get_param("bucket-region"), max_buckets=self._get_param("max-buckets")
        )
        buckets = [{"Name": b.name, "CreationDate": b.creation_date_ISO8601, "BucketRegion": b.region_name} for b in found]
        self.data["Action"] = "ListBuckets"
        return self.serialized(ActionResult({"Owner": {"ID": "bcaf1ffd86f41161ca5fb16fd081034f", "DisplayName": "webfile"}, "Buckets": buckets}))

    s3r.S3Response.all_buckets = all_buckets

    def signed_region(request):
        auth = request.headers.get("Authorization", "")
        m = re.search(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/s3/", auth)
        return m.group(1) if m else None

    def redirect(self, request, full_url):
        bucket = self.parse_bucket_name_from_url(request, full_url)
        region = signed_region(request) if bucket else None
        found = self.backend.buckets.get(bucket) if region else None
        if found is None or found.region_name == region:
            return None
        headers = {"x-amz-bucket-region": found.region_name, "Content-Type": "application/xml"}
        if request.method == "HEAD":
            return 301, headers, ""
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PermanentRedirect</Code>'
                "<Message>The bucket you are attempting to access must be addressed using the specified endpoint. "
                "Please send all future requests to this endpoint.</Message>"
                f"<Endpoint>{bucket}.s3.{found.region_name}.amazonaws.com</Endpoint><Bucket>{bucket}</Bucket></Error>")
        return 301, headers, body

    for name in ("_bucket_response", "_key_response"):
        orig = getattr(s3r.S3Response, name)

        def checked(self, request, full_url, orig=orig):
            return redirect(self, request, full_url) or orig(self, request, full_url)

        setattr(s3r.S3Response, name, checked)


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


# -------------------------------------------------------------------- SNS --
# Protocols whose subscriptions wait for the endpoint's confirmation (the
# email / HTTP(S) handshake); others (sqs, lambda, firehose, sms, application)
# are confirmed at once.
SNS_CONFIRMED_BY_ENDPOINT = ("email", "email-json", "http", "https")
SNS_PROTOCOLS = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")
SNS_PENDING = "PendingConfirmation"  # the SubscriptionArn AWS lists for an unconfirmed subscription


def sns_invalid(message):
    from moto.sns.exceptions import SNSInvalidParameter

    return SNSInvalidParameter(message)


def sns_policy_problem(text):
    """Why a topic Policy attribute is refused, or None: it must be a JSON
    object with a Statement (wording unconfirmed)."""
    try:
        policy = json.loads(text)
    except (TypeError, ValueError) as e:
        return f"Invalid parameter: Policy Error: the policy is not valid JSON ({e})"
    if not isinstance(policy, dict) or "Statement" not in policy:
        return "Invalid parameter: Policy Error: the policy has no Statement"
    return None


def patch_sns():
    """SNS where moto 5.2.5 differs from AWS in what cbctl relies on.
    Already as in AWS in moto: CreateTopic's Tags and Attributes (Policy,
    DisplayName, ...), GetTopicAttributes with AWS's default policy when
    none was set, ListSubscriptionsByTopic of confirmed subscriptions,
    DeleteTopic deleting the topic's subscriptions, Tag/Untag/
    ListTagsForResource (404 ResourceNotFound "Resource does not exist"
    for an unknown ARN, at most 50 tags: TagLimitExceeded). Patched:
      - CreateTopic of an existing name with tags or attributes it does not
        have: 400 InvalidParameter "Invalid parameter: Tags Reason: Topic
        already exists with different tags" (AWS's words, localstack/
        localstack#2405) / "... Attributes Reason: Topic already exists with
        different attributes" (moto returned the topic unchanged).
      - A Policy attribute that is not a JSON policy: 400 InvalidParameter
        (moto: 500); SetTopicAttributes of an unknown attribute name: 400
        InvalidParameter "Invalid parameter: AttributeName".
      - email, email-json, http and https subscriptions wait for
        confirmation: Subscribe answers "pending confirmation" (the ARN
        only with ReturnSubscriptionArn), ListSubscriptions(ByTopic) list
        them with SubscriptionArn "PendingConfirmation", GetTopicAttributes
        counts them in SubscriptionsPending, and Unsubscribe cannot name
        them ("PendingConfirmation" is no ARN: 400 InvalidParameter).
        Subscribing the same endpoint again answers as the first time.
        Unknown protocol / malformed email: 400 InvalidParameter.
      - TEST-ONLY hook (not in AWS, where the token comes in the
        confirmation message): ConfirmSubscription with TopicArn and Token
        equal to the pending subscription's endpoint (the email address or
        URL) confirms it and answers its SubscriptionArn; any other token is
        400 InvalidParameter "Invalid parameter: Token".
      - Tag changes are recorded for the Tagging API's lag (TAG_CHANGES)."""
    from moto.sns import models as snsm
    from moto.sns.responses import SNSResponse
    from moto.core.responses import ActionResult

    def pending(subscription):
        return subscription.__dict__.get("cbctl_pending", False)

    def listed(subscription):
        return {"SubscriptionArn": SNS_PENDING if pending(subscription) else subscription.arn,
                "Owner": subscription.owner, "Protocol": subscription.protocol,
                "Endpoint": subscription.endpoint, "TopicArn": subscription.topic.arn}

    def current_attributes(topic):
        return {"Policy": topic.policy, "DisplayName": topic.display_name, "DeliveryPolicy": topic.delivery_policy,
                "KmsMasterKeyId": topic.kms_master_key_id, "FifoTopic": topic.fifo_topic,
                "ContentBasedDeduplication": topic.content_based_deduplication}

    def same_attribute(name, wanted, current):
        if name == "Policy":
            try:
                return json.loads(wanted) == json.loads(current)
            except (TypeError, ValueError):
                return False
        if isinstance(current, bool):
            return str(wanted).lower() == str(current).lower()
        return name in ("DisplayName", "DeliveryPolicy", "KmsMasterKeyId") and str(wanted) == str(current or "")

    orig_create = SNSResponse.create_topic

    def create_topic(self):
        name, attributes, tags = self._get_param("Name"), self._get_attributes(), self._get_tags()
        if "Policy" in attributes and sns_policy_problem(attributes["Policy"]):
            raise sns_invalid(sns_policy_problem(attributes["Policy"]))
        arn = snsm.make_arn_for_topic(self.current_account, name or "", self.region)
        topic = self.backend.topics.get(arn)
        if topic is not None:
            if any(topic._tags.get(k) != v for k, v in tags.items()):
                raise sns_invalid("Invalid parameter: Tags Reason: Topic already exists with different tags")
            current = current_attributes(topic)
            if any(not same_attribute(k, v, current.get(k)) for k, v in attributes.items()):
                raise sns_invalid("Invalid parameter: Attributes Reason: Topic already exists with different attributes")
            return ActionResult({"TopicArn": arn})
        result = orig_create(self)
        if tags:
            note_tag_change(self.backend, arn)
        return result

    orig_set = SNSResponse.set_topic_attributes
    settable = ("Policy", "DisplayName", "DeliveryPolicy", "KmsMasterKeyId", "SignatureVersion", "TracingConfig",
                "ContentBasedDeduplication", "ArchivePolicy", "DataProtectionPolicy", "FifoThroughputScope",
                "MaximumMessageSize", *(f"{p}{kind}" for p in ("HTTP", "Firehose", "Lambda", "Application", "SQS")
                                        for kind in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate",
                                                     "FailureFeedbackRoleArn")))

    def set_topic_attributes(self):
        name, value = self._get_param("AttributeName"), self._get_param("AttributeValue")
        self.backend.get_topic(self._get_param("TopicArn"))  # an unknown topic: 404 NotFound first
        if name not in settable:
            raise sns_invalid("Invalid parameter: AttributeName")
        if name == "Policy" and sns_policy_problem(value):
            raise sns_invalid(sns_policy_problem(value))
        return orig_set(self)

    orig_get = SNSResponse.get_topic_attributes

    def get_topic_attributes(self):
        result = orig_get(self).result
        topic = self.backend.get_topic(self._get_param("TopicArn"))
        subscriptions = [s for s in self.backend.subscriptions.values() if s.topic is topic]
        result["Attributes"]["SubscriptionsPending"] = str(sum(pending(s) for s in subscriptions))
        result["Attributes"]["SubscriptionsConfirmed"] = str(sum(not pending(s) for s in subscriptions))
        return ActionResult(result)

    orig_subscribe = SNSResponse.subscribe

    def subscribe(self):
        protocol, endpoint = self._get_param("Protocol"), self._get_param("Endpoint")
        topic_arn = self._get_param("TopicArn")
        self.backend.get_topic(topic_arn)  # an unknown topic: 404 NotFound first
        if protocol not in SNS_PROTOCOLS:
            raise sns_invalid(f"Invalid parameter: Amazon SNS does not support this protocol string: {protocol}")
        if protocol in ("email", "email-json") and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", endpoint or ""):
            raise sns_invalid("Invalid parameter: Email address")
        if protocol in ("http", "https") and not (endpoint or "").startswith(f"{protocol}://"):
            raise sns_invalid(f"Invalid parameter: {protocol.upper()} endpoint must begin with {protocol}://")
        existing = self.backend._find_subscription(topic_arn, endpoint, protocol)
        result = orig_subscribe(self).result
        subscription = self.backend.subscriptions[result["SubscriptionArn"]]
        if existing is None and protocol in SNS_CONFIRMED_BY_ENDPOINT:
            subscription.cbctl_pending = True
            subscription.attributes["PendingConfirmation"] = "true"
        if pending(subscription) and not self._get_bool_param("ReturnSubscriptionArn", False):
            return ActionResult({"SubscriptionArn": "pending confirmation"})
        return ActionResult(result)

    def unsubscribe(self):
        arn = self._get_param("SubscriptionArn") or ""
        if len(arn.split(":")) < 6:
            raise sns_invalid(f"Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not {len(arn.split(':'))}")
        self.backend.unsubscribe(arn)
        return ActionResult({})

    def list_subscriptions_by_topic(self):
        topic = self.backend.get_topic(self._get_param("TopicArn"))
        subscriptions = [listed(s) for s in self.backend.subscriptions.values() if s.topic is topic]
        return ActionResult(sns_page(subscriptions, self._get_param("NextToken")))

    def list_subscriptions(self):
        subscriptions = [listed(s) for s in self.backend.subscriptions.values()]
        return ActionResult(sns_page(subscriptions, self._get_param("NextToken")))

    def sns_page(items, token):
        # AWS pages subscriptions by 100 (moto too); NextToken only when more.
        if token is not None and not str(token).isdigit():
            raise sns_invalid("Invalid parameter: NextToken")
        start = int(token or 0)
        result = {"Subscriptions": items[start : start + 100]}
        if start + 100 < len(items):
            result["NextToken"] = str(start + 100)
        return result

    def confirm_subscription(self):
        topic = self.backend.get_topic(self._get_param("TopicArn"))
        token = self._get_param("Token")
        for subscription in self.backend.subscriptions.values():
            if subscription.topic is topic and pending(subscription) and subscription.endpoint == token:
                subscription.cbctl_pending = False
                subscription.confirmed = True
                subscription.attributes["PendingConfirmation"] = "false"
                return ActionResult({"SubscriptionArn": subscription.arn})
        raise sns_invalid("Invalid parameter: Token")

    for fn in (create_topic, set_topic_attributes, get_topic_attributes, subscribe, unsubscribe,
               list_subscriptions_by_topic, list_subscriptions, confirm_subscription):
        setattr(SNSResponse, fn.__name__, fn)

    Backend = snsm.SNSBackend
    orig_tag, orig_untag, orig_delete = Backend.tag_resource, Backend.untag_resource, Backend.delete_topic

    def tag_resource(self, resource_arn, tags):
        orig_tag(self, resource_arn, tags)
        note_tag_change(self, resource_arn)

    def untag_resource(self, resource_arn, tag_keys):
        orig_untag(self, resource_arn, tag_keys)
        note_tag_change(self, resource_arn)

    def delete_topic(self, arn):
        orig_delete(self, arn)
        tag_changes(self).pop(arn, None)

    for fn in (tag_resource, untag_resource, delete_topic):
        setattr(Backend, fn.__name__, fn)


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
    patch_events_schedules_and_targets()


# EventBridge ScheduleExpression ("Creating a rule that runs on a schedule":
# rate(value unit), value a positive integer, unit singular exactly when the
# value is 1; cron(6 fields) with ? in one of day-of-month / day-of-week).
EVENTS_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
EVENTS_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
EVENTS_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# field: (low, high, names, special forms allowed on their own)
EVENTS_CRON_FIELDS = (
    ("minutes", 0, 59, (), ()),
    ("hours", 0, 23, (), ()),
    ("day-of-month", 1, 31, (), (r"\?", "L", "LW", r"\d{1,2}W")),
    ("month", 1, 12, EVENTS_MONTHS, ()),
    ("day-of-week", 1, 7, EVENTS_WEEKDAYS, (r"\?", "L", r"[1-7]L", r"([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)#[1-5]")),
    ("year", 1970, 2199, (), ()),
)
TARGETS_NEEDING_ROLE = ("codebuild", "codepipeline", "states")  # ARN service -> PutTargets needs RoleArn


def cron_value_ok(text, low, high, names):
    if text.isdigit():
        return low <= int(text) <= high
    return text.upper() in names


def cron_field_ok(text, low, high, names, specials):
    if any(re.fullmatch(s, text, re.IGNORECASE) for s in specials):
        return True
    for part in text.split(","):
        base, slash, step = part.partition("/")
        if slash and not (step.isdigit() and int(step) > 0):
            return False
        if base == "*":
            continue
        first, dash, last = base.partition("-")
        if not cron_value_ok(first, low, high, names) or (dash and not cron_value_ok(last, low, high, names)):
            return False
    return True


def events_schedule_problem(expression):
    """Why a ScheduleExpression is not one EventBridge accepts, or None."""
    invalid = "Parameter ScheduleExpression is not valid."
    rate = EVENTS_RATE.fullmatch(expression)
    if expression.startswith("rate("):
        if not rate or int(rate[1]) < 1 or (int(rate[1]) == 1) == rate[2].endswith("s"):
            return invalid
        return None
    cron = re.fullmatch(r"cron\((.*)\)", expression)
    if not cron:
        return invalid
    fields = cron[1].split()
    if len(fields) != 6:
        return invalid
    for text, (_, low, high, names, specials) in zip(fields, EVENTS_CRON_FIELDS):
        if not cron_field_ok(text, low, high, names, specials):
            return invalid
    if (fields[2] == "?") == (fields[4] == "?"):  # exactly one of day-of-month / day-of-week is ?
        return invalid
    return None


def patch_events_schedules_and_targets():
    """PutRule refuses a ScheduleExpression EventBridge refuses (400
    ValidationException "Parameter ScheduleExpression is not valid."; moto
    accepted any "cron(...)" and e.g. "rate(1 minutes)"); PutTargets naming
    a CodeBuild project, CodePipeline pipeline or Step Functions state
    machine without RoleArn is 400 ValidationException "RoleArn is required
    for target ARN." for the whole request (AWS's words: awsdocs/aws-
    cloudformation-user-guide#1178, awsdocs/aws-codepipeline-user-guide#18,
    hashicorp/terraform-provider-aws#19913). Already as in AWS in moto: a
    rule needs EventPattern or ScheduleExpression ("Parameter(s)
    EventPattern or ScheduleExpression must be specified."), schedules only
    on the default bus, and DescribeRule/ListRules report
    ScheduleExpression."""
    from moto.events import models as evm
    from moto.events.exceptions import ValidationException

    orig_put_rule, orig_put_targets = evm.EventsBackend.put_rule, evm.EventsBackend.put_targets
    signature = inspect.signature(orig_put_rule)

    def put_rule(self, *args, **kwargs):
        expression = signature.bind(self, *args, **kwargs).arguments.get("scheduled_expression")
        problem = expression and events_schedule_problem(expression)
        if problem:
            raise ValidationException(problem)
        return orig_put_rule(self, *args, **kwargs)

    def put_targets(self, name, event_bus_arn, targets):
        for target in targets:
            arn = target.get("Arn") or ""
            if arn.split(":")[2:3] and arn.split(":")[2] in TARGETS_NEEDING_ROLE and not target.get("RoleArn"):
                raise ValidationException(f"RoleArn is required for target {arn}.")
        return orig_put_targets(self, name, event_bus_arn, targets)

    evm.EventsBackend.put_rule = put_rule
    evm.EventsBackend.put_targets = put_targets


# Resource Groups Tagging API. AWS's resource type strings ("service:type",
# as ResourceTypeFilters take them) where moto's differ.
TAGGING_TYPES = {"logs:loggroup": "logs:log-group"}
# GetResources members that AWS refuses together with ResourceARNList
TAGGING_ARN_LIST_EXCLUSIVE = ("TagFilters", "ResourceTypeFilters", "ResourcesPerPage", "TagsPerPage", "PaginationToken")
TaggedArn = collections.namedtuple("TaggedArn", "arn tags type changed")  # changed: TAG_CHANGES time or None


def patch_tagging(lag):
    """GetResources as AWS serves it, over every resource cbctl tags (moto
    knows no CodeBuild project, CodePipeline pipeline, CodeCommit repository,
    ECR repository, EventBridge rule or CodeStar Notifications rule there; SNS
    topics it reports as sns:topic): a ResourceARNList (1..100) is
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
    CodeCommit repositories (codecommit:repository, ...:codecommit:REGION:ACCOUNT:NAME),
    ECR repositories (ecr:repository, ...:ecr:REGION:ACCOUNT:repository/NAME) and
    CodeStar Notifications rules (codestar-notifications:notificationrule,
    ...:codestar-notifications:REGION:ACCOUNT:notificationrule/ID). SNS topics
    (sns:topic) are moto's own (moto_tagged)."""
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
    notifications = codestar_notification_backends[account][region]
    for rule in list(notifications.rules.values()):
        yield TaggedArn(rule["Arn"], dict(rule["Tags"]), "codestar-notifications:notificationrule",
                        tag_changes(notifications).get(rule["Arn"]))


def apply_patches(faults):
    import moto

    if moto.__version__ != MOTO_VERSION:
        sys.exit(
            f"launcher.py: patches target moto {MOTO_VERSION}, found {moto.__version__};"
            " run tests/emulator/setup.sh"
        )
    patch_codebuild()
    patch_codebuild_webhooks()
    patch_codecommit()
    patch_iam()
    patch_ssm()
    patch_sns()
    patch_events()
    patch_codepipeline()
    patch_pipeline_transitions()
    patch_codedeploy_reads()
    patch_codeconnections()
    patch_codestar_notifications(faults.slr_delay)
    patch_s3()
    patch_s3_regions()
    patch_ecr()
    patch_tagging(faults.tagging_lag)
    runs_module().apply(faults.phase_seconds)


def runs_module():
    """runs.py (next to this file): builds and pipeline executions that run."""
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    import runs

    return runs


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
    "SNS": ("sns", "sns"),
    "CodeStarNotifications": ("codestar-notifications", "codestar-notifications"),
}
QUERY_SERVICES = {
    "IAM": "https://iam.amazonaws.com/doc/2010-05-08/",
    "STS": "https://sts.amazonaws.com/doc/2011-06-15/",
    "SNS": "http://sns.amazonaws.com/doc/2010-03-31/",
}
# Services whose throttling error is named otherwise. (SNS throttles API
# calls with the awsQuery 400 Throttling "Rate exceeded" too; its model's
# ThrottledException, 429 Throttled, is the account's publish rate.)
THROTTLE_CODES = {"Tagging": "ThrottledException"}
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
        # Not a fault (CodeStar Notifications always behaves so): kept out of
        # __bool__ and the summary.
        self.slr_delay = number("CBCTL_EMU_SLR_DELAY_SECONDS", float, 2.0, "a number of seconds >= 0", 0.0, 1e9)
        # Not a fault either: the base time of each build phase (runs.py).
        self.phase_seconds = number("CBCTL_EMU_PHASE_SECONDS", float, 0.3, "a number of seconds >= 0", 0.0, 1e9)
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
        # restJson labels may hold "/" (an ARN): botocore leaves it unencoded
        # and the server decodes %2F, so the last label takes the rest.
        greedy_last = model.metadata.get("protocol") == "rest-json"
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
            segments = path.strip("/").split("/") if path.strip("/") else []
            for index, segment in enumerate(segments):
                if segment.endswith("+}") or (greedy_last and segment.startswith("{") and index == len(segments) - 1):
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
STRICT_QUERY_SERVICES = ("iam", "sts", "sns")
STRICT_REST_JSON_SERVICES = {"codestar-notifications": "CodeStarNotifications"}  # -> FAULT_SERVICES name
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
    for name in STRICT_JSON_SERVICES + STRICT_QUERY_SERVICES + tuple(STRICT_REST_JSON_SERVICES) + ("s3",):
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


# -- restJson: a request's members from its body, URI labels and query --
def rest_json_request(operation, body, environ):
    """The JSON-like value of a restJson request's input shape: body members
    as sent, URI labels from the path (the last one takes the rest, as in
    RestOperations) and query string members."""
    shape, request = operation.input_shape, {}
    template = operation.http["requestUri"].partition("?")[0]
    labels = re.sub(r"\{([^}+]+)\+?\}", r"(?P<\1>.+)", template.rstrip("/"))  # templates: letters, "/", labels
    match = re.fullmatch(labels, environ.get("PATH_INFO", "").rstrip("/"))
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    for member, member_shape in shape.members.items():
        where, name = member_shape.serialization.get("location"), _member_name(shape, member)
        if where == "uri":
            value = match and match.groupdict().get(name)
        elif where == "querystring":
            values = query.get(name)
            value = values if member_shape.type_name == "list" else values and _query_scalar(member_shape, values[0])
        elif where == "header":
            value = environ.get("HTTP_" + name.upper().replace("-", "_"))
        else:
            value = body.get(name)
        if value is not None:
            request[name] = value
    return request


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
        self.models = {name: session.get_service_model(name)
                       for name in STRICT_JSON_SERVICES + STRICT_QUERY_SERVICES + tuple(STRICT_REST_JSON_SERVICES) + ("s3",)}
        self.rest_routes = {}  # restJson service -> RestOperations
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
        if signing in STRICT_REST_JSON_SERVICES:
            return self.check_rest_json(environ, signing)
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

    # -- restJson --
    def check_rest_json(self, environ, service):
        with self.lock:
            if service not in self.rest_routes:
                self.rest_routes[service] = RestOperations(STRICT_REST_JSON_SERVICES[service])
        operation = self.operation(service, self.rest_routes[service].name(environ) or "")
        if operation is None or operation.input_shape is None:
            return None
        try:
            body = json.loads(FaultInjector.body(environ) or b"{}")
        except ValueError:
            return None  # the service's own parser answers this
        if not isinstance(body, dict):
            return None
        violations = strict_violations(operation.input_shape, rest_json_request(operation, body, environ))
        wrong_type = [v for v in violations if v.kind == "type"]
        if wrong_type:
            return "rest-json", service, "SerializationException", _strict_message(wrong_type)
        if violations:
            return "rest-json", service, "ValidationException", _strict_message(violations)
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
    ("Deploy", "S3"): (1, 1, 0, 0),
    ("Deploy", "ECS"): (1, 1, 0, 0),
    ("Deploy", "CodeDeploy"): (1, 1, 0, 0),
    ("Deploy", "CodeDeployToECS"): (1, 5, 0, 0),
    ("Deploy", "CloudFormation"): (0, 10, 0, 1),
    ("Deploy", "ElasticBeanstalk"): (1, 1, 0, 0),
    ("Invoke", "Lambda"): (0, 5, 0, 5),
}

# (category, provider) of an action owned by AWS -> (required, optional)
# configuration keys, from each action's reference page in the CodePipeline
# User Guide. A key of neither list, or a required one missing, is refused
# (InvalidActionDeclarationException; the wording is unconfirmed).
_IMAGES = tuple(f"Image{i}{k}" for i in range(1, 5) for k in ("ArtifactName", "ContainerName"))
CODEPIPELINE_CONFIGURATION = {
    ("Source", "CodeCommit"): (("RepositoryName", "BranchName"), ("PollForSourceChanges", "OutputArtifactFormat")),
    ("Source", "CodeStarSourceConnection"): (("ConnectionArn", "FullRepositoryId", "BranchName"), ("OutputArtifactFormat", "DetectChanges")),
    ("Source", "S3"): (("S3Bucket", "S3ObjectKey"), ("PollForSourceChanges", "AllowOverrideForS3ObjectKey")),
    ("Source", "ECR"): (("RepositoryName",), ("ImageTag",)),
    ("Build", "CodeBuild"): (("ProjectName",), ("PrimarySource", "EnvironmentVariables", "BatchEnabled", "CombineArtifacts")),
    ("Test", "CodeBuild"): (("ProjectName",), ("PrimarySource", "EnvironmentVariables", "BatchEnabled", "CombineArtifacts")),
    ("Approval", "Manual"): ((), ("NotificationArn", "CustomData", "ExternalEntityLink")),
    ("Deploy", "S3"): (("BucketName", "Extract"), ("ObjectKey", "KMSEncryptionKeyARN", "CannedACL", "CacheControl")),
    ("Deploy", "ECS"): (("ClusterName", "ServiceName"), ("FileName", "DeploymentTimeout")),
    ("Deploy", "CodeDeploy"): (("ApplicationName", "DeploymentGroupName"), ()),
    ("Deploy", "CodeDeployToECS"): (("ApplicationName", "DeploymentGroupName", "TaskDefinitionTemplateArtifact", "AppSpecTemplateArtifact"),
                                    ("TaskDefinitionTemplatePath", "AppSpecTemplatePath") + _IMAGES),
    ("Deploy", "CloudFormation"): (("ActionMode", "StackName"), ("TemplatePath", "RoleArn", "Capabilities", "ParameterOverrides",
                                                                  "TemplateConfiguration", "OutputFileName", "ChangeSetName")),
    ("Deploy", "ElasticBeanstalk"): (("ApplicationName", "EnvironmentName"), ()),
    ("Invoke", "Lambda"): (("FunctionName",), ("UserParameters",)),
}

# CloudFormation: what each ActionMode needs besides ActionMode and StackName
# (CloudFormation action reference, "Configuration parameters").
CLOUDFORMATION_MODES = {
    "CREATE_UPDATE": ("TemplatePath",),
    "REPLACE_ON_FAILURE": ("TemplatePath",),
    "CHANGE_SET_REPLACE": ("TemplatePath", "ChangeSetName"),
    "CHANGE_SET_EXECUTE": ("ChangeSetName",),
    "DELETE_ONLY": (),
}


def codepipeline_configuration_problem(name, key, config):
    """Why an action's configuration misses a key its type requires, or holds
    one it does not take, or None."""
    known = CODEPIPELINE_CONFIGURATION.get(key)
    if known is None:
        return None
    required, optional = known
    for k in config:
        if k not in required and k not in optional:
            return f"Action configuration for action '{name}' contains unknown configuration '{k}'"
    needed = list(required)
    if key == ("Deploy", "S3") and str(config.get("Extract", "")).lower() == "false":
        needed.append("ObjectKey")
    if key == ("Deploy", "CloudFormation"):
        mode = config.get("ActionMode")
        if mode is not None and mode not in CLOUDFORMATION_MODES:
            return f"Action configuration for action '{name}': ActionMode '{mode}' is not one of {', '.join(CLOUDFORMATION_MODES)}"
        needed.extend(CLOUDFORMATION_MODES.get(mode, ()))
    for k in needed:
        if k not in config:
            return f"Action configuration for action '{name}' is missing required configuration '{k}'"
    return None


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
    problem = codepipeline_configuration_problem(name, key, action.get("configuration") or {})
    if problem:
        return problem
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


def codepipeline_structure_problem(pipeline, region):
    """Cross-region actions and stage failure policies as CodePipeline checks
    them (API reference, PipelineDeclaration and StageDeclaration; User Guide,
    "Add a cross-Region action"): exactly one of artifactStore and
    artifactStores; with artifactStores, a store for the pipeline's region and
    for every action's; an action in another region needs artifactStores; no
    cross-region source action; onFailure only on a V2 pipeline and not on the
    first (source) stage. The wordings are unconfirmed."""
    stores = pipeline.get("artifactStores")
    if ("artifactStore" in pipeline) == (stores is not None):
        return "InvalidStructureException", "Pipeline must declare either artifactStore or artifactStores, but not both"
    stages = [s for s in pipeline.get("stages") or [] if isinstance(s, dict)]
    for index, stage in enumerate(stages):
        if stage.get("onFailure") is not None and (pipeline.get("pipelineType") != "V2" or index == 0):
            return "InvalidStructureException", f"Stage '{stage.get('name')}': onFailure needs a V2 pipeline and a stage other than the source stage"
        for action in [a for a in stage.get("actions") or [] if isinstance(a, dict)]:
            action_region = action.get("region") or region
            if action_region == region:
                continue
            if (action.get("actionTypeId") or {}).get("category") == "Source":
                return "InvalidActionDeclarationException", f"Source action '{action.get('name')}' cannot be in another region than the pipeline"
            if stores is None or action_region not in stores:
                return "InvalidStructureException", f"Action '{action.get('name')}' is in region {action_region}, which has no artifact store"
    if stores is not None and region not in stores:
        return "InvalidStructureException", f"artifactStores must include the pipeline's region {region}"
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
            pipeline = request.get("pipeline")
            structure = codepipeline_structure_problem(pipeline, region) if isinstance(pipeline, dict) else None
            if structure:
                return ("json", service, *structure)
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

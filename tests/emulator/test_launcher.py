#!/usr/bin/env python3
"""Self-check for launcher.py (no pytest): starts it on port 0, drives every
patched/relied-upon operation with boto3, prints "N passed, M failed".

Run: .venv/bin/python tests/emulator/test_launcher.py
"""

import concurrent.futures
import contextlib
import hashlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

import boto3
import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.parsers import RpcV2CBORParser
from botocore.exceptions import ClientError
from botocore.retries.standard import RetryContext, ThrottledRetryableChecker, TransientRetryableChecker

HERE = os.path.dirname(os.path.abspath(__file__))
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/cbctl-build"
ENV = {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"}
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}]})

CHECKS = []
FAULT_CHECKS = []  # each starts its own launcher(s) with CBCTL_EMU_* set


def check(fn):
    CHECKS.append(fn)
    return fn


def fault_check(fn):
    FAULT_CHECKS.append(fn)
    return fn


def error_of(call, **kwargs):
    """(code, HTTP status) of the ClientError that call(**kwargs) must raise."""
    try:
        call(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError(f"{call.__name__} unexpectedly succeeded")


class Raw:
    """Captures the raw HTTP body of each call made by a boto3 client."""

    def __init__(self, client):
        self.bodies, self.content, self.responses = {}, {}, {}
        client.meta.events.register("after-call", self._store)

    def _store(self, http_response, model, **_):
        self.content[model.name] = http_response.content  # bytes (CBOR)
        self.bodies[model.name] = http_response.content.decode("utf-8", "replace")
        self.responses[model.name] = http_response


def cbor_client(service, **kwargs):
    """A boto3 client speaking Smithy RPC v2 CBOR, as aws-sdk-codeconnections
    for Rust does (boto3 itself prefers awsJson 1.0 for CodeConnections)."""
    session = botocore.session.get_session()
    model = session.get_component("data_loader").load_service_model(service, "service-2")
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    client = boto3.Session(botocore_session=session).client(service, **kwargs)
    assert client.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
    return client


def cbor_decode(data):
    parser = RpcV2CBORParser()
    return parser.parse_data_item(parser.get_peekable_stream_from_bytes(data))


def pages(call, token_in, token_out, items, **kwargs):
    """Every page call(**kwargs) returns, following token_out -> token_in:
    a list of each page's items (the response member `items`)."""
    got, token = [], None
    while True:
        page = call(**kwargs, **({token_in: token} if token else {}))
        got.append(page[items])
        token = page.get(token_out)
        if not token:
            return got


# --------------------------------------------------------------- CodeBuild --
@check
def codebuild_create_round_trips_everything(c):
    sent = dict(
        name="cb-full",
        description="full project",
        source={"type": "CODECOMMIT", "location": "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/r",
                "buildspec": "buildspec.yml", "gitCloneDepth": 1, "auth": {"type": "OAUTH", "resource": "tok"}},
        sourceVersion="refs/heads/main",
        artifacts={"type": "S3", "location": "bucket", "packaging": "ZIP"},
        environment={**ENV, "computeType": "BUILD_GENERAL1_XLARGE", "privilegedMode": True,
                     "imagePullCredentialsType": "CODEBUILD",
                     "environmentVariables": [{"name": "A", "value": "1", "type": "PLAINTEXT"},
                                              {"name": "B", "value": "/cbctl/b", "type": "PARAMETER_STORE"}]},
        serviceRole=ROLE, timeoutInMinutes=30, queuedTimeoutInMinutes=120, concurrentBuildLimit=2,
        tags=[{"key": "cbctl:stack", "value": "s1"}],
        logsConfig={"cloudWatchLogs": {"status": "ENABLED", "groupName": "g", "streamName": "s"}},
    )
    created = c["codebuild"].create_project(**sent)["project"]
    got = c["codebuild"].batch_get_projects(names=["cb-full"])["projects"][0]
    env = sent["environment"]  # plus the variable AWS adds to every new project
    expected = {**sent, "environment": {**env, "environmentVariables": [*env["environmentVariables"], AUTO_DISCOVER]},
                # and the read-back defaults: S3 artifacts named after the project, S3 logs off
                "artifacts": {**sent["artifacts"], "name": "cb-full", "namespaceType": "NONE", "encryptionDisabled": False},
                "logsConfig": {**sent["logsConfig"], "s3Logs": S3_LOGS_OFF}}
    for project in (created, got):
        for key, value in expected.items():
            assert project[key] == value, (key, project.get(key), value)
        assert "lastModified" in project and "created" in project
        assert project["arn"] == f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/cb-full"


AUTO_DISCOVER = {"name": "CODEBUILD_CONFIG_AUTO_DISCOVER", "value": "true", "type": "PLAINTEXT"}
S3_LOGS_OFF = {"status": "DISABLED", "encryptionDisabled": False}


@check
def codebuild_create_adds_report_auto_discover_variable(c):
    # AWS adds CODEBUILD_CONFIG_AUTO_DISCOVER=true to a project created without
    # it; one sent is kept as sent; UpdateProject stores the list as sent.
    cb = c["codebuild"]
    base = dict(source={"type": "NO_SOURCE", "buildspec": "x"}, artifacts={"type": "NO_ARTIFACTS"}, serviceRole=ROLE)
    cb.create_project(name="cb-auto", environment=ENV, **base)
    got = cb.batch_get_projects(names=["cb-auto"])["projects"][0]["environment"]["environmentVariables"]
    assert got == [AUTO_DISCOVER], got
    mine = [{"name": "A", "value": "1", "type": "PLAINTEXT"}, {**AUTO_DISCOVER, "value": "false"}]
    cb.create_project(name="cb-auto-off", environment={**ENV, "environmentVariables": mine}, **base)
    got = cb.batch_get_projects(names=["cb-auto-off"])["projects"][0]["environment"]["environmentVariables"]
    assert got == mine, got
    cb.update_project(name="cb-auto", environment={**ENV, "environmentVariables": [mine[0]]})
    got = cb.batch_get_projects(names=["cb-auto"])["projects"][0]["environment"]["environmentVariables"]
    assert got == [mine[0]], got


@check
def codebuild_defaults_timeouts(c):
    p = c["codebuild"].create_project(name="cb-defaults", source={"type": "NO_SOURCE", "buildspec": "x"},
                                      artifacts={"type": "NO_ARTIFACTS"}, environment=ENV, serviceRole=ROLE)["project"]
    assert (p["timeoutInMinutes"], p["queuedTimeoutInMinutes"]) == (60, 480), p
    assert "concurrentBuildLimit" not in p


@check
def codebuild_git_source_without_depth_reads_back_as_full_clone(c):
    cb = c["codebuild"]
    p = cb.create_project(name="cb-depth", source={"type": "CODECOMMIT", "location": "https://x/v1/repos/r"},
                          artifacts={"type": "NO_ARTIFACTS"}, environment=ENV, serviceRole=ROLE)["project"]
    assert p["source"]["gitCloneDepth"] == 0, p["source"]
    got = cb.update_project(name="cb-depth", source={"type": "GITHUB", "location": "https://github.com/o/r.git"})["project"]
    assert got["source"]["gitCloneDepth"] == 0, got["source"]
    got = cb.update_project(name="cb-depth", source={"type": "NO_SOURCE", "buildspec": "x"})["project"]
    assert "gitCloneDepth" not in got["source"], got["source"]


@check
def codebuild_no_location_for_no_source_and_codepipeline(c):
    cb = c["codebuild"]
    cb.create_project(name="cb-nosrc", source={"type": "NO_SOURCE", "buildspec": "version: 0.2"},
                      artifacts={"type": "NO_ARTIFACTS"}, environment=ENV, serviceRole=ROLE)
    p = cb.create_project(name="cb-pipe", source={"type": "CODEPIPELINE"}, artifacts={"type": "CODEPIPELINE"},
                          environment=ENV, serviceRole=ROLE)["project"]
    assert p["source"] == {"type": "CODEPIPELINE"} and p["artifacts"] == {"type": "CODEPIPELINE"}


@check
def codebuild_keeps_other_validation(c):
    cb = c["codebuild"]
    base = dict(artifacts={"type": "NO_ARTIFACTS"}, environment=ENV, serviceRole=ROLE)
    assert error_of(cb.create_project, name="cb-bad1", source={"type": "GITHUB"}, **base) == ("InvalidInputException", 400)
    assert error_of(cb.create_project, name="cb-bad2", source={"type": "NO_SOURCE"},
                    artifacts={"type": "S3"}, environment=ENV, serviceRole=ROLE) == ("InvalidInputException", 400)
    assert error_of(cb.create_project, name="cb-bad3", source={"type": "NO_SOURCE"}, artifacts={"type": "NO_ARTIFACTS"},
                    environment=ENV, serviceRole="arn:aws:iam::999999999999:role/x") == ("InvalidInputException", 400)
    assert error_of(cb.create_project, name="cb-nosrc", source={"type": "NO_SOURCE"}, **base) == ("ResourceAlreadyExistsException", 400)
    # No serviceRole at all: a 400, like AWS (moto alone answers 500); this
    # client skips boto3's client-side required-member validation, so the
    # strict emulator's model check answers first, as AWS's does.
    assert error_of(c["codebuild_unvalidated"].create_project, name="cb-bad4", source={"type": "NO_SOURCE"},
                    artifacts={"type": "NO_ARTIFACTS"}, environment=ENV) == ("ValidationException", 400)


@check
def codebuild_update_changes_only_given_fields(c):
    cb = c["codebuild"]
    before = cb.batch_get_projects(names=["cb-full"])["projects"][0]
    new_env = {**ENV, "environmentVariables": [{"name": "C", "value": "3", "type": "PLAINTEXT"}]}
    after = cb.update_project(name="cb-full", description="changed", environment=new_env,
                              tags=[{"key": "only", "value": "this"}], concurrentBuildLimit=5)["project"]
    got = cb.batch_get_projects(names=["cb-full"])["projects"][0]
    assert after == got, (after, got)
    assert got["description"] == "changed" and got["environment"] == new_env
    assert got["tags"] == [{"key": "only", "value": "this"}] and got["concurrentBuildLimit"] == 5
    for key in ("source", "sourceVersion", "artifacts", "serviceRole", "timeoutInMinutes",
                "queuedTimeoutInMinutes", "logsConfig", "created", "arn"):
        assert got[key] == before[key], key
    assert got["lastModified"] >= before["lastModified"]
    got = cb.update_project(name="cb-full", concurrentBuildLimit=-1, tags=[])["project"]
    assert "concurrentBuildLimit" not in got and got.get("tags", []) == []


@check
def codebuild_update_unknown_and_invalid(c):
    cb = c["codebuild"]
    assert error_of(cb.update_project, name="cb-missing", description="x") == ("ResourceNotFoundException", 400)
    assert error_of(cb.update_project, name="cb-full", source={"type": "S3"}) == ("InvalidInputException", 400)


@check
def codebuild_batch_get_not_found_and_delete(c):
    cb = c["codebuild"]
    r = cb.batch_get_projects(names=["cb-pipe", "cb-missing"])
    assert [p["name"] for p in r["projects"]] == ["cb-pipe"] and r["projectsNotFound"] == ["cb-missing"], r
    cb.delete_project(name="cb-pipe")
    cb.delete_project(name="cb-pipe")  # unknown name: success, as in AWS
    assert cb.batch_get_projects(names=["cb-pipe"])["projectsNotFound"] == ["cb-pipe"]


@check
def codebuild_list_projects_pages_by_100(c):
    # AWS: 100 names a page, then nextToken (moto: everything at once).
    cb = c["codebuild"]
    base = dict(source={"type": "NO_SOURCE", "buildspec": "x"}, artifacts={"type": "NO_ARTIFACTS"}, environment=ENV, serviceRole=ROLE)
    for i in range(230):
        cb.create_project(name=f"cb-bulk-{i:03}", **base)
    got = pages(cb.list_projects, "nextToken", "nextToken", "projects", sortBy="NAME")
    names = [n for page in got for n in page]
    assert [len(page) for page in got[:-1]] == [100] * (len(got) - 1) and 0 < len(got[-1]) <= 100, [len(p) for p in got]
    assert names == sorted(names) and len(names) == len(set(names)) and {f"cb-bulk-{i:03}" for i in range(230)} <= set(names)
    first = cb.list_projects(sortBy="NAME", sortOrder="DESCENDING")["projects"]
    assert first == sorted(names, reverse=True)[:100]
    assert error_of(cb.list_projects, nextToken="bogus") == ("InvalidInputException", 400)


REGISTRY_CREDENTIAL = {"credential": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:cbctl/registry-AbCdEf",
                       "credentialProvider": "SECRETS_MANAGER"}


@check
def codebuild_image_pull_credentials_round_trip(c):
    # imagePullCredentialsType and registryCredential read back as sent; the
    # environment is replaced wholesale on update.
    cb = c["codebuild"]
    base = dict(source={"type": "NO_SOURCE", "buildspec": "x"}, artifacts={"type": "NO_ARTIFACTS"}, serviceRole=ROLE)
    ecr_image = {**ENV, "image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/cbctl/build:1", "imagePullCredentialsType": "SERVICE_ROLE"}
    created = cb.create_project(name="cb-pull", environment=ecr_image, **base)["project"]["environment"]
    got = cb.batch_get_projects(names=["cb-pull"])["projects"][0]["environment"]
    for env in (created, got):
        assert {k: env.get(k) for k in ecr_image} == ecr_image and "registryCredential" not in env, env
    private = {**ENV, "image": "registry.example.com/team/build:1", "imagePullCredentialsType": "SERVICE_ROLE",
               "registryCredential": REGISTRY_CREDENTIAL}
    updated = cb.update_project(name="cb-pull", environment=private)["project"]["environment"]
    assert updated == cb.batch_get_projects(names=["cb-pull"])["projects"][0]["environment"] == private, updated
    curated = {**ENV, "imagePullCredentialsType": "CODEBUILD"}
    cb.update_project(name="cb-pull", environment=curated)
    assert cb.batch_get_projects(names=["cb-pull"])["projects"][0]["environment"] == curated


def nosrc_project(name, **overrides):
    return {"name": name, "source": {"type": "NO_SOURCE", "buildspec": "x"}, "artifacts": {"type": "NO_ARTIFACTS"},
            "environment": ENV, "serviceRole": ROLE, **overrides}


def read_project(cb, name):
    return cb.batch_get_projects(names=[name])["projects"][0]


@check
def codebuild_logs_config_read_back_defaults(c):
    # AWS reports CloudWatch Logs on, S3 logs off when no logsConfig is sent;
    # a sent logsConfig replaces the stored one, its missing half defaulted.
    cb = c["codebuild"]
    default = {"cloudWatchLogs": {"status": "ENABLED"}, "s3Logs": S3_LOGS_OFF}
    assert cb.create_project(**nosrc_project("cb-logs"))["project"]["logsConfig"] == default
    quiet = {"cloudWatchLogs": {"status": "DISABLED", "groupName": "g"}}
    cb.update_project(name="cb-logs", logsConfig=quiet)
    assert read_project(cb, "cb-logs")["logsConfig"] == {**quiet, "s3Logs": S3_LOGS_OFF}
    s3 = {"s3Logs": {"status": "ENABLED", "location": "log-bucket/build-logs"}}
    got = cb.update_project(name="cb-logs", logsConfig=s3)["project"]["logsConfig"]
    assert got == {"cloudWatchLogs": {"status": "ENABLED"}, "s3Logs": {**s3["s3Logs"], "encryptionDisabled": False}}, got
    cb.update_project(name="cb-logs", description="logs kept")
    assert read_project(cb, "cb-logs")["logsConfig"] == got


@check
def codebuild_encryption_key_read_back_forms(c):
    # Default: the AWS managed S3 key's alias ARN; alias/NAME -> alias ARN,
    # key id -> key ARN, ARN as sent; an update without a key keeps it.
    cb, prefix = c["codebuild"], f"arn:aws:kms:us-east-1:{ACCOUNT}:"
    assert cb.create_project(**nosrc_project("cb-key"))["project"]["encryptionKey"] == prefix + "alias/aws/s3"
    for sent, shown in (("alias/cbctl", prefix + "alias/cbctl"),
                        ("1234abcd-12ab-34cd-56ef-1234567890ab", prefix + "key/1234abcd-12ab-34cd-56ef-1234567890ab"),
                        ("arn:aws:kms:eu-west-1:999999999999:key/k", "arn:aws:kms:eu-west-1:999999999999:key/k"),
                        ("alias/aws/s3", prefix + "alias/aws/s3")):
        assert cb.update_project(name="cb-key", encryptionKey=sent)["project"]["encryptionKey"] == shown, sent
        cb.update_project(name="cb-key", description=f"kept {sent}")
        assert read_project(cb, "cb-key")["encryptionKey"] == shown
    created = cb.create_project(**nosrc_project("cb-key2", encryptionKey="alias/team"))["project"]
    assert created["encryptionKey"] == prefix + "alias/team"


@check
def codebuild_badge_read_back(c):
    # badge.badgeEnabled always; a public badgeRequestUrl only when enabled.
    cb = c["codebuild"]
    assert cb.create_project(**nosrc_project("cb-badge"))["project"]["badge"] == {"badgeEnabled": False}
    badge = cb.update_project(name="cb-badge", badgeEnabled=True)["project"]["badge"]
    assert badge["badgeEnabled"] is True, badge
    assert re.fullmatch(r"https://codebuild\.us-east-1\.amazonaws\.com/badges\?uuid=[A-Za-z0-9%]+&branch=main",
                        badge["badgeRequestUrl"]), badge
    cb.update_project(name="cb-badge", description="badge kept")
    assert read_project(cb, "cb-badge")["badge"] == badge  # stable
    assert cb.update_project(name="cb-badge", badgeEnabled=False)["project"]["badge"] == {"badgeEnabled": False}


@check
def codebuild_cache_read_back(c):
    # NO_CACHE when none is sent; LOCAL/S3 as sent; an update without a cache
    # keeps it; a location sent with NO_CACHE or LOCAL ("ignored") is dropped.
    cb = c["codebuild"]
    assert cb.create_project(**nosrc_project("cb-cache"))["project"]["cache"] == {"type": "NO_CACHE"}
    local = {"type": "LOCAL", "modes": ["LOCAL_DOCKER_LAYER_CACHE", "LOCAL_SOURCE_CACHE"]}
    assert cb.update_project(name="cb-cache", cache=local)["project"]["cache"] == local
    cb.update_project(name="cb-cache", description="cache kept")
    assert read_project(cb, "cb-cache")["cache"] == local
    s3 = {"type": "S3", "location": "cache-bucket/prefix"}
    assert cb.update_project(name="cb-cache", cache=s3)["project"]["cache"] == s3
    got = cb.update_project(name="cb-cache", cache={"type": "NO_CACHE", "location": ""})["project"]["cache"]
    assert got == {"type": "NO_CACHE"}, got


@check
def codebuild_s3_artifacts_read_back_defaults(c):
    # S3 artifacts sent without name/packaging/namespaceType read back NONE,
    # NONE, encryptionDisabled false, the primary ones named after the
    # project; values sent are kept; CODEPIPELINE/NO_ARTIFACTS as sent.
    cb = c["codebuild"]
    secondary = {"type": "S3", "location": "out", "artifactIdentifier": "extra"}
    p = cb.create_project(**nosrc_project("cb-art", artifacts={"type": "S3", "location": "out"},
                                          secondaryArtifacts=[secondary]))["project"]
    defaults = {"packaging": "NONE", "namespaceType": "NONE", "encryptionDisabled": False}
    assert p["artifacts"] == {"type": "S3", "location": "out", "name": "cb-art", **defaults}, p["artifacts"]
    assert p["secondaryArtifacts"] == [{**secondary, **defaults}], p["secondaryArtifacts"]
    mine = {"type": "S3", "location": "out", "name": "app.zip", "packaging": "ZIP", "namespaceType": "BUILD_ID",
            "encryptionDisabled": True, "path": "builds"}
    assert cb.update_project(name="cb-art", artifacts=mine)["project"]["artifacts"] == mine
    got = cb.update_project(name="cb-art", artifacts={"type": "NO_ARTIFACTS"})["project"]
    assert got["artifacts"] == {"type": "NO_ARTIFACTS"} and got["secondaryArtifacts"] == [{**secondary, **defaults}]


def make_vpc(ec2, cidr="10.0.0.0/16"):
    """(vpc id, [subnet ids], [security group ids]) of a new VPC in moto's EC2."""
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    base = cidr.rsplit(".", 2)[0]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base}.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)]
    group = ec2.create_security_group(GroupName=f"cb-{vpc}", Description="cbctl builds", VpcId=vpc)["GroupId"]
    return vpc, subnets, [group]


@check
def codebuild_empty_members_remove_settings(c):
    # Clients clear a setting by sending it empty: vpcConfig {} (or without
    # ids), buildBatchConfig {}, [] for the lists; autoRetryLimit 0.
    cb = c["codebuild"]
    vpc, subnets, groups = make_vpc(c["ec2"])
    vpc_config = {"vpcId": vpc, "subnets": subnets, "securityGroupIds": groups}
    full = dict(vpcConfig=vpc_config, buildBatchConfig={"serviceRole": ROLE, "timeoutInMins": 60}, autoRetryLimit=2,
                secondarySources=[{"type": "S3", "location": "bucket/src.zip", "sourceIdentifier": "extra"}],
                secondarySourceVersions=[{"sourceIdentifier": "extra", "sourceVersion": "v1"}],
                secondaryArtifacts=[{"type": "NO_ARTIFACTS", "artifactIdentifier": "none"}],
                fileSystemLocations=[{"type": "EFS", "location": "fs-1.efs.us-east-1.amazonaws.com:/d", "mountPoint": "/mnt/d",
                                      "identifier": "d"}])
    p = cb.create_project(**nosrc_project("cb-empty", **full))["project"]
    for key, value in full.items():
        assert p[key] == value, (key, p.get(key))
    got = cb.update_project(name="cb-empty", vpcConfig={}, buildBatchConfig={}, autoRetryLimit=0, secondarySources=[],
                            secondarySourceVersions=[], secondaryArtifacts=[], fileSystemLocations=[])["project"]
    assert not any(got.get(key) for key in full), {key: got.get(key) for key in full}
    assert got == read_project(cb, "cb-empty")
    cb.update_project(name="cb-empty", vpcConfig=vpc_config)
    assert read_project(cb, "cb-empty")["vpcConfig"] == vpc_config
    assert "vpcConfig" not in cb.update_project(name="cb-empty", vpcConfig={"subnets": [], "securityGroupIds": []})["project"]


# -------------------------------------------------------------- CodeCommit --
@check
def codecommit_create_with_tags_and_tag_ops(c):
    cc = c["codecommit"]
    meta = cc.create_repository(repositoryName="repo-a", repositoryDescription="A", tags={"cbctl:stack": "s1"})["repositoryMetadata"]
    arn = meta["Arn"]
    assert arn == f"arn:aws:codecommit:us-east-1:{ACCOUNT}:repo-a"
    assert cc.list_tags_for_resource(resourceArn=arn)["tags"] == {"cbctl:stack": "s1"}
    cc.tag_resource(resourceArn=arn, tags={"team": "x", "cbctl:stack": "s2"})
    cc.untag_resource(resourceArn=arn, tagKeys=["team", "absent"])
    assert cc.list_tags_for_resource(resourceArn=arn)["tags"] == {"cbctl:stack": "s2"}
    assert "repositoryDescription" not in cc.create_repository(repositoryName="repo-b")["repositoryMetadata"]
    assert cc.list_tags_for_resource(resourceArn=arn.replace("repo-a", "repo-b"))["tags"] == {}


@check
def codecommit_tag_errors_are_json_1_1(c):
    cc, raw = c["codecommit"], Raw(c["codecommit"])
    arn = f"arn:aws:codecommit:us-east-1:{ACCOUNT}:nope"
    for call, kw in ((cc.list_tags_for_resource, {}), (cc.tag_resource, {"tags": {"a": "b"}}),
                     (cc.untag_resource, {"tagKeys": ["a"]})):
        assert error_of(call, resourceArn=arn, **kw) == ("RepositoryDoesNotExistException", 400)
    assert json.loads(raw.bodies["UntagResource"]) == {"__type": "RepositoryDoesNotExistException", "message": "nope does not exist"}
    assert error_of(cc.list_tags_for_resource, resourceArn="not-an-arn") == ("InvalidResourceArnException", 400)


@check
def codecommit_list_batch_get_update_description(c):
    cc = c["codecommit"]
    repos = cc.list_repositories()["repositories"]
    ids = {r["repositoryName"]: r["repositoryId"] for r in repos}
    assert [r["repositoryName"] for r in repos] == ["repo-a", "repo-b"] and set(repos[0]) == {"repositoryName", "repositoryId"}
    assert [r["repositoryName"] for r in cc.list_repositories(order="descending")["repositories"]] == ["repo-b", "repo-a"]
    r = cc.batch_get_repositories(repositoryNames=["repo-a", "ghost"])
    assert [m["repositoryId"] for m in r["repositories"]] == [ids["repo-a"]] and r["repositoriesNotFound"] == ["ghost"]
    cc.update_repository_description(repositoryName="repo-a", repositoryDescription="new text")
    assert cc.get_repository(repositoryName="repo-a")["repositoryMetadata"]["repositoryDescription"] == "new text"
    assert error_of(cc.update_repository_description, repositoryName="ghost", repositoryDescription="x") == ("RepositoryDoesNotExistException", 400)
    cc.delete_repository(repositoryName="repo-b")
    assert [r["repositoryName"] for r in cc.list_repositories()["repositories"]] == ["repo-a"]


@check
def codecommit_list_repositories_holds_up_to_1000_a_page(c):
    cc = c["codecommit"]
    for i in range(300):
        cc.create_repository(repositoryName=f"repo-bulk-{i:03}")
    got = cc.list_repositories()
    assert "nextToken" not in got and len(got["repositories"]) == 301, len(got["repositories"])  # with repo-a


# --------------------------------------------------------------------- SSM --
@check
def ssm_parameters_tags_and_filters(c):
    ssm = c["ssm"]
    ssm.put_parameter(Name="/cbctl/s1/secret", Value="hunter2", Type="SecureString", Tags=[{"Key": "cbctl:stack", "Value": "s1"}])
    ssm.put_parameter(Name="/cbctl/s1/plain", Value="v", Type="String", Tags=[{"Key": "cbctl:stack", "Value": "s1"}])
    ssm.put_parameter(Name="/cbctl/other", Value="v", Type="String", Tags=[{"Key": "cbctl:stack", "Value": "other"}])
    by_tag = ssm.describe_parameters(ParameterFilters=[{"Key": "tag:cbctl:stack", "Values": ["s1"]}])["Parameters"]
    assert sorted(p["Name"] for p in by_tag) == ["/cbctl/s1/plain", "/cbctl/s1/secret"], by_tag
    by_name = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": ["/cbctl/other", "/cbctl/none"]}])
    assert [p["Name"] for p in by_name["Parameters"]] == ["/cbctl/other"]
    got = ssm.get_parameters(Names=["/cbctl/s1/secret", "/cbctl/none"], WithDecryption=True)
    assert [(p["Name"], p["Type"], p["Value"]) for p in got["Parameters"]] == [("/cbctl/s1/secret", "SecureString", "hunter2")]
    assert got["InvalidParameters"] == ["/cbctl/none"]
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/cbctl/s1/plain", Tags=[{"Key": "k", "Value": "v"}])
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId="/cbctl/s1/plain", TagKeys=["cbctl:stack"])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/cbctl/s1/plain")["TagList"] == [{"Key": "k", "Value": "v"}]
    assert error_of(ssm.list_tags_for_resource, ResourceType="Parameter", ResourceId="/cbctl/none") == ("InvalidResourceId", 400)


@check
def ssm_standard_tier_values_hold_at_most_4_kb(c):
    ssm = c["ssm"]
    ssm.put_parameter(Name="/cbctl/s1/big", Value="x" * 4096, Type="String")
    assert error_of(ssm.put_parameter, Name="/cbctl/s1/big", Value="x" * 4097, Type="String", Overwrite=True) == ("ValidationException", 400)
    assert error_of(ssm.put_parameter, Name="/cbctl/s1/big2", Value="é" * 2049, Type="SecureString") == ("ValidationException", 400)
    ssm.put_parameter(Name="/cbctl/s1/big2", Value="x" * 5000, Type="String", Tier="Advanced")
    assert len(ssm.get_parameter(Name="/cbctl/s1/big")["Parameter"]["Value"]) == 4096
    ssm.delete_parameters(Names=["/cbctl/s1/big", "/cbctl/s1/big2"])


@check
def ssm_describe_parameters_pages_by_max_results(c):
    # AWS returns up to MaxResults a page (moto: always 10, so 100 tagged
    # parameters took 10 calls instead of 2).
    ssm = c["ssm"]
    names = [f"/cbctl/bulk/p{i:03}" for i in range(100)]
    for name in names:
        ssm.put_parameter(Name=name, Value="v", Type="String", Tags=[{"Key": "cbctl:stack", "Value": "bulk"}])
    by_tag = [{"Key": "tag:cbctl:stack", "Values": ["bulk"]}]
    got = pages(ssm.describe_parameters, "NextToken", "NextToken", "Parameters", ParameterFilters=by_tag, MaxResults=50)
    assert [len(page) for page in got] == [50, 50], [len(page) for page in got]
    assert sorted(p["Name"] for page in got for p in page) == names
    by_name = [{"Key": "Name", "Option": "Equals", "Values": names[:50]}]
    got = pages(ssm.describe_parameters, "NextToken", "NextToken", "Parameters", ParameterFilters=by_name, MaxResults=50)
    assert [len(page) for page in got] == [50] and {p["Name"] for p in got[0]} == set(names[:50])
    assert len(ssm.describe_parameters(ParameterFilters=by_tag)["Parameters"]) == 10  # the default page
    assert error_of(ssm.describe_parameters, NextToken="bogus") == ("InvalidNextToken", 400)


# --------------------------------------------------------------------- IAM --
@check
def iam_role_lifecycle_and_encoding(c):
    iam, raw = c["iam"], Raw(c["iam"])
    enc = lambda doc: urllib.parse.quote(doc, safe="")  # noqa: E731
    role = iam.create_role(RoleName="cbctl-r", Path="/cbctl/", AssumeRolePolicyDocument=TRUST, Description="d",
                           MaxSessionDuration=7200, Tags=[{"Key": "cbctl:stack", "Value": "s1"}])["Role"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/cbctl/cbctl-r"
    got = iam.get_role(RoleName="cbctl-r")["Role"]
    assert got["Tags"] == [{"Key": "cbctl:stack", "Value": "s1"}] and got["Path"] == "/cbctl/"
    assert f"<AssumeRolePolicyDocument>{enc(TRUST)}</AssumeRolePolicyDocument>" in raw.bodies["GetRole"]
    iam.create_role(RoleName="elsewhere", AssumeRolePolicyDocument=TRUST)
    assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/cbctl/")["Roles"]] == ["cbctl-r"]
    assert enc(TRUST) in raw.bodies["ListRoles"] and '{"Version"' not in raw.bodies["ListRoles"]
    iam.put_role_policy(RoleName="cbctl-r", PolicyName="inline", PolicyDocument=POLICY)
    assert iam.get_role_policy(RoleName="cbctl-r", PolicyName="inline")["PolicyDocument"] == json.loads(POLICY)
    assert f"<PolicyDocument>{enc(POLICY)}</PolicyDocument>" in raw.bodies["GetRolePolicy"]  # "/" -> %2F
    assert iam.list_role_policies(RoleName="cbctl-r")["PolicyNames"] == ["inline"]
    assert iam.list_attached_role_policies(RoleName="cbctl-r")["AttachedPolicies"] == []
    new_trust = TRUST.replace("codebuild", "codepipeline")
    iam.update_assume_role_policy(RoleName="cbctl-r", PolicyDocument=new_trust)
    iam.tag_role(RoleName="cbctl-r", Tags=[{"Key": "extra", "Value": "1"}])
    iam.untag_role(RoleName="cbctl-r", TagKeys=["cbctl:stack"])
    iam.update_role(RoleName="cbctl-r", Description="updated")
    got = iam.get_role(RoleName="cbctl-r")["Role"]
    assert got["AssumeRolePolicyDocument"] == json.loads(new_trust)
    assert got["Tags"] == [{"Key": "extra", "Value": "1"}]
    assert (got["Description"], got["MaxSessionDuration"]) == ("updated", 7200), got
    assert error_of(iam.delete_role, RoleName="cbctl-r") == ("DeleteConflict", 409)
    iam.delete_role_policy(RoleName="cbctl-r", PolicyName="inline")
    iam.delete_role(RoleName="cbctl-r")
    assert error_of(iam.get_role, RoleName="cbctl-r") == ("NoSuchEntity", 404)


@check
def iam_gaad_role_details_with_encoded_documents(c):
    iam, raw = c["iam"], Raw(c["iam"])
    enc = lambda doc: urllib.parse.quote(doc, safe="")  # noqa: E731
    iam.create_role(RoleName="gaad-r", Path="/gaad/", AssumeRolePolicyDocument=TRUST, Description="not in RoleDetail",
                    Tags=[{"Key": "cbctl:stack", "Value": "g"}])
    iam.put_role_policy(RoleName="gaad-r", PolicyName="inline", PolicyDocument=POLICY)
    managed = iam.create_policy(PolicyName="gaad-managed", PolicyDocument=POLICY)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="gaad-r", PolicyArn=managed)
    details = iam.get_account_authorization_details(Filter=["Role"], MaxItems=1000)
    (role,) = [r for r in details["RoleDetailList"] if r["RoleName"] == "gaad-r"]
    assert (role["Path"], role["Arn"]) == ("/gaad/", f"arn:aws:iam::{ACCOUNT}:role/gaad/gaad-r")
    assert role["AssumeRolePolicyDocument"] == json.loads(TRUST)  # boto3 URL-decodes, as for GetRole
    assert role["RolePolicyList"] == [{"PolicyName": "inline", "PolicyDocument": json.loads(POLICY)}]
    assert role["AttachedManagedPolicies"] == [{"PolicyName": "gaad-managed", "PolicyArn": managed}]
    assert role["Tags"] == [{"Key": "cbctl:stack", "Value": "g"}] and "Description" not in role
    assert details["UserDetailList"] == details["GroupDetailList"] == details["Policies"] == []
    body = raw.bodies["GetAccountAuthorizationDetails"]  # RFC 3986, "/" too: as GetRole/GetRolePolicy
    assert f"<AssumeRolePolicyDocument>{enc(TRUST)}</AssumeRolePolicyDocument>" in body
    assert f"<PolicyDocument>{enc(POLICY)}</PolicyDocument>" in body and '{"Version"' not in body
    assert error_of(iam.get_account_authorization_details, Marker="bogus") == ("ValidationError", 400)
    iam.detach_role_policy(RoleName="gaad-r", PolicyArn=managed)
    iam.delete_role_policy(RoleName="gaad-r", PolicyName="inline")
    iam.delete_role(RoleName="gaad-r")


def gaad_role(iam, name):
    """The RoleDetail of role `name` from GetAccountAuthorizationDetails."""
    details = pages(iam.get_account_authorization_details, "Marker", "Marker", "RoleDetailList", Filter=["Role"], MaxItems=1000)
    (role,) = [r for page in details for r in page if r["RoleName"] == name]
    return role


@check
def iam_permissions_boundary_lifecycle(c):
    iam, raw = c["iam"], Raw(c["iam"])
    boundary = iam.create_policy(PolicyName="cbctl-boundary", PolicyDocument=POLICY)["Policy"]["Arn"]
    created = iam.create_role(RoleName="pb-r", Path="/cbctl/", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=boundary,
                              Tags=[{"Key": "cbctl:stack", "Value": "pb"}])["Role"]
    expected = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}  # "Policy", as AWS sends it
    assert created["PermissionsBoundary"] == expected, created
    assert iam.get_role(RoleName="pb-r")["Role"]["PermissionsBoundary"] == expected
    assert "<PermissionsBoundaryType>Policy</PermissionsBoundaryType>" in raw.bodies["GetRole"]
    assert gaad_role(iam, "pb-r")["PermissionsBoundary"] == expected
    # ListRoles leaves PermissionsBoundary, RoleLastUsed and Tags out, as AWS documents.
    (listed,) = [r for r in iam.list_roles(PathPrefix="/cbctl/")["Roles"] if r["RoleName"] == "pb-r"]
    assert not {"PermissionsBoundary", "RoleLastUsed", "Tags"} & set(listed), listed
    assert not any(word in raw.bodies["ListRoles"] for word in ("PermissionsBoundary", "RoleLastUsed", "<Tags")), raw.bodies["ListRoles"]
    aws_boundary = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"  # an AWS managed policy
    iam.put_role_permissions_boundary(RoleName="pb-r", PermissionsBoundary=aws_boundary)
    assert iam.get_role(RoleName="pb-r")["Role"]["PermissionsBoundary"] == {**expected, "PermissionsBoundaryArn": aws_boundary}
    iam.delete_role_permissions_boundary(RoleName="pb-r")
    assert "PermissionsBoundary" not in iam.get_role(RoleName="pb-r")["Role"]
    assert "PermissionsBoundary" not in gaad_role(iam, "pb-r")
    # A boundary policy that does not exist: 404 NoSuchEntity, nothing set or created.
    missing = f"arn:aws:iam::{ACCOUNT}:policy/cbctl-no-such-boundary"
    r = failure(iam.put_role_permissions_boundary, RoleName="pb-r", PermissionsBoundary=missing)
    got = (r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"])
    assert got == ("NoSuchEntity", 404, f"Scope ARN: {missing} does not exist or is not attachable."), got
    assert "PermissionsBoundary" not in iam.get_role(RoleName="pb-r")["Role"]
    for arn in (missing, "arn:aws:iam::aws:policy/NoSuchAwsManagedPolicy"):
        assert error_of(iam.create_role, RoleName="pb-missing", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=arn) == ("NoSuchEntity", 404)
    assert error_of(iam.get_role, RoleName="pb-missing") == ("NoSuchEntity", 404)
    iam.delete_role(RoleName="pb-r")
    iam.delete_policy(PolicyArn=boundary)


@check
def iam_attach_aws_and_customer_managed_policies(c):
    iam = c["iam"]
    iam.create_role(RoleName="mp-r", Path="/cbctl/", AssumeRolePolicyDocument=TRUST)
    customer = iam.create_policy(PolicyName="cbctl-customer", Path="/cbctl/", PolicyDocument=POLICY)["Policy"]["Arn"]
    aws = ["arn:aws:iam::aws:policy/AWSCodeArtifactReadOnlyAccess", "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"]
    for arn in (*aws, customer):
        iam.attach_role_policy(RoleName="mp-r", PolicyArn=arn)
    by_arn = lambda policies: sorted(policies, key=lambda p: p["PolicyArn"])  # noqa: E731
    expected = by_arn({"PolicyName": arn.rsplit("/", 1)[1], "PolicyArn": arn} for arn in (*aws, customer))
    assert by_arn(iam.list_attached_role_policies(RoleName="mp-r")["AttachedPolicies"]) == expected
    assert by_arn(gaad_role(iam, "mp-r")["AttachedManagedPolicies"]) == expected
    assert iam.get_policy(PolicyArn=aws[1])["Policy"]["AttachmentCount"] == 1
    iam.detach_role_policy(RoleName="mp-r", PolicyArn=aws[0])
    remaining = [p for p in expected if p["PolicyArn"] != aws[0]]
    assert by_arn(iam.list_attached_role_policies(RoleName="mp-r")["AttachedPolicies"]) == remaining
    for arn in ("arn:aws:iam::aws:policy/NoSuchAwsManagedPolicy", f"arn:aws:iam::{ACCOUNT}:policy/cbctl-no-such-policy"):
        assert error_of(iam.attach_role_policy, RoleName="mp-r", PolicyArn=arn) == ("NoSuchEntity", 404), arn
    assert error_of(iam.detach_role_policy, RoleName="mp-r", PolicyArn=aws[0]) == ("NoSuchEntity", 404)  # not attached
    for arn in (aws[1], customer):
        iam.detach_role_policy(RoleName="mp-r", PolicyArn=arn)
    iam.delete_role(RoleName="mp-r")
    iam.delete_policy(PolicyArn=customer)


@check
def iam_1200_roles_page_through_gaad_list_roles_and_summary(c):
    # AWS pages GetAccountAuthorizationDetails by MaxItems (moto: one page,
    # IsTruncated false); ListRoles pages too and carries Description.
    iam = c["iam"]
    for i in range(1200):
        iam.create_role(RoleName=f"bulk-{i:04}", Path="/bulk/", AssumeRolePolicyDocument=TRUST, Description=f"d{i}")
    total = iam.get_account_summary()["SummaryMap"]["Roles"]
    got = pages(iam.get_account_authorization_details, "Marker", "Marker", "RoleDetailList", Filter=["Role"], MaxItems=1000)
    assert [len(page) for page in got] == [1000, total - 1000], ([len(page) for page in got], total)
    assert len({r["Arn"] for page in got for r in page}) == total
    got = pages(iam.list_roles, "Marker", "Marker", "Roles", PathPrefix="/bulk/", MaxItems=1000)
    assert [len(page) for page in got] == [1000, 200], [len(page) for page in got]
    roles = {r["RoleName"]: r for page in got for r in page}
    assert set(roles) == {f"bulk-{i:04}" for i in range(1200)} and roles["bulk-0007"]["Description"] == "d7"
    everything = pages(iam.list_roles, "Marker", "Marker", "Roles", MaxItems=1000)
    assert sum(map(len, everything)) == total


# --------------------------------------------------------------------- STS --
@check
def sts_get_caller_identity(c):
    assert c["sts"].get_caller_identity()["Account"] == ACCOUNT


# ------------------------------------------------------------ CodePipeline --
def trust(*services, statements=False):
    """A trust policy for services: one statement with Principal.Service a
    string (one service) or a list, or with statements=True one per service."""
    if statements:
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": f"{s}.amazonaws.com"}, "Action": "sts:AssumeRole"} for s in services]})
    names = [f"{s}.amazonaws.com" for s in services]
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": names[0] if len(names) == 1 else names}, "Action": "sts:AssumeRole"}]})


def action(name, category, provider, **extra):
    return {"name": name, "actionTypeId": {"category": category, "owner": "AWS", "provider": provider, "version": "1"}, **extra}


def pipeline_decl(name, role, **extra):
    """A minimal valid V1 declaration (CodeCommit source, CodeBuild build)."""
    return {"name": name, "roleArn": role, "artifactStore": {"type": "S3", "location": "cp-artifacts"}, "stages": [
        {"name": "Source", "actions": [action("Src", "Source", "CodeCommit", configuration={"RepositoryName": "r", "BranchName": "main"},
                                              outputArtifacts=[{"name": "src"}])]},
        {"name": "Build", "actions": [action("Build", "Build", "CodeBuild", configuration={"ProjectName": "p"},
                                             inputArtifacts=[{"name": "src"}])]}], **extra}


def cp_role(iam, name, document):
    return iam.create_role(RoleName=name, Path="/cbctl/", AssumeRolePolicyDocument=document)["Role"]["Arn"]


@check
def codepipeline_v2_declaration_round_trips_exactly(c):
    cp, raw = c["codepipeline"], Raw(c["codepipeline"])
    role = cp_role(c["iam"], "cp-str", trust("codepipeline"))  # Principal.Service a string
    conn = f"arn:aws:codeconnections:us-east-1:{ACCOUNT}:connection/0c4d6f1e-1111-2222-3333-444455556666"
    sent = {
        "name": "cp-v2", "roleArn": role, "pipelineType": "V2", "executionMode": "QUEUED",
        "artifactStore": {"type": "S3", "location": "cp-artifacts",
                          "encryptionKey": {"id": f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/cbctl", "type": "KMS"}},
        "variables": [{"name": "DeployEnv", "defaultValue": "dev", "description": "target"}, {"name": "Bare"}],
        "triggers": [{"providerType": "CodeStarSourceConnection", "gitConfiguration": {
            "sourceActionName": "Src",
            "push": [{"branches": {"includes": ["main", "release/*"], "excludes": ["wip/*"]},
                      "filePaths": {"includes": ["src/**"], "excludes": ["docs/**"]}},
                     {"tags": {"includes": ["v*"], "excludes": ["v0*"]}}],
            "pullRequest": [{"events": ["OPEN", "UPDATED"], "branches": {"includes": ["main"]},
                             "filePaths": {"excludes": ["*.md"]}}]}}],
        "stages": [
            {"name": "Source", "actions": [action(
                "Src", "Source", "CodeStarSourceConnection", runOrder=1, region="us-east-1", namespace="SourceVariables",
                configuration={"ConnectionArn": conn, "FullRepositoryId": "org/repo", "BranchName": "main",
                               "DetectChanges": "false", "OutputArtifactFormat": "CODE_ZIP"},
                inputArtifacts=[], outputArtifacts=[{"name": "src"}])]},
            {"name": "Build", "actions": [
                action("Unit", "Build", "CodeBuild", runOrder=1, namespace="UnitVars", roleArn=role,
                       configuration={"ProjectName": "cb-unit", "PrimarySource": "src", "EnvironmentVariables":
                                      '[{"name":"COMMIT","value":"#{SourceVariables.CommitId}","type":"PLAINTEXT"}]'},
                       inputArtifacts=[{"name": "src"}], outputArtifacts=[{"name": "unit"}]),
                action("Package", "Build", "CodeBuild", runOrder=2, configuration={"ProjectName": "cb-pkg", "BatchEnabled": "true"},
                       inputArtifacts=[{"name": "src"}, {"name": "unit"}], outputArtifacts=[])]}]}
    tags = [{"key": "cbctl:stack", "value": "s1"}, {"key": "a", "value": ""}]
    created = cp.create_pipeline(pipeline=sent, tags=tags)
    assert created["pipeline"] == {**sent, "version": 1}, created["pipeline"]
    assert sorted(created["tags"], key=lambda t: t["key"]) == sorted(tags, key=lambda t: t["key"])
    got = cp.get_pipeline(name="cp-v2")
    assert got["pipeline"] == {**sent, "version": 1}, got["pipeline"]
    arn = f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:cp-v2"
    assert got["metadata"]["pipelineArn"] == arn and got["metadata"]["created"] == got["metadata"]["updated"]
    # awsJson timestamps are epoch seconds on the wire, as in AWS
    meta = json.loads(raw.bodies["GetPipeline"])["metadata"]
    assert isinstance(meta["created"], (int, float)) and abs(meta["created"] - time.time()) < 60, meta
    assert sorted(cp.list_tags_for_resource(resourceArn=arn)["tags"], key=lambda t: t["key"]) == sorted(tags, key=lambda t: t["key"])


@check
def codepipeline_v1_defaults_list_trust_and_list_pipelines(c):
    cp, raw = c["codepipeline"], Raw(c["codepipeline"])
    role = cp_role(c["iam"], "cp-list", trust("codepipeline", "events"))  # Principal.Service a list
    sent = pipeline_decl("cp-v1", role)
    got = cp.create_pipeline(pipeline=sent)["pipeline"]
    assert (got["pipelineType"], got["executionMode"], got["version"]) == ("V1", "SUPERSEDED", 1), got
    got = cp.get_pipeline(name="cp-v1")["pipeline"]
    assert (got["pipelineType"], got["executionMode"]) == ("V1", "SUPERSEDED")
    src, build = got["stages"][0]["actions"][0], got["stages"][1]["actions"][0]
    assert (src["runOrder"], src["inputArtifacts"], build["outputArtifacts"]) == (1, [], [])
    assert src["configuration"] == {"RepositoryName": "r", "BranchName": "main"}
    assert "variables" not in got and "triggers" not in got
    summaries = {p["name"]: p for p in cp.list_pipelines()["pipelines"]}
    assert {k: summaries["cp-v1"][k] for k in ("version", "pipelineType", "executionMode")} == {
        "version": 1, "pipelineType": "V1", "executionMode": "SUPERSEDED"}
    assert summaries["cp-v2"]["pipelineType"] == "V2" and summaries["cp-v2"]["executionMode"] == "QUEUED"
    wire = {p["name"]: p for p in json.loads(raw.bodies["ListPipelines"])["pipelines"]}
    assert isinstance(wire["cp-v1"]["created"], (int, float)) and isinstance(wire["cp-v1"]["updated"], (int, float))
    first = cp.list_pipelines(maxResults=1)
    assert [p["name"] for p in first["pipelines"]] == ["cp-v1"] and first["nextToken"]
    rest = cp.list_pipelines(maxResults=1, nextToken=first["nextToken"])
    assert [p["name"] for p in rest["pipelines"]] == ["cp-v2"] and "nextToken" not in rest


@check
def codepipeline_update_increments_version_and_keeps_history(c):
    cp = c["codepipeline"]
    before = cp.get_pipeline(name="cp-v1")
    time.sleep(0.01)
    changed = pipeline_decl("cp-v1", before["pipeline"]["roleArn"], pipelineType="V2", executionMode="PARALLEL",
                            variables=[{"name": "X", "defaultValue": "1"}])
    changed["stages"][1]["actions"][0]["configuration"]["ProjectName"] = "p2"
    updated = cp.update_pipeline(pipeline=changed)["pipeline"]
    assert updated["version"] == 2 and updated["executionMode"] == "PARALLEL"
    after = cp.get_pipeline(name="cp-v1")
    assert after["pipeline"] == updated and after["pipeline"]["stages"][1]["actions"][0]["configuration"]["ProjectName"] == "p2"
    assert after["metadata"]["created"] == before["metadata"]["created"]
    assert after["metadata"]["updated"] > before["metadata"]["updated"]
    assert cp.get_pipeline(name="cp-v1", version=1)["pipeline"] == before["pipeline"]
    assert error_of(cp.get_pipeline, name="cp-v1", version=7) == ("PipelineVersionNotFoundException", 400)
    # The declaration is replaced wholesale: omitted type/mode take the defaults again.
    again = cp.update_pipeline(pipeline=pipeline_decl("cp-v1", before["pipeline"]["roleArn"]))["pipeline"]
    assert (again["version"], again["pipelineType"], again["executionMode"]) == (3, "V1", "SUPERSEDED")
    assert "variables" not in again
    assert [p["version"] for p in cp.list_pipelines()["pipelines"] if p["name"] == "cp-v1"] == [3]


@check
def codepipeline_not_found_and_delete(c):
    cp = c["codepipeline"]
    role = cp.get_pipeline(name="cp-v1")["pipeline"]["roleArn"]
    assert error_of(cp.update_pipeline, pipeline=pipeline_decl("cp-ghost", role)) == ("PipelineNotFoundException", 400)
    assert error_of(cp.get_pipeline, name="cp-ghost") == ("PipelineNotFoundException", 400)
    cp.delete_pipeline(name="cp-ghost")  # unknown name: success, as in AWS
    cp.create_pipeline(pipeline=pipeline_decl("cp-del", role))
    cp.delete_pipeline(name="cp-del")
    assert error_of(cp.get_pipeline, name="cp-del") == ("PipelineNotFoundException", 400)
    assert "cp-del" not in [p["name"] for p in cp.list_pipelines()["pipelines"]]


@check
def codepipeline_structure_role_and_name_validation(c):
    cp, iam = c["codepipeline"], c["iam"]
    role = cp.get_pipeline(name="cp-v1")["pipeline"]["roleArn"]
    bad = ("InvalidStructureException", 400)
    one_stage = pipeline_decl("cp-bad", role)
    one_stage["stages"] = one_stage["stages"][:1]
    assert error_of(cp.create_pipeline, pipeline=one_stage) == bad
    no_source_first = pipeline_decl("cp-bad", role)
    no_source_first["stages"].reverse()
    assert error_of(cp.create_pipeline, pipeline=no_source_first) == bad
    mixed_first = pipeline_decl("cp-bad", role)
    mixed_first["stages"][0]["actions"].append(action("B", "Build", "CodeBuild", configuration={"ProjectName": "p"}, inputArtifacts=[{"name": "src"}]))
    assert error_of(cp.create_pipeline, pipeline=mixed_first) == bad
    late_source = pipeline_decl("cp-bad", role)
    late_source["stages"].append({"name": "Again", "actions": [action("S2", "Source", "S3", configuration={"S3Bucket": "b", "S3ObjectKey": "k"},
                                                                       outputArtifacts=[{"name": "s2"}])]})
    assert error_of(cp.create_pipeline, pipeline=late_source) == bad
    assert error_of(cp.update_pipeline, pipeline={**no_source_first, "name": "cp-v1"}) == bad
    # roles CodePipeline cannot assume: unknown, trusting only CodeBuild, or a Deny
    codebuild_only = cp_role(iam, "cp-cbonly", trust("codebuild"))
    deny = cp_role(iam, "cp-deny", trust("codepipeline").replace('"Allow"', '"Deny"'))
    for arn in (f"arn:aws:iam::{ACCOUNT}:role/cbctl/cp-none", codebuild_only, deny):
        assert error_of(cp.create_pipeline, pipeline=pipeline_decl("cp-bad", arn)) == bad, arn
        assert error_of(cp.update_pipeline, pipeline=pipeline_decl("cp-v1", arn)) == bad, arn
    # one statement per service still works (the role-delay check relies on it)
    both = cp_role(iam, "cp-both", trust("codebuild", "codepipeline", statements=True))
    cp.create_pipeline(pipeline=pipeline_decl("cp-both", both))
    assert error_of(cp.create_pipeline, pipeline=pipeline_decl("cp-both", both)) == ("PipelineNameInUseException", 400)
    assert error_of(cp.create_pipeline, pipeline=pipeline_decl("cp-badtag", role), tags=[{"key": "aws:x", "value": "1"}]) == ("InvalidTagsException", 400)
    assert error_of(cp.get_pipeline, name="cp-badtag") == ("PipelineNotFoundException", 400)  # nothing half-created
    assert error_of(cp.get_pipeline, name="cp-bad") == ("PipelineNotFoundException", 400)


@check
def codepipeline_tag_operations_by_arn(c):
    cp = c["codepipeline"]
    arn = f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:cp-v1"
    assert cp.list_tags_for_resource(resourceArn=arn)["tags"] == []
    cp.tag_resource(resourceArn=arn, tags=[{"key": "cbctl:stack", "value": "s1"}, {"key": "team", "value": "x"}])
    cp.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "y"}])
    cp.untag_resource(resourceArn=arn, tagKeys=["cbctl:stack", "absent"])
    assert cp.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "y"}]
    for other in (f"arn:aws:codepipeline:us-east-1:999999999999:cp-v1", f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:cp-ghost"):
        assert error_of(cp.list_tags_for_resource, resourceArn=other) == ("ResourceNotFoundException", 400)
        assert error_of(cp.tag_resource, resourceArn=other, tags=[{"key": "k", "value": "v"}]) == ("ResourceNotFoundException", 400)
    # Not an ARN at all: the model's pattern refuses it before the service looks.
    assert error_of(cp.list_tags_for_resource, resourceArn="cp-v1") == ("ValidationException", 400)



@check
def codepipeline_v2_connection_source_without_triggers_gets_the_default_trigger(c):
    cp = c["codepipeline"]
    role = cp_role(c["iam"], "cp-default-trigger", trust("codepipeline"))
    conn = f"arn:aws:codeconnections:us-east-1:{ACCOUNT}:connection/0c4d6f1e-1111-2222-3333-444455556677"

    def decl(name, detect=None, **extra):
        config = {"ConnectionArn": conn, "FullRepositoryId": "org/repo", "BranchName": "dev"}
        if detect is not None:
            config["DetectChanges"] = detect
        return {**pipeline_decl(name, role, **extra), "stages": [
            {"name": "Source", "actions": [action("Hub", "Source", "CodeStarSourceConnection", configuration=config,
                                                  outputArtifacts=[{"name": "src"}])]},
            {"name": "Build", "actions": [action("Build", "Build", "CodeBuild", configuration={"ProjectName": "p"},
                                                 inputArtifacts=[{"name": "src"}])]}]}
    default = [{"providerType": "CodeStarSourceConnection",
                "gitConfiguration": {"sourceActionName": "Hub", "push": [{"branches": {"includes": ["dev"]}}]}}]
    cp.create_pipeline(pipeline=decl("cp-dt", pipelineType="V2"))
    assert cp.get_pipeline(name="cp-dt")["pipeline"].get("triggers") == default
    cp.update_pipeline(pipeline=decl("cp-dt", pipelineType="V2"))  # put back on an update declaring none
    assert cp.get_pipeline(name="cp-dt")["pipeline"].get("triggers") == default
    mine = [{"providerType": "CodeStarSourceConnection",
             "gitConfiguration": {"sourceActionName": "Hub", "push": [{"tags": {"includes": ["v*"]}}]}}]
    cp.update_pipeline(pipeline=decl("cp-dt", pipelineType="V2", triggers=mine))
    assert cp.get_pipeline(name="cp-dt")["pipeline"]["triggers"] == mine
    # No default without change detection, nor on V1.
    cp.create_pipeline(pipeline=decl("cp-dt-off", "false", pipelineType="V2"))
    assert "triggers" not in cp.get_pipeline(name="cp-dt-off")["pipeline"]
    cp.create_pipeline(pipeline=decl("cp-dt-v1"))
    assert "triggers" not in cp.get_pipeline(name="cp-dt-v1")["pipeline"]
    for name in ("cp-dt", "cp-dt-off", "cp-dt-v1"):
        cp.delete_pipeline(name=name)


@check
def codepipeline_get_masks_secret_action_configuration(c):
    # GetPipeline answers "****" for a GitHub (version 1) action's OAuthToken.
    cp = c["codepipeline"]
    role = cp_role(c["iam"], "cp-github-v1", trust("codepipeline"))
    decl = pipeline_decl("cp-gh", role)
    config = {"Owner": "o", "Repo": "r", "Branch": "main", "OAuthToken": "ghp_secret", "PollForSourceChanges": "false"}
    decl["stages"][0]["actions"] = [{"name": "Src", "actionTypeId": {"category": "Source", "owner": "ThirdParty", "provider": "GitHub",
                                                                     "version": "1"},
                                     "configuration": config, "outputArtifacts": [{"name": "src"}]}]
    cp.create_pipeline(pipeline=decl)
    got = cp.get_pipeline(name="cp-gh")["pipeline"]["stages"][0]["actions"][0]["configuration"]
    assert got == {**config, "OAuthToken": "****"}, got
    assert "ghp_secret" not in json.dumps(cp.get_pipeline(name="cp-gh", version=1)["pipeline"])
    cp.delete_pipeline(name="cp-gh")

@check
def codepipeline_list_pipelines_pages(c):
    cp = c["codepipeline"]
    role = cp_role(c["iam"], "cp-bulk", trust("codepipeline"))
    for i in range(250):
        cp.create_pipeline(pipeline=pipeline_decl(f"cp-bulk-{i:03}", role))
    default = pages(cp.list_pipelines, "nextToken", "nextToken", "pipelines")
    assert [len(page) for page in default[:-1]] == [100] * (len(default) - 1) and len(default) == 3, [len(p) for p in default]
    (whole,) = pages(cp.list_pipelines, "nextToken", "nextToken", "pipelines", maxResults=1000)
    assert [p["name"] for p in whole] == [p["name"] for page in default for p in page]
    assert {f"cp-bulk-{i:03}" for i in range(250)} <= {p["name"] for p in whole}


# --------------------------------------------------------- CodeConnections --
CONNECTION_ARN = r"arn:aws:{}:us-east-1:123456789012:connection/[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}"


@check
def codeconnections_lifecycle_json(c):
    cc, raw = c["codeconnections"], Raw(c["codeconnections"])
    r = cc.create_connection(ProviderType="GitHub", ConnectionName="gh-main", Tags=[{"Key": "cbctl:stack", "Value": "s1"}])
    arn = r["ConnectionArn"]
    assert re.fullmatch(CONNECTION_ARN.format("codeconnections"), arn), arn
    assert r["Tags"] == [{"Key": "cbctl:stack", "Value": "s1"}]
    assert raw.responses["CreateConnection"].headers["Content-Type"] == "application/x-amz-json-1.0"
    assert cc.get_connection(ConnectionArn=arn)["Connection"] == {
        "ConnectionName": "gh-main", "ConnectionArn": arn, "ProviderType": "GitHub",
        "OwnerAccountId": ACCOUNT, "ConnectionStatus": "PENDING"}
    gl = cc.create_connection(ProviderType="GitLab", ConnectionName="gl")["ConnectionArn"]
    assert [x["ConnectionArn"] for x in cc.list_connections()["Connections"]][:2] == [arn, gl]
    assert [x["ConnectionArn"] for x in cc.list_connections(ProviderTypeFilter="GitLab")["Connections"]] == [gl]
    page = cc.list_connections(MaxResults=1)
    assert len(page["Connections"]) == 1 and cc.list_connections(NextToken=page["NextToken"])["Connections"][0]["ConnectionArn"] == gl
    cc.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "x"}, {"Key": "cbctl:stack", "Value": "s2"}])
    cc.untag_resource(ResourceArn=arn, TagKeys=["team", "absent"])
    assert cc.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "cbctl:stack", "Value": "s2"}]
    assert cc.list_tags_for_resource(ResourceArn=gl)["Tags"] == []
    cc.delete_connection(ConnectionArn=gl)
    missing = gl
    for call, kw in ((cc.get_connection, {"ConnectionArn": missing}), (cc.delete_connection, {"ConnectionArn": missing}),
                     (cc.list_tags_for_resource, {"ResourceArn": missing}), (cc.untag_resource, {"ResourceArn": missing, "TagKeys": ["a"]})):
        assert error_of(call, **kw) == ("ResourceNotFoundException", 400), call
    assert json.loads(raw.bodies["GetConnection"])["__type"] == "ResourceNotFoundException"
    other_region = arn.replace("us-east-1", "eu-west-1")
    assert error_of(cc.get_connection, ConnectionArn=other_region) == ("ResourceNotFoundException", 400)
    assert error_of(cc.get_connection, ConnectionArn="not-an-arn") == ("ValidationException", 400)
    assert error_of(cc.create_connection, ProviderType="Gitea", ConnectionName="x") == ("ValidationException", 400)
    assert error_of(cc.create_connection, ProviderType="GitHub", ConnectionName="x" * 33) == ("ValidationException", 400)


@check
def codeconnections_emulator_status_tag_makes_available(c):
    cc = c["codeconnections"]
    ready = cc.create_connection(ProviderType="GitHub", ConnectionName="ready",
                                 Tags=[{"Key": "emulator:status", "Value": "AVAILABLE"}])["ConnectionArn"]
    assert cc.get_connection(ConnectionArn=ready)["Connection"]["ConnectionStatus"] == "AVAILABLE"
    later = cc.create_connection(ProviderType="Bitbucket", ConnectionName="later")["ConnectionArn"]
    assert cc.get_connection(ConnectionArn=later)["Connection"]["ConnectionStatus"] == "PENDING"
    cc.tag_resource(ResourceArn=later, Tags=[{"Key": "emulator:status", "Value": "AVAILABLE"}])  # the "handshake"
    assert cc.get_connection(ConnectionArn=later)["Connection"]["ConnectionStatus"] == "AVAILABLE"
    cc.tag_resource(ResourceArn=later, Tags=[{"Key": "emulator:status", "Value": "ERROR"}])
    assert cc.get_connection(ConnectionArn=later)["Connection"]["ConnectionStatus"] == "ERROR"
    assert error_of(cc.create_connection, ProviderType="GitHub", ConnectionName="x",
                    Tags=[{"Key": "emulator:status", "Value": "READY"}]) == ("ValidationException", 400)


@check
def codeconnections_rpcv2_cbor_as_the_rust_sdk_sends_it(c):
    cb, raw = c["codeconnections_cbor"], Raw(c["codeconnections_cbor"])
    arn = cb.create_connection(ProviderType="GitHub", ConnectionName="cbor",
                               Tags=[{"Key": "emulator:status", "Value": "AVAILABLE"}])["ConnectionArn"]
    response = raw.responses["CreateConnection"]
    assert (response.headers["Content-Type"], response.headers["smithy-protocol"]) == ("application/cbor", "rpc-v2-cbor")
    assert cb.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "AVAILABLE"
    assert arn in [x["ConnectionArn"] for x in cb.list_connections()["Connections"]]
    assert c["codeconnections"].get_connection(ConnectionArn=arn)["Connection"]["ConnectionName"] == "cbor"  # one store
    cb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert {"Key": "k", "Value": "v"} in cb.list_tags_for_resource(ResourceArn=arn)["Tags"]
    cb.delete_connection(ConnectionArn=arn)
    assert error_of(cb.get_connection, ConnectionArn=arn) == ("ResourceNotFoundException", 400)
    assert cbor_decode(raw.content["GetConnection"]) == {
        "__type": "com.amazonaws.codeconnections#ResourceNotFoundException", "message": f"Connection {arn} not found"}

    # The exact wire form of aws-sdk-codeconnections (Rust): bare service shape
    # in the path, CBOR body, signed for "codeconnections".
    def rust_call(operation, body):
        request = AWSRequest(method="POST", url=f"{c['url']}/service/CodeConnections_20231201/operation/{operation}", data=body,
                             headers={"Content-Type": "application/cbor", "Accept": "application/cbor", "smithy-protocol": "rpc-v2-cbor"})
        SigV4Auth(Credentials("testing", "testing"), "codeconnections", "us-east-1").add_auth(request)
        prepared = request.prepare()
        try:
            with urllib.request.urlopen(urllib.request.Request(prepared.url, data=prepared.body, headers=dict(prepared.headers),
                                                               method="POST"), timeout=30) as r:
                return r.status, r.headers, cbor_decode(r.read())
        except urllib.error.HTTPError as e:
            return e.code, e.headers, cbor_decode(e.read())

    def text(s):
        data = s.encode()
        return (bytes([0x60 | len(data)]) if len(data) < 24 else bytes([0x78, len(data)])) + data

    live = c["codeconnections"].create_connection(ProviderType="GitHub", ConnectionName="rust")["ConnectionArn"]
    status, headers, body = rust_call("GetConnection", b"\xa1" + text("ConnectionArn") + text(live))
    assert status == 200 and headers["smithy-protocol"] == "rpc-v2-cbor", (status, body)
    assert body == {"Connection": {"ConnectionName": "rust", "ConnectionArn": live, "ProviderType": "GitHub",
                                   "OwnerAccountId": ACCOUNT, "ConnectionStatus": "PENDING"}}
    status, _, body = rust_call("GetConnection", b"\xa1" + text("ConnectionArn") + text(arn))
    assert status == 400 and body["__type"].endswith("#ResourceNotFoundException"), body
    status, _, body = rust_call("ListConnections", b"\xa0")
    assert status == 200 and live in [x["ConnectionArn"] for x in body["Connections"]]


@check
def codestar_connections_legacy_api_shares_the_store(c):
    cs, cc = c["codestar-connections"], c["codeconnections"]
    old = cs.create_connection(ProviderType="Bitbucket", ConnectionName="legacy")["ConnectionArn"]
    assert re.fullmatch(CONNECTION_ARN.format("codestar-connections"), old), old
    assert cc.get_connection(ConnectionArn=old)["Connection"]["ConnectionArn"] == old
    new = cc.create_connection(ProviderType="GitHub", ConnectionName="new")["ConnectionArn"]
    assert cs.get_connection(ConnectionArn=new)["Connection"]["ConnectionArn"] == new
    listed = {x["ConnectionArn"] for x in cs.list_connections()["Connections"]}
    assert {old, new} <= listed and listed == {x["ConnectionArn"] for x in cc.list_connections()["Connections"]}
    # either ARN form reaches the same connection
    assert cc.get_connection(ConnectionArn=old.replace("codestar-connections", "codeconnections"))["Connection"]["ConnectionName"] == "legacy"
    cs.tag_resource(ResourceArn=old, Tags=[{"Key": "emulator:status", "Value": "AVAILABLE"}])
    assert cc.get_connection(ConnectionArn=old)["Connection"]["ConnectionStatus"] == "AVAILABLE"
    assert error_of(cs.create_connection, ProviderType="AzureDevOps", ConnectionName="x") == ("ValidationException", 400)
    cc.delete_connection(ConnectionArn=old)
    assert error_of(cs.get_connection, ConnectionArn=old) == ("ResourceNotFoundException", 400)


# ---------------------------------------------------------------------- S3 --
@check
def s3_artifact_bucket_lifecycle(c):
    s3, bucket = c["s3"], "cbctl-artifacts-s1"
    assert s3.create_bucket(Bucket=bucket)["Location"] == f"/{bucket}"  # us-east-1: no LocationConstraint
    assert s3.head_bucket(Bucket=bucket)["BucketRegion"] == "us-east-1"
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    # AWS defaults for every new bucket: SSE-S3 and Block Public Access on
    sse_s3 = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]}
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == sse_s3
    all_on = {k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == all_on
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    kms = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/cbctl"},
                      "BucketKeyEnabled": True}]}
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=kms)
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == kms
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=sse_s3)
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == sse_s3
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=kms)
    s3.delete_bucket_encryption(Bucket=bucket)  # AWS reverts to SSE-S3
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == sse_s3
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=kms)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={**all_on, "RestrictPublicBuckets": False})
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {**all_on, "RestrictPublicBuckets": False}
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=all_on)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
    assert error_of(s3.get_bucket_policy, Bucket=bucket) == ("NoSuchBucketPolicy", 404)
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(policy)
    tags = [{"Key": "cbctl:stack", "Value": "s1"}, {"Key": "team", "Value": "ci"}]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == tags
    # The SecureTransport deny does not hit SDK traffic (HTTPS in AWS)
    v1 = s3.put_object(Bucket=bucket, Key="pipe/src.zip", Body=b"one")
    assert v1["ServerSideEncryption"] == "aws:kms"
    v2 = s3.put_object(Bucket=bucket, Key="pipe/src.zip", Body=b"two")
    assert s3.get_object(Bucket=bucket, Key="pipe/src.zip")["Body"].read() == b"two"
    marker = s3.delete_object(Bucket=bucket, Key="pipe/src.zip")
    assert marker["DeleteMarker"] is True
    versions = s3.list_object_versions(Bucket=bucket)
    assert sorted(v["VersionId"] for v in versions["Versions"]) == sorted([v1["VersionId"], v2["VersionId"]])
    assert [(m["Key"], m["VersionId"], m["IsLatest"]) for m in versions["DeleteMarkers"]] == [("pipe/src.zip", marker["VersionId"], True)]
    assert error_of(s3.delete_bucket, Bucket=bucket) == ("BucketNotEmpty", 409)
    entries = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions["Versions"] + versions["DeleteMarkers"]]
    deleted = s3.delete_objects(Bucket=bucket, Delete={"Objects": entries, "Quiet": False})
    assert not deleted.get("Errors") and sorted(d["VersionId"] for d in deleted["Deleted"]) == sorted(e["VersionId"] for e in entries)
    assert "Versions" not in s3.list_object_versions(Bucket=bucket) and "DeleteMarkers" not in s3.list_object_versions(Bucket=bucket)
    s3.delete_bucket(Bucket=bucket)
    assert error_of(s3.head_bucket, Bucket=bucket) == ("404", 404)
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


@check
def s3_bucket_policy_conditions_are_evaluated(c):
    s3, bucket = c["s3"], "cbctl-policy-probe"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")

    def deny_get(condition):
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*", "Condition": condition}]}))

    deny_get({"Bool": {"aws:SecureTransport": "true"}})  # holds for SDK traffic
    assert error_of(s3.get_object, Bucket=bucket, Key="k")[1] == 403
    deny_get({"StringEquals": {"aws:PrincipalOrgID": "o-123"}})  # key absent: does not hold
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    deny_get({"StringNotEquals": {"aws:PrincipalOrgID": "o-123"}})  # negated, key absent: holds
    assert error_of(s3.get_object, Bucket=bucket, Key="k")[1] == 403
    s3.delete_bucket_policy(Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)


# -------------------------------------------------------------- EventBridge --
@check
def eventbridge_rule_targets_and_tags(c):
    ev = c["events"]
    pattern = json.dumps({"source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"],
                          "resources": [f"arn:aws:codecommit:us-east-1:{ACCOUNT}:repo-a"],
                          "detail": {"event": ["referenceCreated", "referenceUpdated"], "referenceType": ["branch"], "referenceName": ["main"]}})
    arn = ev.put_rule(Name="cbctl-s1-trigger", EventPattern=pattern, State="ENABLED", Description="start cp-v2",
                      Tags=[{"Key": "cbctl:stack", "Value": "s1"}])["RuleArn"]
    assert arn == f"arn:aws:events:us-east-1:{ACCOUNT}:rule/cbctl-s1-trigger"
    ev.put_rule(Name="other-rule", EventPattern=pattern)
    rule = ev.describe_rule(Name="cbctl-s1-trigger")
    assert (rule["Arn"], rule["State"], rule["Description"], json.loads(rule["EventPattern"])) == (arn, "ENABLED", "start cp-v2", json.loads(pattern))
    assert [r["Name"] for r in ev.list_rules(NamePrefix="cbctl-")["Rules"]] == ["cbctl-s1-trigger"]
    assert ev.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "cbctl:stack", "Value": "s1"}]
    ev.tag_resource(ResourceARN=arn, Tags=[{"Key": "team", "Value": "ci"}])
    ev.untag_resource(ResourceARN=arn, TagKeys=["cbctl:stack"])
    assert ev.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "ci"}]
    pipeline = f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:cp-v2"
    role = f"arn:aws:iam::{ACCOUNT}:role/cbctl/events-start-pipeline"
    assert ev.put_targets(Rule="cbctl-s1-trigger", Targets=[{"Id": "pipeline", "Arn": pipeline, "RoleArn": role}])["FailedEntryCount"] == 0
    assert ev.list_targets_by_rule(Rule="cbctl-s1-trigger")["Targets"] == [{"Id": "pipeline", "Arn": pipeline, "RoleArn": role}]
    assert error_of(ev.delete_rule, Name="cbctl-s1-trigger") == ("ValidationException", 400)  # targets remain
    assert ev.remove_targets(Rule="cbctl-s1-trigger", Ids=["pipeline"])["FailedEntryCount"] == 0
    assert ev.list_targets_by_rule(Rule="cbctl-s1-trigger")["Targets"] == []
    ev.delete_rule(Name="cbctl-s1-trigger")
    assert error_of(ev.describe_rule, Name="cbctl-s1-trigger") == ("ResourceNotFoundException", 400)
    ev.delete_rule(Name="other-rule")


@check
def eventbridge_list_rules_carries_every_rule_field_and_pages(c):
    # ListRules items are whole Rule shapes (no DescribeRule per rule needed).
    ev = c["events"]
    pattern = json.dumps({"source": ["aws.codecommit"]})
    role = f"arn:aws:iam::{ACCOUNT}:role/cbctl/events"
    for i in range(150):
        ev.put_rule(Name=f"bulk.{i:03}", EventPattern=pattern, State="DISABLED" if i % 2 else "ENABLED",
                    Description=f"rule {i}", RoleArn=role)
    ev.put_rule(Name="bulkX000", EventPattern=pattern)  # "." in NamePrefix is literal
    got = pages(ev.list_rules, "NextToken", "NextToken", "Rules", NamePrefix="bulk.", Limit=100)
    assert [len(page) for page in got] == [100, 50], [len(page) for page in got]
    rules = {r["Name"]: r for page in got for r in page}
    assert set(rules) == {f"bulk.{i:03}" for i in range(150)}
    assert rules["bulk.007"] == {"Name": "bulk.007", "Arn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/bulk.007",
                                 "EventPattern": pattern, "State": "DISABLED", "Description": "rule 7",
                                 "RoleArn": role, "EventBusName": "default"}, rules["bulk.007"]
    target = {"Id": "t", "Arn": f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:cp-v2", "RoleArn": role}
    ev.put_targets(Rule="bulk.007", Targets=[target])
    assert ev.list_targets_by_rule(Rule="bulk.007")["Targets"] == [target]


# ----------------------------------------------------- IAM inline policies --
@check
def iam_inline_policies_of_a_role_total_at_most_10240_characters(c):
    iam = c["iam"]
    iam.create_role(RoleName="cb-big", Path="/cbctl/", AssumeRolePolicyDocument=trust("codebuild"))
    doc = lambda n: json.dumps({"Version": "2012-10-17", "Statement": [  # noqa: E731
        {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/{'p' * n}"}]})
    fixed = sum(not ch.isspace() for ch in doc(0))
    iam.put_role_policy(RoleName="cb-big", PolicyName="a", PolicyDocument=doc(10240 - fixed))  # exactly at the limit
    assert error_of(iam.put_role_policy, RoleName="cb-big", PolicyName="b", PolicyDocument=doc(1)) == ("LimitExceeded", 409)
    iam.put_role_policy(RoleName="cb-big", PolicyName="a", PolicyDocument=doc(1))  # replacing counts the new size only
    iam.put_role_policy(RoleName="cb-big", PolicyName="b", PolicyDocument=doc(1))
    assert iam.list_role_policies(RoleName="cb-big")["PolicyNames"] == ["a", "b"]
    for name in ("a", "b"):
        iam.delete_role_policy(RoleName="cb-big", PolicyName=name)
    iam.delete_role(RoleName="cb-big")


@check
def iam_two_inline_policies_with_conditions(c):
    iam, raw = c["iam"], Raw(c["iam"])
    enc = lambda doc: urllib.parse.quote(doc, safe="")  # noqa: E731
    iam.create_role(RoleName="cp-inline", Path="/cbctl/", AssumeRolePolicyDocument=trust("codepipeline"))
    artifacts = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"], "Resource": "arn:aws:s3:::cbctl-artifacts-s1/*",
        "Condition": {"StringEquals": {"aws:ResourceAccount": ACCOUNT}, "Bool": {"aws:SecureTransport": "true"}}}]})
    connection = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["codeconnections:UseConnection", "codestar-connections:UseConnection"], "Resource": "*",
         "Condition": {"ForAllValues:StringEquals": {"codeconnections:FullRepositoryId": ["org/repo"]},
                       "StringLike": {"aws:RequestTag/env": ["dev*", "a&b+c"]}}},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
         "Condition": {"StringEqualsIfExists": {"iam:PassedToService": ["codebuild.amazonaws.com", "codepipeline.amazonaws.com"]}}}]})
    iam.put_role_policy(RoleName="cp-inline", PolicyName="artifacts", PolicyDocument=artifacts)
    iam.put_role_policy(RoleName="cp-inline", PolicyName="connection", PolicyDocument=connection)
    assert iam.list_role_policies(RoleName="cp-inline")["PolicyNames"] == ["artifacts", "connection"]
    for name, doc in (("artifacts", artifacts), ("connection", connection)):
        got = iam.get_role_policy(RoleName="cp-inline", PolicyName=name)
        assert got["PolicyDocument"] == json.loads(doc), name
        assert f"<PolicyDocument>{enc(doc)}</PolicyDocument>" in raw.bodies["GetRolePolicy"], name
    iam.put_role_policy(RoleName="cp-inline", PolicyName="artifacts", PolicyDocument=connection)  # replace in place
    assert iam.get_role_policy(RoleName="cp-inline", PolicyName="artifacts")["PolicyDocument"] == json.loads(connection)
    for name in ("artifacts", "connection"):
        iam.delete_role_policy(RoleName="cp-inline", PolicyName=name)
    assert iam.list_role_policies(RoleName="cp-inline")["PolicyNames"] == []


# --------------------------------------------------------------------- ECR --
def ecr_arn(name):
    return f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/{name}"


def image_manifest(n):
    """A Docker image manifest (schema 2), distinct per n; every one has the same layer."""
    return json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023,
                                  "digest": f"sha256:{n:064x}"},
                       "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 32654,
                                   "digest": "sha256:" + "b" * 64}]})


@check
def ecr_repository_settings_round_trip(c):
    ecr, kms = c["ecr"], c["kms"]
    key = kms.create_key(Description="cbctl images")["KeyMetadata"]
    kms.create_alias(AliasName="alias/cbctl-ecr", TargetKeyId=key["KeyId"])
    sent = dict(repositoryName="cbctl/app", imageScanningConfiguration={"scanOnPush": True}, imageTagMutability="IMMUTABLE",
                encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key["Arn"]}, tags=[{"Key": "cbctl:stack", "Value": "s1"}])
    created = ecr.create_repository(**sent)["repository"]
    (got,) = ecr.describe_repositories(repositoryNames=["cbctl/app"])["repositories"]
    for repo in (created, got):
        assert (repo["repositoryArn"], repo["repositoryName"], repo["registryId"]) == (ecr_arn("cbctl/app"), "cbctl/app", ACCOUNT), repo
        assert repo["repositoryUri"] == f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/cbctl/app"
        assert (repo["imageScanningConfiguration"], repo["imageTagMutability"]) == ({"scanOnPush": True}, "IMMUTABLE"), repo
        assert repo["encryptionConfiguration"] == sent["encryptionConfiguration"], repo
    assert ecr.list_tags_for_resource(resourceArn=ecr_arn("cbctl/app"))["tags"] == sent["tags"]
    plain = ecr.create_repository(repositoryName="cbctl/plain")["repository"]  # AWS's defaults
    assert (plain["imageScanningConfiguration"], plain["imageTagMutability"], plain["encryptionConfiguration"]) == (
        {"scanOnPush": False}, "MUTABLE", {"encryptionType": "AES256"}), plain
    # A key named by ID, alias name or alias ARN reads back as its key ARN.
    for i, ref in enumerate((key["KeyId"], "alias/cbctl-ecr", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/cbctl-ecr")):
        repo = ecr.create_repository(repositoryName=f"cbctl/kms-{i}", encryptionConfiguration={"encryptionType": "KMS", "kmsKey": ref})
        assert repo["repository"]["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": key["Arn"]}, (ref, repo)
    # KMS without a key: the AWS managed key aws/ecr, the same for every repository.
    managed = [ecr.create_repository(repositoryName=f"cbctl/managed-{i}", encryptionConfiguration={"encryptionType": "KMS"})
               ["repository"]["encryptionConfiguration"]["kmsKey"] for i in range(2)]
    assert managed == [kms.describe_key(KeyId="alias/aws/ecr")["KeyMetadata"]["Arn"]] * 2, managed
    # The key must exist, in the repository's Region.
    for ref in ("alias/cbctl-none", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000",
                key["Arn"].replace("us-east-1", "eu-west-1")):
        got = error_of(ecr.create_repository, repositoryName="cbctl/badkey", encryptionConfiguration={"encryptionType": "KMS", "kmsKey": ref})
        assert got == ("KmsException", 400), (ref, got)
    assert error_of(ecr.describe_repositories, repositoryNames=["cbctl/badkey"]) == ("RepositoryNotFoundException", 400)
    assert error_of(ecr.create_repository, repositoryName="cbctl/app") == ("RepositoryAlreadyExistsException", 400)


@check
def ecr_describe_repositories_pages_and_refuses_missing_names(c):
    # AWS: up to maxResults (default 100) a page, then nextToken (moto: all at once).
    ecr = c["ecr"]
    for i in range(120):
        ecr.create_repository(repositoryName=f"bulk/r{i:03}")
    default = pages(ecr.describe_repositories, "nextToken", "nextToken", "repositories")
    assert [len(page) for page in default[:-1]] == [100] * (len(default) - 1) and 0 < len(default[-1]) <= 100, [len(p) for p in default]
    (whole,) = pages(ecr.describe_repositories, "nextToken", "nextToken", "repositories", maxResults=1000)
    names = [r["repositoryName"] for r in whole]
    assert names == [r["repositoryName"] for page in default for r in page] and len(names) == len(set(names))
    assert {f"bulk/r{i:03}" for i in range(120)} <= set(names)
    by_50 = pages(ecr.describe_repositories, "nextToken", "nextToken", "repositories", maxResults=50)
    assert [len(page) for page in by_50[:-1]] == [50] * (len(by_50) - 1), [len(p) for p in by_50]
    got = ecr.describe_repositories(repositoryNames=["bulk/r007", "bulk/r000"])["repositories"]
    assert sorted(r["repositoryName"] for r in got) == ["bulk/r000", "bulk/r007"]
    # One missing name fails the whole call, as in AWS.
    got = refusal(ecr.describe_repositories, repositoryNames=["bulk/r000", "bulk/none"])
    assert got[:2] == ("RepositoryNotFoundException", 400) and "'bulk/none'" in got[2], got
    assert error_of(ecr.describe_repositories, repositoryNames=["bulk/r000"], maxResults=10) == ("InvalidParameterException", 400)
    assert error_of(ecr.describe_repositories, nextToken="bogus") == ("InvalidParameterException", 400)


LIFECYCLE_POLICY = json.dumps({"rules": [
    {"rulePriority": 1, "description": "keep 30 release images",
     "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countNumber": 30},
     "action": {"type": "expire"}},
    {"rulePriority": 2, "description": "drop untagged after 14 days",
     "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
     "action": {"type": "expire"}}]}, indent=2)


@check
def ecr_scanning_mutability_and_lifecycle_policy(c):
    ecr, name = c["ecr"], "cbctl/life"
    ecr.create_repository(repositoryName=name)
    got = ecr.put_image_scanning_configuration(repositoryName=name, imageScanningConfiguration={"scanOnPush": True})
    assert got["imageScanningConfiguration"] == {"scanOnPush": True}, got
    assert ecr.put_image_tag_mutability(repositoryName=name, imageTagMutability="IMMUTABLE")["imageTagMutability"] == "IMMUTABLE"
    (repo,) = ecr.describe_repositories(repositoryNames=[name])["repositories"]
    assert (repo["imageScanningConfiguration"], repo["imageTagMutability"]) == ({"scanOnPush": True}, "IMMUTABLE"), repo
    ecr.put_image_scanning_configuration(repositoryName=name, imageScanningConfiguration={"scanOnPush": False})
    ecr.put_image_tag_mutability(repositoryName=name, imageTagMutability="MUTABLE")
    (repo,) = ecr.describe_repositories(repositoryNames=[name])["repositories"]
    assert (repo["imageScanningConfiguration"], repo["imageTagMutability"]) == ({"scanOnPush": False}, "MUTABLE"), repo
    assert error_of(ecr.get_lifecycle_policy, repositoryName=name) == ("LifecyclePolicyNotFoundException", 400)
    assert ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=LIFECYCLE_POLICY)["lifecyclePolicyText"] == LIFECYCLE_POLICY
    assert ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"] == LIFECYCLE_POLICY  # as sent, formatting too
    bad = LIFECYCLE_POLICY.replace('"expire"', '"delete"')
    assert error_of(ecr.put_lifecycle_policy, repositoryName=name, lifecyclePolicyText=bad) == ("InvalidParameterException", 400)
    assert json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]) == json.loads(LIFECYCLE_POLICY)
    assert ecr.delete_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"] == LIFECYCLE_POLICY
    assert error_of(ecr.get_lifecycle_policy, repositoryName=name) == ("LifecyclePolicyNotFoundException", 400)
    assert error_of(ecr.delete_lifecycle_policy, repositoryName=name) == ("LifecyclePolicyNotFoundException", 400)
    assert error_of(ecr.put_image_tag_mutability, repositoryName="cbctl/none", imageTagMutability="MUTABLE") == ("RepositoryNotFoundException", 400)


@check
def ecr_tag_operations_by_arn(c):
    ecr, arn = c["ecr"], ecr_arn("cbctl/life")
    assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == []
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": "cbctl:stack", "Value": "s1"}, {"Key": "team", "Value": "x"}])
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": "team", "Value": "y"}])
    ecr.untag_resource(resourceArn=arn, tagKeys=["cbctl:stack", "absent"])
    assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "team", "Value": "y"}]
    ghost = ecr_arn("cbctl/ghost")
    for call, kw in ((ecr.list_tags_for_resource, {}), (ecr.tag_resource, {"tags": [{"Key": "k", "Value": "v"}]}),
                     (ecr.untag_resource, {"tagKeys": ["k"]})):
        assert error_of(call, resourceArn=ghost, **kw) == ("RepositoryNotFoundException", 400), call
    assert error_of(ecr.list_tags_for_resource, resourceArn="cbctl/life") == ("InvalidParameterException", 400)


@check
def ecr_images_and_forced_delete(c):
    ecr, name = c["ecr"], "cbctl/images"
    ecr.create_repository(repositoryName=name)
    one = ecr.put_image(repositoryName=name, imageManifest=image_manifest(1), imageTag="v1")["image"]["imageId"]["imageDigest"]
    two = ecr.put_image(repositoryName=name, imageManifest=image_manifest(2), imageTag="v2")["image"]["imageId"]["imageDigest"]
    assert one == "sha256:" + hashlib.sha256(image_manifest(1).encode()).hexdigest() and one != two  # the manifest's digest
    ecr.put_image(repositoryName=name, imageManifest=image_manifest(2), imageTag="latest")  # a second tag, same image
    ids = ecr.list_images(repositoryName=name)["imageIds"]
    assert sorted((i["imageDigest"], i["imageTag"]) for i in ids) == sorted([(one, "v1"), (two, "v2"), (two, "latest")]), ids
    assert [len(page) for page in pages(ecr.list_images, "nextToken", "nextToken", "imageIds", repositoryName=name, maxResults=2)] == [2, 1]
    details = {d["imageDigest"]: d for d in ecr.describe_images(repositoryName=name)["imageDetails"]}
    assert (details[one]["imageTags"], sorted(details[two]["imageTags"])) == (["v1"], ["latest", "v2"]), details
    (v1,) = ecr.describe_images(repositoryName=name, imageIds=[{"imageTag": "v1"}])["imageDetails"]
    assert v1["imageDigest"] == one and v1["repositoryName"] == name
    assert error_of(ecr.put_image, repositoryName="cbctl/ghost", imageManifest=image_manifest(3), imageTag="v1") == ("RepositoryNotFoundException", 400)
    got = refusal(ecr.delete_repository, repositoryName=name)
    assert got[:2] == ("RepositoryNotEmptyException", 400) and "still contains images" in got[2], got
    assert ecr.describe_repositories(repositoryNames=[name])["repositories"][0]["repositoryName"] == name
    assert ecr.delete_repository(repositoryName=name, force=True)["repository"]["repositoryName"] == name
    assert error_of(ecr.describe_repositories, repositoryNames=[name]) == ("RepositoryNotFoundException", 400)
    assert error_of(ecr.list_images, repositoryName=name) == ("RepositoryNotFoundException", 400)
    ecr.create_repository(repositoryName="cbctl/empty")
    ecr.delete_repository(repositoryName="cbctl/empty")  # no images: no force needed


# ------------------------------------------------- Resource Groups Tagging --
def tagged(t, arns):
    """{ARN: tags} of one GetResources call for arns; it must be a single page."""
    got = t.get_resources(ResourceARNList=arns)
    assert got["PaginationToken"] == "", got["PaginationToken"]
    return {m["ResourceARN"]: {x["Key"]: x["Value"] for x in m["Tags"]} for m in got["ResourceTagMappingList"]}


def stack_resources(c, stack):
    """One resource of each type cbctl tags, tagged cbctl:stack=stack: {type: ARN}."""
    tag, tags_map = [{"Key": "cbctl:stack", "Value": stack}], {"cbctl:stack": stack}
    c["ssm"].put_parameter(Name=f"/cbctl/{stack}/name/with/slashes", Value="v", Type="String", Tags=tag)
    c["events"].put_rule(Name=f"{stack}-rule", EventPattern='{"source":["x"]}', Tags=tag)
    c["logs"].create_log_group(logGroupName=f"/cbctl/{stack}", tags=tags_map)
    c["codebuild"].create_project(name=f"{stack}-build", source={"type": "NO_SOURCE", "buildspec": "x"}, artifacts={"type": "NO_ARTIFACTS"},
                                  environment=ENV, serviceRole=ROLE, tags=[{"key": "cbctl:stack", "value": stack}])
    c["codecommit"].create_repository(repositoryName=f"{stack}-repo", tags=tags_map)
    c["ecr"].create_repository(repositoryName=f"{stack}/images", tags=tag)
    role = cp_role(c["iam"], f"{stack}-pipeline", trust("codepipeline"))
    c["codepipeline"].create_pipeline(pipeline=pipeline_decl(f"{stack}-pipe", role), tags=[{"key": "cbctl:stack", "value": stack}])
    region = f"us-east-1:{ACCOUNT}"
    return {"ssm:parameter": f"arn:aws:ssm:{region}:parameter/cbctl/{stack}/name/with/slashes",
            "events:rule": f"arn:aws:events:{region}:rule/{stack}-rule",
            "logs:log-group": f"arn:aws:logs:{region}:log-group:/cbctl/{stack}",
            "codebuild:project": f"arn:aws:codebuild:{region}:project/{stack}-build",
            "codecommit:repository": f"arn:aws:codecommit:{region}:{stack}-repo",
            "codepipeline:pipeline": f"arn:aws:codepipeline:{region}:{stack}-pipe",
            "ecr:repository": f"arn:aws:ecr:{region}:repository/{stack}/images"}


@check
def tagging_arn_list_answers_every_type_in_one_response(c):
    t, ssm = c["resourcegroupstaggingapi"], c["ssm"]
    arns = stack_resources(c, "tg1")
    params = [f"/cbctl/tg1/p{i:02}" for i in range(60)]
    for name in params:
        ssm.put_parameter(Name=name, Value="v", Type="String", Tags=[{"Key": "cbctl:stack", "Value": "tg1"}, {"Key": "n", "Value": name}])
    ssm.put_parameter(Name="/cbctl/tg1/untagged", Value="v", Type="String")
    param_arns = [f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{name}" for name in params]
    unknown = [f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/cbctl/tg1/untagged", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/nope",
               f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/nope", f"arn:aws:iam::{ACCOUNT}:role/cbctl/tg1-pipeline",
               f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/nope"]
    wanted = [*arns.values(), *param_arns, *unknown]
    wanted += [f"arn:aws:codecommit:us-east-1:{ACCOUNT}:nope-{i}" for i in range(100 - len(wanted))]
    got = tagged(t, wanted)  # 100 ARNs, 67 of them tagged: one response (moto paged by 50)
    assert set(got) == {*arns.values(), *param_arns}, sorted(set(got) ^ {*arns.values(), *param_arns})
    assert all(got[arn] == {"cbctl:stack": "tg1"} for arn in arns.values())
    assert got[param_arns[7]] == {"cbctl:stack": "tg1", "n": params[7]}


@check
def tagging_reflects_later_tag_changes_on_every_type(c):
    t, arns = c["resourcegroupstaggingapi"], stack_resources(c, "tg2")
    c["ssm"].add_tags_to_resource(ResourceType="Parameter", ResourceId="/cbctl/tg2/name/with/slashes", Tags=[{"Key": "a", "Value": "1"}])
    c["ssm"].remove_tags_from_resource(ResourceType="Parameter", ResourceId="/cbctl/tg2/name/with/slashes", TagKeys=["cbctl:stack"])
    c["events"].tag_resource(ResourceARN=arns["events:rule"], Tags=[{"Key": "a", "Value": "1"}])
    c["events"].untag_resource(ResourceARN=arns["events:rule"], TagKeys=["cbctl:stack"])
    c["logs"].tag_resource(resourceArn=arns["logs:log-group"], tags={"a": "1"})
    c["logs"].untag_resource(resourceArn=arns["logs:log-group"], tagKeys=["cbctl:stack"])
    c["codebuild"].update_project(name="tg2-build", tags=[{"key": "a", "value": "1"}])
    c["codecommit"].tag_resource(resourceArn=arns["codecommit:repository"], tags={"a": "1"})
    c["codecommit"].untag_resource(resourceArn=arns["codecommit:repository"], tagKeys=["cbctl:stack"])
    c["codepipeline"].tag_resource(resourceArn=arns["codepipeline:pipeline"], tags=[{"key": "a", "value": "1"}])
    c["codepipeline"].untag_resource(resourceArn=arns["codepipeline:pipeline"], tagKeys=["cbctl:stack"])
    c["ecr"].tag_resource(resourceArn=arns["ecr:repository"], tags=[{"Key": "a", "Value": "1"}])
    c["ecr"].untag_resource(resourceArn=arns["ecr:repository"], tagKeys=["cbctl:stack"])
    assert tagged(t, list(arns.values())) == {arn: {"a": "1"} for arn in arns.values()}
    # Every tag removed: still returned ("tagged or previously tagged"), with no tags.
    c["ssm"].remove_tags_from_resource(ResourceType="Parameter", ResourceId="/cbctl/tg2/name/with/slashes", TagKeys=["a"])
    c["events"].untag_resource(ResourceARN=arns["events:rule"], TagKeys=["a"])
    c["logs"].untag_resource(resourceArn=arns["logs:log-group"], tagKeys=["a"])
    c["codebuild"].update_project(name="tg2-build", tags=[])
    c["codecommit"].untag_resource(resourceArn=arns["codecommit:repository"], tagKeys=["a"])
    c["codepipeline"].untag_resource(resourceArn=arns["codepipeline:pipeline"], tagKeys=["a"])
    c["ecr"].untag_resource(resourceArn=arns["ecr:repository"], tagKeys=["a"])
    assert tagged(t, list(arns.values())) == {arn: {} for arn in arns.values()}
    # A deleted resource takes its tags along: one of the same name starts untagged.
    c["logs"].delete_log_group(logGroupName="/cbctl/tg2")
    c["logs"].create_log_group(logGroupName="/cbctl/tg2")
    assert tagged(t, [arns["logs:log-group"]]) == {}
    assert c["logs"].list_tags_for_resource(resourceArn=arns["logs:log-group"])["tags"] == {}
    c["ecr"].delete_repository(repositoryName="tg2/images")
    c["ecr"].create_repository(repositoryName="tg2/images")
    assert tagged(t, [arns["ecr:repository"]]) == {}


@check
def tagging_arn_list_refuses_pagination_and_filters(c):
    t = unvalidated(c, "resourcegroupstaggingapi")
    arn = [f"arn:aws:codecommit:us-east-1:{ACCOUNT}:tg1-repo"]
    for extra in ({"ResourcesPerPage": 50}, {"TagsPerPage": 100}, {"PaginationToken": "x"},
                  {"TagFilters": [{"Key": "cbctl:stack"}]}, {"ResourceTypeFilters": ["codecommit"]}):
        got = refusal(t.get_resources, ResourceARNList=arn, **extra)
        assert got[:2] == ("InvalidParameterException", 400) and next(iter(extra)) in got[2], (extra, got)
    arns = [f"arn:aws:codecommit:us-east-1:{ACCOUNT}:r{i}" for i in range(101)]
    expect_validation(refusal(t.get_resources, ResourceARNList=arns), "resourceARNList", "Member must have length less than or equal to 100")


@check
def tagging_listing_by_tag_and_type_pages(c):
    t = c["resourcegroupstaggingapi"]
    by_tag = [{"Key": "cbctl:stack", "Values": ["tg1"]}]
    got = pages(t.get_resources, "PaginationToken", "PaginationToken", "ResourceTagMappingList", TagFilters=by_tag, ResourcesPerPage=25)
    assert [len(page) for page in got] == [25, 25, 17], [len(page) for page in got]  # 7 types + 60 parameters
    for kind in ("ssm:parameter", "events:rule", "logs:log-group", "codebuild:project", "codecommit:repository", "codepipeline:pipeline",
                 "ecr:repository"):
        found = pages(t.get_resources, "PaginationToken", "PaginationToken", "ResourceTagMappingList", TagFilters=by_tag, ResourceTypeFilters=[kind])
        assert sum(map(len, found)) == (61 if kind == "ssm:parameter" else 1), (kind, found)
    assert len(t.get_resources(TagFilters=by_tag, ResourceTypeFilters=["codebuild", "codepipeline"])["ResourceTagMappingList"]) == 2
    (repo,) = t.get_resources(TagFilters=by_tag, ResourceTypeFilters=["ecr"])["ResourceTagMappingList"]
    assert repo == {"ResourceARN": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/tg1/images", "Tags": [{"Key": "cbctl:stack", "Value": "tg1"}]}
    # TagsPerPage: a page may hold exactly that many tags (60 parameters, 2 tags each).
    got = t.get_resources(TagFilters=[*by_tag, {"Key": "n"}], TagsPerPage=100, ResourcesPerPage=100)
    assert len(got["ResourceTagMappingList"]) == 50 and got["PaginationToken"], len(got["ResourceTagMappingList"])


# ------------------------------------------------------- CodeBuild webhooks --
def regional(c, service, region, account=None):
    """A client of `service` in another Region (and, with `account`, another
    account: moto's x-moto-account-id header) -- state of its own."""
    client = boto3.client(service, **{**client_kwargs(c["url"]), "region_name": region})
    if account:
        client.meta.events.register("before-send", lambda request, **_: request.headers.__setitem__("x-moto-account-id", account))
    return client


def git_project(cb, name, kind="GITHUB", location="https://github.com/octo/repo.git", **source):
    cb.create_project(name=name, source={"type": kind, "location": location, **source}, artifacts={"type": "NO_ARTIFACTS"},
                      environment=ENV, serviceRole=ROLE)


PUSH_MAIN = [[{"type": "EVENT", "pattern": "PUSH"}, {"type": "HEAD_REF", "pattern": "^refs/heads/main$"}]]
WEBHOOK_KEYS = {"url", "payloadUrl", "filterGroups", "buildType", "lastModifiedSecret", "status"}


def webhook_of(cb, name):
    return cb.batch_get_projects(names=[name])["projects"][0].get("webhook")


@check
def codebuild_webhook_lifecycle_and_read_back(c):
    cb = c["codebuild"]
    cb.import_source_credentials(serverType="GITHUB", authType="PERSONAL_ACCESS_TOKEN", token="ghp_webhooktoken")
    git_project(cb, "wh-life")
    sent = [[{"type": "EVENT", "pattern": "PUSH, PULL_REQUEST_CREATED"}, {"type": "HEAD_REF", "pattern": "^refs/heads/main$"},
             {"type": "ACTOR_ACCOUNT_ID", "pattern": "12345", "excludeMatchedPattern": True}]]
    created = cb.create_webhook(projectName="wh-life", filterGroups=sent)["webhook"]
    stored = [[{**f, "excludeMatchedPattern": f.get("excludeMatchedPattern", False)} for f in group] for group in sent]
    assert set(created) == WEBHOOK_KEYS | {"secret"} and created["secret"], created
    assert re.fullmatch(r"https://api\.github\.com/repos/octo/repo/hooks/\d+", created["url"]), created["url"]
    assert re.fullmatch(r"https://codebuild\.us-east-1\.amazonaws\.com/webhooks\?t=[\w%-]+&v=1", created["payloadUrl"])
    assert (created["filterGroups"], created["buildType"], created["status"]) == (stored, "BUILD", "ACTIVE")
    got = webhook_of(cb, "wh-life")
    assert got == {k: v for k, v in created.items() if k != "secret"}, got  # never the secret again
    assert "wh-life" in [name for page in pages(cb.list_projects, "nextToken", "nextToken", "projects") for name in page]
    cb.update_project(name="wh-life", description="kept")  # UpdateProject keeps the webhook
    assert webhook_of(cb, "wh-life") == got
    assert error_of(cb.create_webhook, projectName="wh-life") == ("ResourceAlreadyExistsException", 400)
    # UpdateWebhook: the members sent replace the stored ones.
    updated = cb.update_webhook(projectName="wh-life", filterGroups=PUSH_MAIN, buildType="BUILD_BATCH")["webhook"]
    assert "secret" not in updated and updated["buildType"] == "BUILD_BATCH"
    assert webhook_of(cb, "wh-life")["filterGroups"] == [[{**f, "excludeMatchedPattern": False} for f in PUSH_MAIN[0]]]
    updated = cb.update_webhook(projectName="wh-life", branchFilter="^main$", rotateSecret=True)["webhook"]
    assert updated["branchFilter"] == "^main$" and "filterGroups" not in updated, updated
    assert updated["lastModifiedSecret"] > created["lastModifiedSecret"] and updated["payloadUrl"] == created["payloadUrl"]
    assert refusal(cb.update_webhook, projectName="wh-life", branchFilter="x", filterGroups=PUSH_MAIN) == (
        "InvalidInputException", 400,
        "You cannot use branchFilter and filterGroups at the same time. Specify the branch filter using filterGroups")
    cb.delete_webhook(projectName="wh-life")
    assert webhook_of(cb, "wh-life") is None
    for call in (cb.update_webhook, cb.delete_webhook):
        got = refusal(call, projectName="wh-life")
        assert got == ("ResourceNotFoundException", 400, "Webhook does not exist for project: wh-life"), got
    got = refusal(cb.create_webhook, projectName="wh-nope")
    assert got[:2] == ("ResourceNotFoundException", 400) and got[2].endswith(f":{ACCOUNT}:project/wh-nope"), got
    # DeleteProject deletes the webhook with the project.
    cb.create_webhook(projectName="wh-life")
    cb.delete_project(name="wh-life")
    git_project(cb, "wh-life")
    assert webhook_of(cb, "wh-life") is None


@check
def codebuild_webhook_needs_a_git_source_and_credentials(c):
    cb = regional(c, "codebuild", "eu-west-2")  # no source credentials in this Region
    git_project(cb, "wh-gh")
    got = refusal(cb.create_webhook, projectName="wh-gh")
    assert got == ("ResourceNotFoundException", 400, "Could not find access token for server type github"), got
    git_project(cb, "wh-gl", "GITLAB", "https://gitlab.com/group/app.git")
    assert refusal(cb.create_webhook, projectName="wh-gl")[2] == "Could not find access token for server type gitlab"
    # Project-level credentials (a connection) need no account credential.
    connection = f"arn:aws:codeconnections:eu-west-2:{ACCOUNT}:connection/0e8e1b5c-8f4b-4f0a-9a57-2a0f3c4d5e6f"
    git_project(cb, "wh-conn", auth={"type": "CODECONNECTIONS", "resource": connection})
    assert re.fullmatch(r"https://api\.github\.com/repos/octo/repo/hooks/\d+", cb.create_webhook(projectName="wh-conn")["webhook"]["url"])
    cb.create_project(name="wh-none", source={"type": "NO_SOURCE", "buildspec": "x"}, artifacts={"type": "NO_ARTIFACTS"},
                      environment=ENV, serviceRole=ROLE)
    got = refusal(cb.create_webhook, projectName="wh-none")
    assert got == ("InvalidInputException", 400, "Webhooks are not supported for source type NO_SOURCE"), got
    # ...but a Buildkite runner webhook is a NO_SOURCE project's, and only its.
    runner = cb.create_webhook(projectName="wh-none", buildType="RUNNER_BUILDKITE_BUILD",
                               filterGroups=[[{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]])["webhook"]
    assert runner["buildType"] == "RUNNER_BUILDKITE_BUILD" and "url" not in runner
    got = refusal(cb.create_webhook, projectName="wh-gh", buildType="RUNNER_BUILDKITE_BUILD")
    assert got[:2] == ("InvalidInputException", 400) and "only available for NO_SOURCE projects" in got[2], got
    cb.create_project(name="wh-s3", source={"type": "S3", "location": "bucket/src.zip"}, artifacts={"type": "NO_ARTIFACTS"},
                      environment=ENV, serviceRole=ROLE)
    assert refusal(cb.create_webhook, projectName="wh-s3")[:2] == ("InvalidInputException", 400)
    # Bitbucket, GitLab, GitHub Enterprise: their hook URLs; Bitbucket has no secret.
    for server in ("BITBUCKET", "GITLAB", "GITHUB_ENTERPRISE"):
        cb.import_source_credentials(serverType=server, authType="PERSONAL_ACCESS_TOKEN", token="t0ken")
    git_project(cb, "wh-bb", "BITBUCKET", "https://bitbucket.org/team/app.git")
    hook = cb.create_webhook(projectName="wh-bb")["webhook"]
    assert "secret" not in hook and re.fullmatch(r"https://api\.bitbucket\.org/2\.0/repositories/team/app/hooks/%7B[0-9a-f-]{36}%7D", hook["url"]), hook
    assert re.fullmatch(r"https://gitlab\.com/api/v4/projects/group%2Fapp/hooks/\d+", cb.create_webhook(projectName="wh-gl")["webhook"]["url"])
    git_project(cb, "wh-ghe", "GITHUB_ENTERPRISE", "https://git.example.com/octo/repo.git")
    assert re.fullmatch(r"https://git\.example\.com/api/v3/repos/octo/repo/hooks/\d+", cb.create_webhook(projectName="wh-ghe")["webhook"]["url"])
    # manualCreation: GitHub only, and no hook is created there.
    git_project(cb, "wh-manual", auth={"type": "CODECONNECTIONS", "resource": connection})
    hook = cb.create_webhook(projectName="wh-manual", manualCreation=True)["webhook"]
    assert "url" not in hook and hook["secret"] and hook["manualCreation"] is True
    git_project(cb, "wh-bb2", "BITBUCKET", "https://bitbucket.org/team/app2.git")
    got = refusal(cb.create_webhook, projectName="wh-bb2", manualCreation=True)
    assert got == ("InvalidInputException", 400, "manualCreation is only available for GitHub webhooks"), got


def webhook_refusal(cb, project, groups=None, **extra):
    got = refusal(cb.create_webhook, projectName=project, **({"filterGroups": groups} if groups is not None else {}), **extra)
    assert got[:2] == ("InvalidInputException", 400), got
    return got[2]


@check
def codebuild_webhook_filter_group_rules(c):
    # Each documented filter-group rule (codebuild_webhook_problem) refused
    # with InvalidInputException naming the problem; good groups accepted.
    cb = regional(c, "codebuild", "eu-west-3")
    for server in ("GITHUB", "GITHUB_ENTERPRISE", "BITBUCKET", "GITLAB"):
        cb.import_source_credentials(serverType=server, authType="PERSONAL_ACCESS_TOKEN", token="t0ken")
    git_project(cb, "f-gh")
    git_project(cb, "f-ghe", "GITHUB_ENTERPRISE", "https://git.example.com/o/r.git")
    git_project(cb, "f-bb", "BITBUCKET", "https://bitbucket.org/o/r.git")
    git_project(cb, "f-gl", "GITLAB", "https://gitlab.com/o/r.git")
    event = lambda pattern, **extra: {"type": "EVENT", "pattern": pattern, **extra}  # noqa: E731
    flt = lambda kind, pattern, **extra: {"type": kind, "pattern": pattern, **extra}  # noqa: E731
    for project, groups, phrase in (
        ("f-gh", [[flt("HEAD_REF", "^refs/heads/main$")]], "Filter group 1 has no EVENT filter"),
        ("f-gh", [[]], "Filter group 1 has no EVENT filter"),
        ("f-gh", [[event("PUSH")], [event("PUSH"), event("PULL_REQUEST_CREATED")]], "Filter group 2 has 2 EVENT filters"),
        ("f-gh", [[event("PUSH, MERGED")]], "invalid event type 'MERGED' in EVENT filter"),
        ("f-gh", [[event("PUSH,")]], "invalid event type '' in EVENT filter"),
        ("f-gh", [[event("PUSH", excludeMatchedPattern=True)]], "an EVENT filter cannot have excludeMatchedPattern true"),
        ("f-ghe", [[event("RELEASED")]], "event type RELEASED is not supported for source type GITHUB_ENTERPRISE"),
        ("f-bb", [[event("PULL_REQUEST_REOPENED")]], "event type PULL_REQUEST_REOPENED is not supported for source type BITBUCKET"),
        ("f-bb", [[event("WORKFLOW_JOB_QUEUED")]], "not supported for source type BITBUCKET"),
        ("f-gl", [[event("PRERELEASED")]], "event type PRERELEASED is not supported for source type GITLAB"),
        ("f-gh", [[event("PUSH, PULL_REQUEST_CREATED"), flt("BASE_REF", "^refs/heads/main$")]],
         "filter type BASE_REF cannot be used with event PUSH"),
        ("f-gh", [[event("RELEASED"), flt("FILE_PATH", "src/")]], "filter type FILE_PATH cannot be used with event RELEASED"),
        ("f-gh", [[event("WORKFLOW_JOB_QUEUED"), flt("COMMIT_MESSAGE", "x")]], "filter type COMMIT_MESSAGE cannot be used with event WORKFLOW_JOB_QUEUED"),
        ("f-gh", [[event("PUSH"), flt("TAG_NAME", "^v1")]], "filter type TAG_NAME cannot be used with event PUSH"),
        ("f-gh", [[event("PULL_REQUEST_CREATED"), flt("RELEASE_NAME", "x")]], "filter type RELEASE_NAME cannot be used"),
        ("f-gh", [[event("PUSH"), flt("WORKFLOW_NAME", "ci")]], "filter type WORKFLOW_NAME cannot be used with event PUSH"),
        ("f-gh", [[event("WORKFLOW_JOB_QUEUED"), flt("REPOSITORY_NAME", "app")]],
         "REPOSITORY_NAME works with GitHub global or organization webhooks only"),
        ("f-ghe", [[event("PULL_REQUEST_UPDATED"), flt("FILE_PATH", "src/")]],
         "FILE_PATH cannot be used with GitHub Enterprise Server pull request events"),
        ("f-ghe", [[event("PUSH, PULL_REQUEST_CREATED"), flt("COMMIT_MESSAGE", "x")]],
         "COMMIT_MESSAGE cannot be used with GitHub Enterprise Server pull request events"),
        ("f-gh", [[event("PUSH"), flt("HEAD_REF", "refs/heads/(main")]], "Invalid regular expression in HEAD_REF filter: refs/heads/(main"),
        ("f-gh", [[event("PUSH"), flt("HEAD_REF", "^refs/heads/(?!main$)")]], "RE2 syntax, which does not support lookahead or lookbehind"),
        ("f-gh", [[event("PUSH"), flt("FILE_PATH", r"(a)\1")]], "does not support backreferences"),
    ):
        message = webhook_refusal(cb, project, groups)
        assert phrase in message, (groups, message)
    assert webhook_refusal(cb, "f-gh", branchFilter="(x") .startswith("Invalid regular expression in branchFilter filter")
    assert webhook_refusal(cb, "f-gh", branchFilter="^main$", filterGroups=PUSH_MAIN).startswith("You cannot use branchFilter and filterGroups")
    org = {"name": "octo", "scope": "GITHUB_ORGANIZATION"}
    assert "ORGANIZATION_NAME works with GitHub global webhooks only" in webhook_refusal(
        cb, "f-gh", [[event("WORKFLOW_JOB_QUEUED"), flt("ORGANIZATION_NAME", "octo")]], scopeConfiguration=org)
    assert "Scope GITLAB_GROUP is not available for source type GITHUB" in webhook_refusal(
        cb, "f-gh", scopeConfiguration={"name": "g", "scope": "GITLAB_GROUP"})
    assert "scopeConfiguration.domain is required" in webhook_refusal(cb, "f-ghe", scopeConfiguration=org)
    # Accepted: all events GitHub offers, white space as sent, repeated
    # non-EVENT filters, escaped characters, release and workflow filters.
    good = [[event("PUSH,PULL_REQUEST_CREATED , PULL_REQUEST_UPDATED, PULL_REQUEST_REOPENED, PULL_REQUEST_MERGED, PULL_REQUEST_CLOSED"),
             flt("HEAD_REF", r"^refs/heads/.*"), flt("HEAD_REF", r"^refs/heads/wip\+\+", excludeMatchedPattern=True),
             flt("FILE_PATH", r"^src/.*\.rs$"), flt("COMMIT_MESSAGE", r"\[build\]"), flt("ACTOR_ACCOUNT_ID", "^[0-9]+$")],
            [event("RELEASED, PRERELEASED"), flt("TAG_NAME", "^v[0-9]+"), flt("RELEASE_NAME", ".*")],
            [event("PULL_REQUEST_MERGED"), flt("BASE_REF", "^refs/heads/main$")],
            [event("WORKFLOW_JOB_QUEUED"), flt("WORKFLOW_NAME", "ci")]]
    assert len(cb.create_webhook(projectName="f-gh", filterGroups=good)["webhook"]["filterGroups"]) == 4
    cb.create_webhook(projectName="f-gl", filterGroups=[[event("PULL_REQUEST_REOPENED, RELEASED, WORKFLOW_JOB_QUEUED")]])
    cb.create_webhook(projectName="f-ghe", filterGroups=[[event("PUSH"), flt("FILE_PATH", "src/")]])
    git_project(cb, "f-org", location="CODEBUILD_DEFAULT_WEBHOOK_SOURCE_LOCATION")
    hook = cb.create_webhook(projectName="f-org", scopeConfiguration=org,
                             filterGroups=[[event("WORKFLOW_JOB_QUEUED"), flt("REPOSITORY_NAME", "app-.*")]])["webhook"]
    assert re.fullmatch(r"https://api\.github\.com/orgs/octo/hooks/\d+", hook["url"]) and hook["scopeConfiguration"] == org, hook
    # UpdateWebhook holds the same rules.
    assert "filter type BASE_REF cannot be used with event PUSH" in refusal(
        cb.update_webhook, projectName="f-gh", filterGroups=[[event("PUSH"), flt("BASE_REF", "x")]])[2]


@check
def codebuild_source_credentials_import_list_delete(c):
    cb = regional(c, "codebuild", "ap-south-1")
    raw = Raw(cb)
    prefix = f"arn:aws:codebuild:ap-south-1:{ACCOUNT}:token/"
    connection = f"arn:aws:codestar-connections:ap-south-1:{ACCOUNT}:connection/6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    secret = f"arn:aws:secretsmanager:ap-south-1:{ACCOUNT}:secret:cbctl/bitbucket-AbCdEf"
    assert cb.import_source_credentials(serverType="GITHUB", authType="PERSONAL_ACCESS_TOKEN", token="ghp_secret1")["arn"] == prefix + "github"
    assert cb.import_source_credentials(serverType="BITBUCKET", authType="BASIC_AUTH", username="me", token="app-pass")["arn"] == prefix + "bitbucket"
    cb.import_source_credentials(serverType="GITLAB", authType="CODECONNECTIONS", token=connection)
    cb.import_source_credentials(serverType="BITBUCKET", authType="SECRETS_MANAGER", token=secret)  # shouldOverwrite defaults to true
    infos = sorted(cb.list_source_credentials()["sourceCredentialsInfos"], key=lambda i: i["serverType"])
    assert infos == [
        {"arn": prefix + "bitbucket", "serverType": "BITBUCKET", "authType": "SECRETS_MANAGER", "resource": secret},
        {"arn": prefix + "github", "serverType": "GITHUB", "authType": "PERSONAL_ACCESS_TOKEN"},
        {"arn": prefix + "gitlab", "serverType": "GITLAB", "authType": "CODECONNECTIONS", "resource": connection},
    ], infos
    assert "ghp_secret1" not in raw.bodies["ListSourceCredentials"] and "app-pass" not in raw.bodies["ListSourceCredentials"]
    assert "ghp_secret1" not in raw.bodies["ImportSourceCredentials"]
    for kwargs, phrase in (
        ({"serverType": "GITHUB", "authType": "PERSONAL_ACCESS_TOKEN", "token": "x", "shouldOverwrite": False},
         "Source credentials already exist for server type github"),
        ({"serverType": "GITHUB", "authType": "OAUTH", "token": "x"}, "An OAUTH connection is not supported by the API"),
        ({"serverType": "BITBUCKET", "authType": "BASIC_AUTH", "token": "x"}, "username is required with authType BASIC_AUTH"),
        ({"serverType": "GITHUB", "authType": "PERSONAL_ACCESS_TOKEN", "token": "x", "username": "me"}, "username is not valid with authType"),
        ({"serverType": "GITHUB", "authType": "CODECONNECTIONS", "token": "not-an-arn"}, "the token must be the ARN of a connection"),
        ({"serverType": "GITHUB", "authType": "SECRETS_MANAGER", "token": connection}, "the token must be the ARN of a secret"),
    ):
        got = refusal(cb.import_source_credentials, **kwargs)
        expected = "ResourceAlreadyExistsException" if "already exist" in phrase else "InvalidInputException"
        assert got[:2] == (expected, 400) and phrase in got[2], (kwargs, got)
    assert cb.import_source_credentials(serverType="GITHUB", authType="PERSONAL_ACCESS_TOKEN", token="y", shouldOverwrite=True)
    assert cb.delete_source_credentials(arn=prefix + "github")["arn"] == prefix + "github"
    assert {i["serverType"] for i in cb.list_source_credentials()["sourceCredentialsInfos"]} == {"BITBUCKET", "GITLAB"}
    got = refusal(cb.delete_source_credentials, arn=prefix + "github")
    assert got == ("ResourceNotFoundException", 400, f"Could not find source credentials for arn: {prefix}github"), got


# --------------------------------------------------------------------- SNS --
CODESTAR_PUBLISH = {"Sid": "AWSCodeStarNotifications_publish", "Effect": "Allow",
                    "Principal": {"Service": ["codestar-notifications.amazonaws.com"]}, "Action": "SNS:Publish"}


def topic_policy(topic, *statements):
    return json.dumps({"Version": "2012-10-17", "Statement": [{**s, "Resource": topic} for s in statements]})


@check
def sns_topic_tags_policy_and_attributes(c):
    sns = c["sns"]
    arn = f"arn:aws:sns:us-east-1:{ACCOUNT}:cbctl-notify"
    policy = topic_policy(arn, CODESTAR_PUBLISH)
    tags = [{"Key": "cbctl:stack", "Value": "n1"}]
    assert sns.create_topic(Name="cbctl-notify", Tags=tags, Attributes={"Policy": policy, "DisplayName": "cbctl"})["TopicArn"] == arn
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert json.loads(attributes["Policy"]) == json.loads(policy) and attributes["DisplayName"] == "cbctl", attributes
    assert (attributes["TopicArn"], attributes["Owner"], attributes["SubscriptionsPending"]) == (arn, ACCOUNT, "0")
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == tags
    # CreateTopic again: the same topic when nothing differs; refused when tags or attributes do.
    assert sns.create_topic(Name="cbctl-notify", Tags=tags, Attributes={"Policy": policy})["TopicArn"] == arn
    assert sns.create_topic(Name="cbctl-notify")["TopicArn"] == arn
    assert refusal(sns.create_topic, Name="cbctl-notify", Tags=[{"Key": "cbctl:stack", "Value": "n2"}]) == (
        "InvalidParameter", 400, "Invalid parameter: Tags Reason: Topic already exists with different tags")
    assert refusal(sns.create_topic, Name="cbctl-notify", Attributes={"DisplayName": "other"}) == (
        "InvalidParameter", 400, "Invalid parameter: Attributes Reason: Topic already exists with different attributes")
    # A topic created without a policy has AWS's default one (owner account only).
    plain = sns.create_topic(Name="cbctl-plain")["TopicArn"]
    default = json.loads(sns.get_topic_attributes(TopicArn=plain)["Attributes"]["Policy"])
    statement = default["Statement"][0]
    assert (default["Id"], statement["Principal"], statement["Condition"]) == (
        "__default_policy_ID", {"AWS": "*"}, {"StringEquals": {"AWS:SourceOwner": ACCOUNT}}), default
    sns.set_topic_attributes(TopicArn=plain, AttributeName="Policy", AttributeValue=topic_policy(plain, CODESTAR_PUBLISH))
    assert json.loads(sns.get_topic_attributes(TopicArn=plain)["Attributes"]["Policy"])["Statement"][0]["Sid"] == CODESTAR_PUBLISH["Sid"]
    got = refusal(sns.set_topic_attributes, TopicArn=plain, AttributeName="Policy", AttributeValue="{not json")
    assert got[:2] == ("InvalidParameter", 400) and got[2].startswith("Invalid parameter: Policy Error"), got
    assert refusal(sns.set_topic_attributes, TopicArn=plain, AttributeName="Colour", AttributeValue="x") == (
        "InvalidParameter", 400, "Invalid parameter: AttributeName")
    assert error_of(sns.get_topic_attributes, TopicArn=plain + "-nope") == ("NotFound", 404)
    sns.tag_resource(ResourceArn=plain, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    sns.untag_resource(ResourceArn=plain, TagKeys=["a"])
    assert sns.list_tags_for_resource(ResourceArn=plain)["Tags"] == [{"Key": "b", "Value": "2"}]
    assert refusal(sns.list_tags_for_resource, ResourceArn=plain + "-nope") == ("ResourceNotFound", 404, "Resource does not exist")


@check
def sns_email_subscriptions_wait_for_confirmation(c):
    sns = c["sns"]
    topic = sns.create_topic(Name="cbctl-mail")["TopicArn"]
    assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="dev@example.com")["SubscriptionArn"] == "pending confirmation"
    assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="dev@example.com")["SubscriptionArn"] == "pending confirmation"
    queue = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=f"arn:aws:sqs:us-east-1:{ACCOUNT}:q")["SubscriptionArn"]
    assert queue.startswith(topic + ":")  # confirmed at once
    listed = {s["Endpoint"]: s for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]}
    assert listed["dev@example.com"] == {"SubscriptionArn": "PendingConfirmation", "Owner": ACCOUNT, "Protocol": "email",
                                         "Endpoint": "dev@example.com", "TopicArn": topic}, listed
    assert listed[f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"]["SubscriptionArn"] == queue
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (attributes["SubscriptionsPending"], attributes["SubscriptionsConfirmed"]) == ("1", "1"), attributes
    got = refusal(sns.unsubscribe, SubscriptionArn="PendingConfirmation")
    assert got[:2] == ("InvalidParameter", 400) and "SubscriptionArn" in got[2], got
    # TEST-ONLY hook: ConfirmSubscription with the endpoint as token.
    assert refusal(sns.confirm_subscription, TopicArn=topic, Token="someone@example.com") == ("InvalidParameter", 400, "Invalid parameter: Token")
    confirmed = sns.confirm_subscription(TopicArn=topic, Token="dev@example.com")["SubscriptionArn"]
    assert confirmed.startswith(topic + ":") and confirmed != queue
    assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="dev@example.com")["SubscriptionArn"] == confirmed
    assert {s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]} == {confirmed, queue}
    # ReturnSubscriptionArn: the pending subscription's ARN, which Unsubscribe takes.
    pending = sns.subscribe(TopicArn=topic, Protocol="https", Endpoint="https://hooks.example.com/x", ReturnSubscriptionArn=True)["SubscriptionArn"]
    assert pending.startswith(topic + ":") and sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsPending"] == "1"
    sns.unsubscribe(SubscriptionArn=pending)
    sns.unsubscribe(SubscriptionArn=queue)
    assert [s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]] == [confirmed]
    assert refusal(sns.subscribe, TopicArn=topic, Protocol="email", Endpoint="not-an-address") == ("InvalidParameter", 400, "Invalid parameter: Email address")
    assert refusal(sns.subscribe, TopicArn=topic, Protocol="pigeon", Endpoint="x")[2] == \
        "Invalid parameter: Amazon SNS does not support this protocol string: pigeon"
    sns.subscribe(TopicArn=topic, Protocol="email-json", Endpoint="ops@example.com")
    sns.delete_topic(TopicArn=topic)  # takes its subscriptions along
    assert not [s for s in sns.list_subscriptions()["Subscriptions"] if s["TopicArn"] == topic]
    assert error_of(sns.list_subscriptions_by_topic, TopicArn=topic) == ("NotFound", 404)


# -------------------------------------------------- CodeStar Notifications --
NOTIFY_SLR = "AWSServiceRoleForCodeStarNotifications"


def ensure_notifications_role(iam):
    """The service-linked role, created through IAM so that rules are created at once."""
    try:
        iam.get_role(RoleName=NOTIFY_SLR)
    except ClientError:
        iam.create_service_linked_role(AWSServiceName="codestar-notifications.amazonaws.com")


def notified_project(c, name, cb=None):
    (cb or c["codebuild"]).create_project(name=name, source={"type": "NO_SOURCE", "buildspec": "x"},
                                          artifacts={"type": "NO_ARTIFACTS"}, environment=ENV, serviceRole=ROLE)
    return f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/{name}"


@check
def notifications_first_rule_creates_service_linked_role_and_waits(c):
    # An account without the service-linked role: the first rule creates it
    # and fails until it has propagated (CBCTL_EMU_SLR_DELAY_SECONDS, 2 s here).
    account = "210987654321"
    cs, iam = regional(c, "codestar-notifications", "us-east-1", account), regional(c, "iam", "us-east-1", account)
    cb = regional(c, "codebuild", "us-east-1", account)
    cb.create_project(name="slr", source={"type": "NO_SOURCE", "buildspec": "x"}, artifacts={"type": "NO_ARTIFACTS"},
                      environment=ENV, serviceRole=f"arn:aws:iam::{account}:role/b")
    rule = dict(Name="slr-rule", Resource=f"arn:aws:codebuild:us-east-1:{account}:project/slr", DetailType="FULL",
                EventTypeIds=["codebuild-project-build-state-failed"],
                Targets=[{"TargetType": "SNS", "TargetAddress": f"arn:aws:sns:us-east-1:{account}:t"}])
    assert error_of(iam.get_role, RoleName=NOTIFY_SLR) == ("NoSuchEntity", 404)
    began = time.monotonic()
    got = refusal(cs.create_notification_rule, **rule)
    assert got[:2] == ("ConfigurationException", 400) and got[2].startswith(
        "AWS CodeStar Notifications could not create the AWS CloudWatch Events managed rule in your AWS account. "
        "If this is your first time creating a notification rule, the service-linked role for AWS CodeStar "
        "Notifications might not yet exist. Creation of this role might take up to 15 minutes."), got
    role = iam.get_role(RoleName=NOTIFY_SLR)["Role"]
    assert role["Path"] == "/aws-service-role/codestar-notifications.amazonaws.com/", role
    trust = json.loads(urllib.parse.unquote(role["AssumeRolePolicyDocument"])) if isinstance(role["AssumeRolePolicyDocument"], str) else role["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"]["Service"] in ("codestar-notifications.amazonaws.com", ["codestar-notifications.amazonaws.com"])
    attached = [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=NOTIFY_SLR)["AttachedPolicies"]]
    assert attached == ["AWSCodeStarNotificationsServiceRolePolicy"], attached
    assert refusal(cs.create_notification_rule, **rule)[0] == "ConfigurationException"  # still propagating
    time.sleep(max(0.0, began + 2.1 - time.monotonic()))
    assert cs.create_notification_rule(**rule)["Arn"].startswith(f"arn:aws:codestar-notifications:us-east-1:{account}:notificationrule/")
    # A role created through IAM beforehand: rules at once.
    other = "210987654322"
    iam2, cs2 = regional(c, "iam", "us-east-1", other), regional(c, "codestar-notifications", "us-east-1", other)
    cb2 = regional(c, "codebuild", "us-east-1", other)
    assert iam2.create_service_linked_role(AWSServiceName="codestar-notifications.amazonaws.com")["Role"]["RoleName"] == NOTIFY_SLR
    cb2.create_project(name="slr", source={"type": "NO_SOURCE", "buildspec": "x"}, artifacts={"type": "NO_ARTIFACTS"},
                       environment=ENV, serviceRole=f"arn:aws:iam::{other}:role/b")
    cs2.create_notification_rule(**{**rule, "Resource": f"arn:aws:codebuild:us-east-1:{other}:project/slr",
                                    "Targets": [{"TargetType": "SNS", "TargetAddress": f"arn:aws:sns:us-east-1:{other}:t"}]})


@check
def notifications_rule_lifecycle_and_target_status(c):
    cs, sns = c["codestar-notifications"], c["sns"]
    ensure_notifications_role(c["iam"])
    project = notified_project(c, "notify-build")
    topic = sns.create_topic(Name="cbctl-builds")["TopicArn"]  # AWS's default policy: CodeStar cannot publish
    raw = Raw(cs)
    arn = cs.create_notification_rule(
        Name="cbctl build failures", Resource=project, DetailType="BASIC", Tags={"cbctl:stack": "n1"},
        EventTypeIds=["codebuild-project-build-state-failed", "codebuild-project-build-phase-failure"],
        Targets=[{"TargetType": "SNS", "TargetAddress": topic}])["Arn"]
    assert re.fullmatch(rf"arn:aws:codestar-notifications:us-east-1:{ACCOUNT}:notificationrule/[0-9a-f]{{40}}", arn), arn
    assert raw.responses["CreateNotificationRule"].headers["Content-Type"] == "application/json"
    rule = cs.describe_notification_rule(Arn=arn)
    assert (rule["Name"], rule["Resource"], rule["DetailType"], rule["Status"], rule["Tags"]) == (
        "cbctl build failures", project, "BASIC", "ENABLED", {"cbctl:stack": "n1"}), rule
    assert rule["EventTypes"] == [
        {"EventTypeId": "codebuild-project-build-state-failed", "ServiceName": "CodeBuild", "EventTypeName": "Build state: Failed", "ResourceType": "Project"},
        {"EventTypeId": "codebuild-project-build-phase-failure", "ServiceName": "CodeBuild", "EventTypeName": "Build phase: Failure", "ResourceType": "Project"}]
    assert rule["Targets"] == [{"TargetAddress": topic, "TargetType": "SNS", "TargetStatus": "UNREACHABLE"}], rule["Targets"]
    assert rule["CreatedBy"] == f"arn:aws:iam::{ACCOUNT}:root" and rule["CreatedTimestamp"] == rule["LastModifiedTimestamp"]
    # The topic policy lets CodeStar Notifications publish: ACTIVE. A Deny wins; a missing topic is UNREACHABLE.
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=topic_policy(topic, CODESTAR_PUBLISH))
    assert cs.describe_notification_rule(Arn=arn)["Targets"][0]["TargetStatus"] == "ACTIVE"
    deny = {**CODESTAR_PUBLISH, "Sid": "no", "Effect": "Deny"}
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=topic_policy(topic, CODESTAR_PUBLISH, deny))
    assert cs.describe_notification_rule(Arn=arn)["Targets"][0]["TargetStatus"] == "UNREACHABLE"
    other_account = {**CODESTAR_PUBLISH, "Condition": {"StringEquals": {"aws:SourceAccount": "999999999999"}}}
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=topic_policy(topic, other_account))
    assert cs.describe_notification_rule(Arn=arn)["Targets"][0]["TargetStatus"] == "UNREACHABLE"
    mine = {**CODESTAR_PUBLISH, "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=topic_policy(topic, mine))
    assert cs.describe_notification_rule(Arn=arn)["Targets"][0]["TargetStatus"] == "ACTIVE"
    # ClientRequestToken: the same request again answers the same rule; changed, it is refused.
    again = dict(Name="cbctl token", Resource=project, DetailType="BASIC", EventTypeIds=["codebuild-project-build-state-stopped"],
                 Targets=[], ClientRequestToken="cbctl-token-1")
    token_arn = cs.create_notification_rule(**again)["Arn"]
    assert cs.create_notification_rule(**again)["Arn"] == token_arn
    got = refusal(cs.create_notification_rule, **{**again, "DetailType": "FULL"})
    assert got[:2] == ("ValidationException", 400) and "ClientRequestToken cbctl-token-1" in got[2], got
    cs.delete_notification_rule(Arn=token_arn)
    # Names are unique (409); UpdateNotificationRule replaces what it sends.
    got = refusal(cs.create_notification_rule, Name="cbctl build failures", Resource=project, DetailType="FULL",
                  EventTypeIds=["codebuild-project-build-state-succeeded"], Targets=[])
    assert got[:2] == ("ResourceAlreadyExistsException", 409) and "another notification rule already exists with the same name" in got[2]
    slack = f"arn:aws:chatbot::{ACCOUNT}:chat-configuration/slack-channel/cbctl"
    time.sleep(0.01)
    cs.update_notification_rule(Arn=arn, Name="cbctl builds", Status="DISABLED", DetailType="FULL",
                                EventTypeIds=["codebuild-project-build-state-succeeded"],
                                Targets=[{"TargetType": "AWSChatbotSlack", "TargetAddress": slack}, {"TargetType": "SNS", "TargetAddress": topic}])
    rule = cs.describe_notification_rule(Arn=arn)
    assert (rule["Name"], rule["Status"], rule["DetailType"], [e["EventTypeId"] for e in rule["EventTypes"]]) == (
        "cbctl builds", "DISABLED", "FULL", ["codebuild-project-build-state-succeeded"]), rule
    assert rule["Targets"] == [{"TargetAddress": slack, "TargetType": "AWSChatbotSlack", "TargetStatus": "ACTIVE"},
                               {"TargetAddress": topic, "TargetType": "SNS", "TargetStatus": "ACTIVE"}]
    assert rule["LastModifiedTimestamp"] > rule["CreatedTimestamp"] and rule["Tags"] == {"cbctl:stack": "n1"}
    # The watched project deleted: the rule stays (unconfirmed in AWS; never a crash).
    c["codebuild"].delete_project(name="notify-build")
    assert cs.describe_notification_rule(Arn=arn)["Resource"] == project
    assert cs.delete_notification_rule(Arn=arn)["Arn"] == arn
    assert cs.delete_notification_rule(Arn=arn)["Arn"] == arn  # a missing rule: no error
    got = refusal(cs.describe_notification_rule, Arn=arn)
    assert got[:2] == ("ResourceNotFoundException", 404), got
    assert error_of(cs.update_notification_rule, Arn=arn, Status="ENABLED") == ("ResourceNotFoundException", 404)


@check
def notifications_rules_list_filter_page_and_tag(c):
    cs, cp = c["codestar-notifications"], c["codepipeline"]
    ensure_notifications_role(c["iam"])
    project = notified_project(c, "notify-list")
    role = cp_role(c["iam"], "notify-pipe", trust("codepipeline"))
    cp.create_pipeline(pipeline=pipeline_decl("notify-pipe", role))
    pipeline = f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:notify-pipe"
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:cbctl-list"
    pipeline_events = ["codepipeline-pipeline-pipeline-execution-failed", "codepipeline-pipeline-manual-approval-needed",
                       "codepipeline-pipeline-stage-execution-succeeded", "codepipeline-pipeline-action-execution-canceled"]
    arns = [cs.create_notification_rule(Name=f"list-{i}", Resource=project if i < 3 else pipeline, DetailType="BASIC",
                                        EventTypeIds=["codebuild-project-build-state-in-progress"] if i < 3 else pipeline_events,
                                        Targets=[{"TargetType": "SNS", "TargetAddress": topic}] if i % 2 else [])["Arn"]
            for i in range(5)]
    mine = lambda filters: {r["Arn"] for r in cs.list_notification_rules(Filters=filters)["NotificationRules"]} & set(arns)  # noqa: E731
    assert mine([{"Name": "RESOURCE", "Value": pipeline}]) == set(arns[3:])
    assert mine([{"Name": "TARGET_ADDRESS", "Value": topic}]) == {arns[1], arns[3]}
    assert mine([{"Name": "RESOURCE", "Value": project}, {"Name": "TARGET_ADDRESS", "Value": topic}]) == {arns[1]}  # AND
    assert mine([{"Name": "RESOURCE", "Value": project}, {"Name": "RESOURCE", "Value": pipeline}]) == set(arns)  # OR
    assert mine([{"Name": "EVENT_TYPE_ID", "Value": "codepipeline-pipeline-manual-approval-needed"}]) == set(arns[3:])
    assert mine([{"Name": "CREATED_BY", "Value": f"arn:aws:iam::{ACCOUNT}:root"}]) == set(arns)
    listed = pages(cs.list_notification_rules, "NextToken", "NextToken", "NotificationRules", MaxResults=2,
                   Filters=[{"Name": "RESOURCE", "Value": project}, {"Name": "RESOURCE", "Value": pipeline}])
    assert [len(p) for p in listed] == [2, 2, 1] and [r["Arn"] for p in listed for r in p] == arns
    assert listed[0][0]["Id"] == arns[0].rsplit("/", 1)[1]
    assert error_of(cs.list_notification_rules, NextToken="bogus") == ("InvalidNextTokenException", 400)
    # Event types and rules on them
    events = pages(cs.list_event_types, "NextToken", "NextToken", "EventTypes")
    assert [len(p) for p in events] == [24], [len(p) for p in events]  # 6 CodeBuild, 18 CodePipeline: one page of 50
    names = {e["EventTypeId"]: (e["ServiceName"], e["EventTypeName"], e["ResourceType"]) for e in events[0]}
    assert names["codepipeline-pipeline-pipeline-execution-superseded"] == ("CodePipeline", "Pipeline execution: Superseded", "Pipeline")
    assert names["codepipeline-pipeline-manual-approval-needed"] == ("CodePipeline", "Manual approval: Needed", "Pipeline")
    assert names["codebuild-project-build-state-in-progress"] == ("CodeBuild", "Build state: In-progress", "Project")
    assert len(cs.list_event_types(Filters=[{"Name": "SERVICE_NAME", "Value": "CodeBuild"}])["EventTypes"]) == 6
    assert len(cs.list_event_types(Filters=[{"Name": "RESOURCE_TYPE", "Value": "Pipeline"}], MaxResults=10)["EventTypes"]) == 10
    # Subscribe / Unsubscribe / ListTargets / DeleteTarget
    teams = f"arn:aws:chatbot::{ACCOUNT}:chat-configuration/microsoft-teams-channel/cbctl"
    assert cs.subscribe(Arn=arns[0], Target={"TargetType": "AWSChatbotMicrosoftTeams", "TargetAddress": teams})["Arn"] == arns[0]
    targets = {t["TargetAddress"]: t for t in cs.list_targets()["Targets"]}
    assert targets[teams] == {"TargetAddress": teams, "TargetType": "AWSChatbotMicrosoftTeams", "TargetStatus": "ACTIVE"}
    assert targets[topic]["TargetStatus"] == "UNREACHABLE"  # no such topic
    assert [t["TargetAddress"] for t in cs.list_targets(Filters=[{"Name": "TARGET_TYPE", "Value": "AWSChatbotMicrosoftTeams"}])["Targets"]] == [teams]
    got = refusal(cs.delete_target, TargetAddress=topic)
    assert got[:2] == ("ValidationException", 400) and "ForceUnsubscribeAll" in got[2], got
    cs.delete_target(TargetAddress=topic, ForceUnsubscribeAll=True)
    assert mine([{"Name": "TARGET_ADDRESS", "Value": topic}]) == set()
    assert cs.unsubscribe(Arn=arns[0], TargetAddress=teams)["Arn"] == arns[0]
    assert cs.describe_notification_rule(Arn=arns[0])["Targets"] == []
    assert error_of(cs.subscribe, Arn=arns[0] + "0", Target={"TargetType": "SNS", "TargetAddress": topic}) == ("ResourceNotFoundException", 404)
    # Tags by ARN (UntagResource carries the ARN in its path)
    assert cs.tag_resource(Arn=arns[0], Tags={"a": "1", "b": "2"})["Tags"] == {"a": "1", "b": "2"}
    cs.untag_resource(Arn=arns[0], TagKeys=["a"])
    assert cs.list_tags_for_resource(Arn=arns[0])["Tags"] == {"b": "2"}
    got = refusal(cs.tag_resource, Arn=arns[0], Tags={"aws:cbctl": "x"})
    assert got[:2] == ("ValidationException", 400), got
    assert error_of(cs.list_tags_for_resource, Arn=arns[0] + "0") == ("ResourceNotFoundException", 404)
    for arn in arns:
        cs.delete_notification_rule(Arn=arn)


@check
def notifications_rule_members_are_checked(c):
    cs = c["codestar-notifications"]
    ensure_notifications_role(c["iam"])
    project = notified_project(c, "notify-check")
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:cbctl-check"
    base = dict(Name="check", Resource=project, DetailType="BASIC", EventTypeIds=["codebuild-project-build-state-stopped"],
                Targets=[{"TargetType": "SNS", "TargetAddress": topic}])
    for changes, phrase in (
        ({"Resource": project + "-gone"}, "does not exist"),
        ({"Resource": f"arn:aws:codebuild:eu-west-1:{ACCOUNT}:project/notify-check"}, "must be in the same account and Region"),
        ({"Resource": f"arn:aws:codecommit:us-east-1:{ACCOUNT}:repo"}, "emulates notification rules on CodeBuild projects and CodePipeline pipelines"),
        ({"EventTypeIds": ["codepipeline-pipeline-pipeline-execution-failed"]}, "is not valid for resource type Project"),
        ({"EventTypeIds": ["codebuild-project-build-state-exploded"]}, "is not valid for resource type Project"),
        ({"EventTypeIds": []}, "EventTypeIds must contain at least one event type"),
        ({"Targets": [{"TargetType": "Email", "TargetAddress": "dev@example.com"}]}, "Invalid TargetType Email"),
        ({"Targets": [{"TargetType": "SNS", "TargetAddress": "cbctl-check"}]}, "Invalid TargetAddress cbctl-check for TargetType SNS"),
        ({"Tags": {"aws:x": "1"}}, "Tag keys cannot start with aws:"),
    ):
        got = refusal(cs.create_notification_rule, **{**base, **changes})
        assert got[:2] == ("ValidationException", 400) and phrase in got[2], (changes, got)
    arns = [cs.create_notification_rule(**{**base, "Name": f"check-{i}"})["Arn"] for i in range(10)]
    once = unvalidated(c, "codestar-notifications")  # SDKs retry LimitExceededException as throttling
    got = refusal(once.create_notification_rule, **{**base, "Name": "check-10"})
    assert got[:2] == ("LimitExceededException", 400) and "at most 10 notification rules" in got[2], got
    assert error_of(cs.update_notification_rule, Arn=arns[0], EventTypeIds=["codepipeline-pipeline-pipeline-execution-failed"]) == ("ValidationException", 400)
    for arn in arns:
        cs.delete_notification_rule(Arn=arn)


# ------------------------------------------------------ EventBridge schedules --
@check
def eventbridge_schedule_expressions_and_role_for_targets(c):
    ev = c["events"]
    for expression in ("rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)", "rate(1 day)", "rate(7 days)",
                       "cron(0 12 * * ? *)", "cron(15 10 ? * 6L 2022-2030)", "cron(0/15 * * * ? *)", "cron(0 8 1 * ? *)",
                       "cron(0 18 ? * MON-FRI *)", "cron(0 9 ? * 2#1 *)", "cron(5,35 14 * JAN,JUL ? *)", "cron(0 0 L * ? *)",
                       "cron(0 0 15W * ? *)"):
        ev.put_rule(Name="sched", ScheduleExpression=expression)
        assert ev.describe_rule(Name="sched")["ScheduleExpression"] == expression
    for expression in ("rate(1 minutes)", "rate(2 minute)", "rate(0 minutes)", "rate(-1 minutes)", "rate(1.5 hours)",
                       "rate(1 week)", "rate(5minutes)", "cron(0 12 * * * *)", "cron(0 12 ? * ? *)", "cron(0 12 * *)",
                       "cron(0 12 * * ? * *)", "cron(60 12 * * ? *)", "cron(0 24 * * ? *)", "cron(0 12 32 * ? *)",
                       "cron(0 12 ? 13 MON *)", "cron(0 12 ? * 8 *)", "cron(0 12 * * ? 1969)", "cron(0/0 * * * ? *)",
                       "at(2030-01-01T00:00:00)", "every 5 minutes"):
        got = refusal(ev.put_rule, Name="sched-bad", ScheduleExpression=expression)
        assert got == ("ValidationException", 400, "Parameter ScheduleExpression is not valid."), (expression, got)
    got = refusal(ev.put_rule, Name="sched-bad")
    assert got == ("ValidationException", 400, "Parameter(s) EventPattern or ScheduleExpression must be specified."), got
    ev.put_rule(Name="sched", ScheduleExpression="rate(1 day)", Description="nightly")
    rule = ev.describe_rule(Name="sched")
    assert "EventPattern" not in rule and rule["ScheduleExpression"] == "rate(1 day)"
    (listed,) = ev.list_rules(NamePrefix="sched")["Rules"]
    assert listed == {"Name": "sched", "Arn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/sched", "ScheduleExpression": "rate(1 day)",
                      "State": "ENABLED", "Description": "nightly", "EventBusName": "default"}, listed
    # CodeBuild, CodePipeline and Step Functions targets need a RoleArn.
    for arn in (f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/nightly", f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:cp",
                f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:sm"):
        got = refusal(ev.put_targets, Rule="sched", Targets=[{"Id": "t", "Arn": arn}])
        assert got == ("ValidationException", 400, f"RoleArn is required for target {arn}."), got
    target = {"Id": "t", "Arn": f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/nightly", "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/events"}
    assert ev.put_targets(Rule="sched", Targets=[target])["FailedEntryCount"] == 0
    ev.put_targets(Rule="sched", Targets=[{"Id": "sns", "Arn": f"arn:aws:sns:us-east-1:{ACCOUNT}:t"}])  # SNS: no role needed
    ev.remove_targets(Rule="sched", Ids=["t", "sns"])
    ev.delete_rule(Name="sched")


# -------------------------------------------- Tagging: SNS and notifications --
@check
def tagging_reports_sns_topics_and_notification_rules(c):
    t, sns, cs = c["resourcegroupstaggingapi"], c["sns"], c["codestar-notifications"]
    ensure_notifications_role(c["iam"])
    tag = {"cbctl:stack": "tg-sn"}
    topic = sns.create_topic(Name="tg-sn", Tags=[{"Key": "cbctl:stack", "Value": "tg-sn"}])["TopicArn"]
    rule = cs.create_notification_rule(Name="tg-sn", Resource=notified_project(c, "tg-sn"), DetailType="BASIC", Tags=tag,
                                       EventTypeIds=["codebuild-project-build-state-failed"],
                                       Targets=[{"TargetType": "SNS", "TargetAddress": topic}])["Arn"]
    assert tagged(t, [topic, rule]) == {topic: tag, rule: tag}
    by_tag = [{"Key": "cbctl:stack", "Values": ["tg-sn"]}]
    for kinds, expected in ((["sns"], {topic}), (["sns:topic"], {topic}), (["codestar-notifications"], {rule}),
                            (["codestar-notifications:notificationrule"], {rule}), (["sns", "codestar-notifications"], {topic, rule})):
        got = {m["ResourceARN"] for m in t.get_resources(TagFilters=by_tag, ResourceTypeFilters=kinds)["ResourceTagMappingList"]}
        assert got == expected, (kinds, got)
    sns.untag_resource(ResourceArn=topic, TagKeys=["cbctl:stack"])
    cs.untag_resource(Arn=rule, TagKeys=["cbctl:stack"])
    assert tagged(t, [topic, rule]) == {topic: {}, rule: {}}  # tagged before: still reported
    cs.delete_notification_rule(Arn=rule)
    sns.delete_topic(TopicArn=topic)
    assert tagged(t, [topic, rule]) == {}


# --------------------------------------- strict requests: SNS, notifications --
@check
def strict_sns_and_codestar_notifications_requests(c):
    sns, cs = unvalidated(c, "sns"), unvalidated(c, "codestar-notifications")
    expect_validation(refusal(sns.create_topic), "name", "Member must not be null", "ValidationError")
    expect_validation(refusal(sns.subscribe, TopicArn=f"arn:aws:sns:us-east-1:{ACCOUNT}:x"), "protocol", "Member must not be null", "ValidationError")
    project = f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/x"
    base = dict(Name="strict", Resource=project, EventTypeIds=["codebuild-project-build-state-failed"], Targets=[], DetailType="BASIC")
    raw = Raw(cs)
    got = refusal(cs.create_notification_rule, **{**base, "DetailType": "VERBOSE"})
    expect_validation(got, "detailType", "Member must satisfy enum value set: [BASIC, FULL]")
    assert raw.responses["CreateNotificationRule"].headers["x-amzn-ErrorType"] == "ValidationException"
    got = refusal(cs.create_notification_rule, **{**base, "Name": "n" * 65})
    expect_validation(got, "name", "Member must have length less than or equal to 64")
    got = refusal(cs.create_notification_rule, **{k: v for k, v in base.items() if k != "Targets"})
    expect_validation(got, "targets", "Member must not be null")
    expect_validation(refusal(cs.create_notification_rule, **{**base, "Resource": "project/x"}), "resource",
                      "Member must satisfy regular expression pattern")
    expect_validation(refusal(cs.list_event_types, MaxResults=101), "maxResults", "Member must have value less than or equal to 100")
    got = refusal(cs.untag_resource, Arn="arn:aws:sns:us-east-1:123456789012:t", TagKeys=["a"])  # the ARN in the path
    expect_validation(got, "arn", "Member must satisfy regular expression pattern")


# --------------------------------------------------------- fault injection --
NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})
SERVICES = ("codebuild", "codecommit", "ssm", "iam", "sts", "kms", "codepipeline", "s3", "events",
            "codeconnections", "codestar-connections", "resourcegroupstaggingapi", "ecr", "sns", "codestar-notifications")


def failure(call, **kwargs):
    """The parsed error response of the ClientError that call(**kwargs) must raise."""
    try:
        call(**kwargs)
    except ClientError as e:
        return e.response
    raise AssertionError(f"{call.__name__} unexpectedly succeeded")


def moto_api(url, path, method="GET"):
    with urllib.request.urlopen(urllib.request.Request(url + path, method=method), timeout=30) as r:
        return r.status


@fault_check
def fault_throttle_rate_1_per_protocol(start):
    with start(CBCTL_EMU_THROTTLE_RATE="1") as (c, url):
        for service, call, kwargs, expected in (
            ("codebuild", "list_projects", {}, ("ThrottlingException", 400)),
            ("codecommit", "list_repositories", {}, ("ThrottlingException", 400)),
            ("ssm", "describe_parameters", {}, ("ThrottlingException", 400)),
            ("kms", "list_keys", {}, ("ThrottlingException", 400)),
            ("codepipeline", "list_pipelines", {}, ("ThrottlingException", 400)),
            ("events", "list_rules", {}, ("ThrottlingException", 400)),
            ("resourcegroupstaggingapi", "get_resources", {}, ("ThrottledException", 400)),
            ("ecr", "describe_repositories", {}, ("ThrottlingException", 400)),
            ("codeconnections", "list_connections", {}, ("ThrottlingException", 400)),
            ("codeconnections_cbor", "list_connections", {}, ("ThrottlingException", 400)),
            ("codestar-connections", "list_connections", {}, ("ThrottlingException", 400)),
            ("iam", "list_roles", {}, ("Throttling", 400)),
            ("sts", "get_caller_identity", {}, ("Throttling", 400)),
            ("sns", "list_topics", {}, ("Throttling", 400)),
            ("codestar-notifications", "list_event_types", {}, ("ThrottlingException", 429)),
            ("s3", "list_buckets", {}, ("SlowDown", 503)),
            ("s3", "head_bucket", {"Bucket": "b"}, ("503", 503)),  # HEAD: status only, as in AWS
        ):
            r = failure(getattr(c[service], call), **kwargs)
            got = (r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"])
            assert got == expected, (service, call, got)
            # botocore's own retry logic takes it for throttling (HEAD: transient)
            checker = TransientRetryableChecker() if call == "head_bucket" else ThrottledRetryableChecker()
            http = type("Http", (), {"status_code": got[1]})()
            assert checker.is_retryable(RetryContext(1, parsed_response=r, http_response=http)), (service, r)
        raw_cb, raw_iam, raw_s3 = Raw(c["codebuild"]), Raw(c["iam"]), Raw(c["s3"])
        failure(c["codebuild"].list_projects)
        assert raw_cb.bodies["ListProjects"] == '{"__type":"ThrottlingException","message":"Rate exceeded"}'
        assert raw_cb.responses["ListProjects"].headers["Content-Type"] == "application/x-amz-json-1.1"
        failure(c["iam"].get_role, RoleName="x")
        assert re.fullmatch(
            r'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
            r"<Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
            r"<RequestId>[0-9a-f-]{36}</RequestId></ErrorResponse>", raw_iam.bodies["GetRole"]), raw_iam.bodies
        failure(c["s3"].list_buckets)
        assert "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>" in raw_s3.bodies["ListBuckets"]
        # With retries on, boto3 retries a throttled call (standard mode).
        retrying = boto3.client("sts", config=Config(retries={"mode": "standard", "total_max_attempts": 2}),
                                **client_kwargs(url))
        assert failure(retrying.get_caller_identity)["ResponseMetadata"]["RetryAttempts"] == 1
        # moto's own endpoints are never throttled.
        assert moto_api(url, "/moto-api/reset", "POST") == 200 and moto_api(url, "/moto-api/data.json") == 200


@fault_check
def fault_5xx_rate_1_per_protocol(start):
    with start(CBCTL_EMU_5XX_RATE="1.0") as (c, url):
        raw = {s: Raw(c[s]) for s in ("codebuild", "iam", "s3")}
        for service, call, expected in (
            ("codebuild", "list_projects", ("InternalFailure", 500)),
            ("ssm", "describe_parameters", ("InternalFailure", 500)),
            ("iam", "list_roles", ("InternalFailure", 500)),
            ("sts", "get_caller_identity", ("InternalFailure", 500)),
            ("s3", "list_buckets", ("InternalError", 500)),
        ):
            r = failure(getattr(c[service], call))
            got = (r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"])
            assert got == expected, (service, call, got)
            http = type("Http", (), {"status_code": got[1]})()
            assert TransientRetryableChecker().is_retryable(RetryContext(1, parsed_response=r, http_response=http))
        body = json.loads(raw["codebuild"].bodies["ListProjects"])
        assert list(body) == ["__type", "message"] and body["__type"] == "InternalFailure", body
        assert "<Error><Type>Receiver</Type><Code>InternalFailure</Code>" in raw["iam"].bodies["ListRoles"]
        assert "<Error><Code>InternalError</Code>" in raw["s3"].bodies["ListBuckets"]
        assert moto_api(url, "/moto-api/reset", "POST") == 200


def outcomes(client, n, between=lambda: None):
    seen = []
    for _ in range(n):
        try:
            client.get_caller_identity()
            seen.append("ok")
        except ClientError as e:
            seen.append(e.response["Error"]["Code"])
        between()
    return seen


@fault_check
def fault_rates_are_seeded_and_reproducible(start):
    env = dict(CBCTL_EMU_THROTTLE_RATE="0.3", CBCTL_EMU_5XX_RATE="0.3", CBCTL_EMU_SEED="7")
    with start(**env) as (c, url):
        first = outcomes(c["sts"], 60)
    with start(**env) as (c, url):  # moto-api calls in between take no draw
        again = outcomes(c["sts"], 60, lambda: moto_api(url, "/moto-api/data.json"))
    with start(**{**env, "CBCTL_EMU_SEED": "8"}) as (c, url):
        other = outcomes(c["sts"], 60)
    assert first == again, (first, again)
    assert first != other
    counts = {k: first.count(k) for k in ("ok", "Throttling", "InternalFailure")}
    assert sum(counts.values()) == 60 and all(8 <= v <= 32 for v in counts.values()), counts


@fault_check
def fault_role_delay_rejects_then_accepts(start):
    delay = 2.0
    trust = json.dumps({"Version": "2012-10-17", "Statement": [  # one statement each: moto reads Service as a string
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": f"{s}.amazonaws.com"}}
        for s in ("codebuild", "codepipeline")]})
    with start(CBCTL_EMU_ROLE_DELAY_SECONDS=str(delay)) as (c, url):
        iam, cb, cp = c["iam"], c["codebuild"], c["codepipeline"]
        raw_cb, raw_cp = Raw(cb), Raw(cp)
        arn = iam.create_role(RoleName="slow", Path="/cbctl/", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        created = time.monotonic()
        assert arn == f"arn:aws:iam::{ACCOUNT}:role/cbctl/slow"
        project = dict(name="cb-slow", source={"type": "CODEPIPELINE"}, artifacts={"type": "CODEPIPELINE"},
                       environment=ENV, serviceRole=arn)
        pipeline = {"name": "pipe", "roleArn": arn, "artifactStore": {"type": "S3", "location": "bucket"}, "stages": [
            {"name": "Source", "actions": [{"name": "Src", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
                                            "configuration": {"RepositoryName": "r", "BranchName": "main"}, "outputArtifacts": [{"name": "src"}]}]},
            {"name": "Build", "actions": [{"name": "Build", "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
                                           "configuration": {"ProjectName": "cb-slow"}, "inputArtifacts": [{"name": "src"}]}]}]}
        cb_denied = {"__type": "InvalidInputException", "message": f"CodeBuild is not authorized to perform: sts:AssumeRole on {arn}"}
        cp_denied = {"__type": "InvalidStructureException", "message": f"CodePipeline is not authorized to perform AssumeRole on role {arn}"}

        assert error_of(cb.create_project, **project) == ("InvalidInputException", 400)
        assert json.loads(raw_cb.bodies["CreateProject"]) == cb_denied
        assert error_of(cp.create_pipeline, pipeline=pipeline) == ("InvalidStructureException", 400)
        assert json.loads(raw_cp.bodies["CreatePipeline"]) == cp_denied
        # Only the new role is delayed: another one is usable at once.
        cb.create_project(**{**project, "name": "cb-other", "serviceRole": f"arn:aws:iam::{ACCOUNT}:role/older"})
        assert time.monotonic() - created < delay, "too slow to observe the delay"
        time.sleep(max(0.0, created + delay + 0.2 - time.monotonic()))
        assert cb.create_project(**project)["project"]["serviceRole"] == arn
        assert cp.create_pipeline(pipeline=pipeline)["pipeline"]["roleArn"] == arn

        iam.update_assume_role_policy(RoleName="slow", PolicyDocument=trust)
        updated = time.monotonic()
        assert error_of(cb.update_project, name="cb-slow", serviceRole=arn) == ("InvalidInputException", 400)
        assert json.loads(raw_cb.bodies["UpdateProject"]) == cb_denied
        cb.update_project(name="cb-slow", description="role not named: accepted")
        assert error_of(cp.update_pipeline, pipeline=pipeline) == ("InvalidStructureException", 400)
        assert json.loads(raw_cp.bodies["UpdatePipeline"]) == cp_denied
        assert time.monotonic() - updated < delay, "too slow to observe the delay"
        time.sleep(max(0.0, updated + delay + 0.2 - time.monotonic()))
        cb.update_project(name="cb-slow", serviceRole=arn)
        cp.update_pipeline(pipeline=pipeline)
        # A failed CreateRole (already exists) starts no new delay.
        assert error_of(iam.create_role, RoleName="slow", AssumeRolePolicyDocument=trust) == ("EntityAlreadyExists", 409)
        cb.update_project(name="cb-slow", serviceRole=arn)


@fault_check
def fault_fail_targets_exactly_the_nth_call(start):
    specs = ("CodeBuild.CreateProject:2=AccessDeniedException,IAM.GetRole,STS.GetCallerIdentity:*=ExpiredToken,"
             "S3.PutObject:2=AccessDenied,S3.ListObjects=NoSuchBucket,kms.listkeys:*,ECR.CreateRepository:2=LimitExceededException")
    with start(CBCTL_EMU_FAIL=specs) as (c, url):
        cb, raw_cb = c["codebuild"], Raw(c["codebuild"])
        base = dict(source={"type": "NO_SOURCE", "buildspec": "x"}, artifacts={"type": "NO_ARTIFACTS"},
                    environment=ENV, serviceRole=ROLE)
        cb.create_project(name="p1", **base)
        assert error_of(cb.create_project, name="p2", **base) == ("AccessDeniedException", 400)
        assert json.loads(raw_cb.bodies["CreateProject"]) == {"__type": "AccessDeniedException", "message": "injected failure"}
        cb.create_project(name="p3", **base)
        assert cb.batch_get_projects(names=["p1", "p2", "p3"])["projectsNotFound"] == ["p2"]  # never reached moto

        iam = c["iam"]
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
        r = failure(iam.get_role, RoleName="r")
        assert (r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]) == (
            "AccessDeniedException", "injected failure", 400), r
        assert iam.get_role(RoleName="r")["Role"]["RoleName"] == "r"
        iam.list_roles()

        for _ in range(3):
            assert error_of(c["sts"].get_caller_identity) == ("ExpiredToken", 400)
        for _ in range(2):
            assert error_of(c["kms"].list_keys) == ("AccessDeniedException", 400)

        s3 = c["s3"]
        s3.create_bucket(Bucket="bkt")
        s3.put_object(Bucket="bkt", Key="a/1", Body=b"1")
        assert error_of(s3.put_object, Bucket="bkt", Key="a/2", Body=b"2") == ("AccessDenied", 400)
        s3.put_object(Bucket="bkt", Key="a/3", Body=b"3")
        assert error_of(s3.list_objects, Bucket="bkt") == ("NoSuchBucket", 400)
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="bkt")["Contents"]] == ["a/1", "a/3"]
        assert [o["Key"] for o in s3.list_objects(Bucket="bkt")["Contents"]] == ["a/1", "a/3"]
        assert s3.get_object(Bucket="bkt", Key="a/1")["Body"].read() == b"1"

        ecr = c["ecr"]
        ecr.create_repository(repositoryName="f/1")
        assert error_of(ecr.create_repository, repositoryName="f/2") == ("LimitExceededException", 400)
        ecr.create_repository(repositoryName="f/3")
        assert [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]] == ["f/1", "f/3"]


@fault_check
def fault_fail_names_codeconnections_operations(start):
    specs = "CodeConnections.GetConnection:2,codestar-connections.ListConnections:*=ThrottlingException,CodeConnections.DeleteConnection"
    with start(CBCTL_EMU_FAIL=specs) as (c, url):
        cc, cb, cs = c["codeconnections"], c["codeconnections_cbor"], c["codestar-connections"]
        raw_cc, raw_cb = Raw(cc), Raw(cb)
        arn = cc.create_connection(ProviderType="GitHub", ConnectionName="f")["ConnectionArn"]
        cc.get_connection(ConnectionArn=arn)  # 1st GetConnection
        assert error_of(cb.get_connection, ConnectionArn=arn) == ("AccessDeniedException", 400)  # 2nd, over CBOR
        response = raw_cb.responses["GetConnection"]
        assert (response.headers["Content-Type"], response.headers["smithy-protocol"]) == ("application/cbor", "rpc-v2-cbor")
        assert cbor_decode(raw_cb.content["GetConnection"]) == {"__type": "AccessDeniedException", "message": "injected failure"}
        assert cc.get_connection(ConnectionArn=arn)["Connection"]["ConnectionArn"] == arn  # 3rd
        assert cs.get_connection(ConnectionArn=arn)["Connection"]["ConnectionArn"] == arn  # the other API: not counted
        for _ in range(2):
            assert error_of(cs.list_connections) == ("ThrottlingException", 400)
        assert [x["ConnectionArn"] for x in cc.list_connections()["Connections"]] == [arn]
        assert error_of(cc.delete_connection, ConnectionArn=arn) == ("AccessDeniedException", 400)
        assert json.loads(raw_cc.bodies["DeleteConnection"]) == {"__type": "AccessDeniedException", "message": "injected failure"}
        assert raw_cc.responses["DeleteConnection"].headers["Content-Type"] == "application/x-amz-json-1.0"
        cc.delete_connection(ConnectionArn=arn)  # 2nd DeleteConnection reaches the emulator
        assert error_of(cc.get_connection, ConnectionArn=arn) == ("ResourceNotFoundException", 400)


@fault_check
def fault_fail_names_sns_and_codestar_notifications_operations(start):
    # SNS (awsQuery) and CodeStar Notifications (restJson, by its service or
    # signing name) take CBCTL_EMU_FAIL like the others; CBCTL_EMU_SLR_DELAY_SECONDS=0:
    # only the rule that creates the service-linked role fails.
    specs = ("SNS.CreateTopic:2=AuthorizationError,CodeStarNotifications.ListEventTypes:*=ThrottlingException,"
             "codestar-notifications.UntagResource")
    with start(CBCTL_EMU_FAIL=specs, CBCTL_EMU_SLR_DELAY_SECONDS="0") as (c, url):
        sns, cs, raw_sns, raw_cs = c["sns"], c["codestar-notifications"], Raw(c["sns"]), Raw(c["codestar-notifications"])
        topic = sns.create_topic(Name="f1")["TopicArn"]
        r = failure(sns.create_topic, Name="f2")
        assert (r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]) == ("AuthorizationError", "injected failure", 400)
        assert '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>AuthorizationError</Code>' \
            in raw_sns.bodies["CreateTopic"], raw_sns.bodies
        sns.create_topic(Name="f3")
        assert [t["TopicArn"].rsplit(":", 1)[1] for t in sns.list_topics()["Topics"]] == ["f1", "f3"]
        for _ in range(2):
            assert error_of(cs.list_event_types) == ("ThrottlingException", 400)
        assert raw_cs.responses["ListEventTypes"].headers["x-amzn-ErrorType"] == "ThrottlingException"
        c["codebuild"].create_project(name="ff", source={"type": "NO_SOURCE", "buildspec": "x"}, artifacts={"type": "NO_ARTIFACTS"},
                                      environment=ENV, serviceRole=ROLE)
        rule = dict(Name="f", Resource=f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/ff", DetailType="BASIC",
                    EventTypeIds=["codebuild-project-build-state-failed"], Targets=[{"TargetType": "SNS", "TargetAddress": topic}])
        assert error_of(cs.create_notification_rule, **rule) == ("ConfigurationException", 400)  # creates the role
        arn = cs.create_notification_rule(**rule)["Arn"]  # no propagation delay
        cs.tag_resource(Arn=arn, Tags={"a": "1"})
        assert error_of(cs.untag_resource, Arn=arn, TagKeys=["a"]) == ("AccessDeniedException", 400)  # the 1st UntagResource
        cs.untag_resource(Arn=arn, TagKeys=["a"])
        assert cs.list_tags_for_resource(Arn=arn)["Tags"] == {}


@fault_check
def fault_latency_delays_every_request_side_by_side(start):
    latency = 0.2
    with start(CBCTL_EMU_LATENCY_MS=str(int(latency * 1000))) as (c, url):
        sts = c["sts"]
        began = time.monotonic()
        sts.get_caller_identity()
        assert time.monotonic() - began >= latency
        began = time.monotonic()
        assert moto_api(url, "/moto-api/data.json") == 200  # never delayed
        assert time.monotonic() - began < latency
        began = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            accounts = list(pool.map(lambda _: sts.get_caller_identity()["Account"], range(8)))
        elapsed = time.monotonic() - began
        assert accounts == [ACCOUNT] * 8 and latency <= elapsed < 3 * latency, elapsed  # one after another: 8x


@fault_check
def fault_tagging_lag_hides_recent_tag_changes(start):
    lag = 1.5
    env = dict(CBCTL_EMU_TAGGING_LAG_SECONDS=str(lag), CBCTL_EMU_FAIL="Tagging.GetResources:1=ThrottlingException")
    with start(**env) as (c, url):
        t, ssm = c["resourcegroupstaggingapi"], c["ssm"]
        assert error_of(t.get_resources, ResourceARNList=["arn:aws:ssm:us-east-1:123456789012:parameter/x"]) == ("ThrottlingException", 400)
        arn = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/lag/p"
        ecr, repos = c["ecr"], [f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/lag/{r}" for r in ("a", "b")]
        sns, cs = c["sns"], c["codestar-notifications"]
        c["iam"].create_service_linked_role(AWSServiceName="codestar-notifications.amazonaws.com")
        rule = dict(Name="lag", Resource=notified_project(c, "lag"), DetailType="BASIC", Targets=[],
                    EventTypeIds=["codebuild-project-build-state-failed"])

        def wait_out_lag(first, last):  # the changes were hidden in time; now let the index catch up
            assert time.monotonic() - first < lag, "too slow to observe the lag"
            time.sleep(max(0.0, last + lag + 0.1 - time.monotonic()))

        first = time.monotonic()
        ssm.put_parameter(Name="/lag/p", Value="v", Type="String", Tags=[{"Key": "k", "Value": "1"}])
        for name in ("lag/a", "lag/b"):  # ECR repositories created with tags
            ecr.create_repository(repositoryName=name, tags=[{"Key": "k", "Value": "1"}])
        topic = sns.create_topic(Name="lag", Tags=[{"Key": "k", "Value": "1"}])["TopicArn"]  # SNS topic created with tags
        notice = cs.create_notification_rule(**rule, Tags={"k": "1"})["Arn"]  # notification rule created with tags
        last = time.monotonic()
        everything = [arn, *repos, topic, notice]
        assert tagged(t, everything) == {} and t.get_resources()["ResourceTagMappingList"] == []
        assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/lag/p")["TagList"] == [{"Key": "k", "Value": "1"}]
        wait_out_lag(first, last)
        assert tagged(t, everything) == {arn: {"k": "1"}, repos[0]: {"k": "1"}, repos[1]: {"k": "1"}, topic: {"k": "1"},
                                         notice: {"k": "1"}}
        first = time.monotonic()
        ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId="/lag/p", TagKeys=["k"])
        ecr.tag_resource(resourceArn=repos[0], tags=[{"Key": "k2", "Value": "2"}])  # ECR TagResource
        ecr.untag_resource(resourceArn=repos[1], tagKeys=["k"])  # ECR UntagResource
        sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "k2", "Value": "2"}])
        cs.untag_resource(Arn=notice, TagKeys=["k"])
        last = time.monotonic()
        assert tagged(t, everything) == {}
        wait_out_lag(first, last)
        assert tagged(t, everything) == {arn: {}, repos[0]: {"k": "1", "k2": "2"}, repos[1]: {}, topic: {"k": "1", "k2": "2"},
                                         notice: {}}


@fault_check
def fault_bad_settings_refuse_to_start(start):
    for name, value, message in (
        ("CBCTL_EMU_LATENCY_MS", "-1", "CBCTL_EMU_LATENCY_MS='-1': expected an integer number of milliseconds >= 0"),
        ("CBCTL_EMU_LATENCY_MS", "1.5", "CBCTL_EMU_LATENCY_MS='1.5': expected an integer number of milliseconds >= 0"),
        ("CBCTL_EMU_LATENCY_MS", "fast", "expected an integer number of milliseconds >= 0"),
        ("CBCTL_EMU_TAGGING_LAG_SECONDS", "-0.5", "CBCTL_EMU_TAGGING_LAG_SECONDS='-0.5': expected a number of seconds >= 0"),
        ("CBCTL_EMU_THROTTLE_RATE", "1.5", "CBCTL_EMU_THROTTLE_RATE='1.5': expected a number from 0 to 1"),
        ("CBCTL_EMU_5XX_RATE", "nan", "CBCTL_EMU_5XX_RATE='nan': expected a number from 0 to 1"),
        ("CBCTL_EMU_SEED", "1.0", "CBCTL_EMU_SEED='1.0': expected an integer"),
        ("CBCTL_EMU_ROLE_DELAY_SECONDS", "-1", "expected a number of seconds >= 0"),
        ("CBCTL_EMU_SLR_DELAY_SECONDS", "soon", "CBCTL_EMU_SLR_DELAY_SECONDS='soon': expected a number of seconds >= 0"),
        ("CBCTL_EMU_PHASE_SECONDS", "-1", "CBCTL_EMU_PHASE_SECONDS='-1': expected a number of seconds >= 0"),
        ("CBCTL_EMU_FAIL", "SNS.Publishes", "SNS has no operation 'Publishes'"),
        ("CBCTL_EMU_FAIL", "CodeBuild.CreateProjects", "CodeBuild has no operation 'CreateProjects'"),
        ("CBCTL_EMU_FAIL", "Lambda.Invoke", "unknown service 'Lambda'"),
        ("CBCTL_EMU_FAIL", "CodeConnections.GetConnections", "CodeConnections has no operation 'GetConnections'"),
        ("CBCTL_EMU_FAIL", "IAM.GetRole:0", "N counts from 1"),
    ):
        r = subprocess.run([sys.executable, os.path.join(HERE, "launcher.py"), "--port", "0"], env={**clean_env(), name: value},
                           capture_output=True, text=True, timeout=60)
        assert r.returncode != 0 and r.stdout == "" and message in r.stderr, (name, value, r)


# --------------------------------------------------------- strict emulator --
# launcher.py holds every request against botocore's model of its operation
# (StrictRequests). These clients skip boto3's own client-side validation, so
# that bad requests reach the emulator; each rule family is shown refusing a
# bad request (code, HTTP 400, message naming member and rule) and passing a
# good one.
def unvalidated(c, service):
    return boto3.client(service, config=Config(parameter_validation=False, retries={"max_attempts": 1}),
                        **client_kwargs(c["url"]))


def refusal(call, **kwargs):
    """(code, HTTP status, message) of the ClientError call(**kwargs) must raise."""
    try:
        call(**kwargs)
    except ClientError as e:
        error = e.response["Error"]
        return error["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], error.get("Message", "")
    raise AssertionError(f"{call.__name__} unexpectedly succeeded")


def strict_project(name, **overrides):
    return {"name": name, "source": {"type": "NO_SOURCE", "buildspec": "version: 0.2"},
            "artifacts": {"type": "NO_ARTIFACTS"}, "environment": ENV, "serviceRole": ROLE, **overrides}


def expect_validation(got, member, rule, code="ValidationException"):
    assert got[:2] == (code, 400), got
    assert f"at '{member}' failed to satisfy constraint: {rule}" in got[2], got
    assert got[2].startswith("1 validation error detected: "), got


@check
def strict_required_member(c):
    cb = unvalidated(c, "codebuild")
    bad = strict_project("strict-req")
    del bad["environment"]
    expect_validation(refusal(cb.create_project, **bad), "environment", "Member must not be null")
    assert "Value null at 'environment'" in refusal(cb.create_project, **bad)[2]
    cb.create_project(**strict_project("strict-req"))


@check
def strict_member_type(c):
    cb = unvalidated(c, "codebuild")
    got = refusal(cb.create_project, **strict_project("strict-type", timeoutInMinutes="60"))
    assert got[:2] == ("SerializationException", 400), got
    assert "Value '60' at 'timeoutInMinutes' failed to satisfy constraint: Member must be of type integer" in got[2], got
    assert cb.create_project(**strict_project("strict-type", timeoutInMinutes=60))["project"]["timeoutInMinutes"] == 60


@check
def strict_string_min_length(c):
    ssm = unvalidated(c, "ssm")
    expect_validation(refusal(ssm.get_parameter, Name=""), "name", "Member must have length greater than or equal to 1")
    assert error_of(ssm.get_parameter, Name="/strict/absent") == ("ParameterNotFound", 400)


@check
def strict_string_max_length(c):
    cc = unvalidated(c, "codecommit")
    expect_validation(refusal(cc.create_repository, repositoryName="r" * 101), "repositoryName",
                      "Member must have length less than or equal to 100")
    cc.create_repository(repositoryName="r" * 100)


@check
def strict_number_range(c):
    cb = unvalidated(c, "codebuild")
    expect_validation(refusal(cb.create_project, **strict_project("strict-range", timeoutInMinutes=4)),
                      "timeoutInMinutes", "Member must have value greater than or equal to 5")
    expect_validation(refusal(cb.create_project, **strict_project("strict-range", timeoutInMinutes=2161)),
                      "timeoutInMinutes", "Member must have value less than or equal to 2160")
    assert cb.create_project(**strict_project("strict-range", timeoutInMinutes=5))["project"]["timeoutInMinutes"] == 5


@check
def strict_list_size(c):
    cb = unvalidated(c, "codebuild")
    expect_validation(refusal(cb.batch_get_projects, names=[]), "names", "Member must have length greater than or equal to 1")
    names = [f"strict-{i}" for i in range(101)]
    expect_validation(refusal(cb.batch_get_projects, names=names), "names", "Member must have length less than or equal to 100")
    assert len(cb.batch_get_projects(names=names[:100])["projectsNotFound"]) == 100


@check
def strict_enum_value(c):
    cb = unvalidated(c, "codebuild")
    got = refusal(cb.create_project, **strict_project("strict-enum", environment={**ENV, "type": "LINUX_BOX"}))
    expect_validation(got, "environment.type", "Member must satisfy enum value set: [WINDOWS_CONTAINER, LINUX_CONTAINER")
    assert "Value 'LINUX_BOX'" in got[2], got
    cb.create_project(**strict_project("strict-enum", environment={**ENV, "type": "ARM_CONTAINER",
                                                                  "image": "aws/codebuild/amazonlinux-aarch64-standard:3.0"}))


@check
def strict_pattern_and_several_errors(c):
    cb = unvalidated(c, "codebuild")
    expect_validation(refusal(cb.create_project, **strict_project("-strict")), "name",
                      r"Member must satisfy regular expression pattern: [A-Za-z0-9][A-Za-z0-9\-_]{1,149}")
    got = refusal(cb.create_project, **strict_project("-strict", timeoutInMinutes=1))
    assert got[2].startswith("2 validation errors detected: Value '-strict' at 'name'") and "; Value '1' at 'timeoutInMinutes'" in got[2], got
    cb.create_project(**strict_project("strict-pattern_1"))


@check
def strict_nested_list_member_and_map_value(c):
    cc = unvalidated(c, "codecommit")
    got = refusal(cc.create_repository, repositoryName="strict-map", tags={"team": "v" * 257})
    assert got[:2] == ("ValidationException", 400), got
    assert "Value at 'tags' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 256]" in got[2], got
    cc.create_repository(repositoryName="strict-map", tags={"team": "v" * 256})
    ssm = unvalidated(c, "ssm")
    got = refusal(ssm.put_parameter, Name="/strict/p", Value="v", Type="String", Tags=[{"Key": "k"}])
    expect_validation(got, "tags.1.member.value", "Member must not be null")


@check
def strict_rpcv2_cbor_request(c):
    cbor = cbor_client("codeconnections", config=Config(parameter_validation=False), **client_kwargs(c["url"]))
    got = refusal(cbor.create_connection, ProviderType="GitHub", ConnectionName="c" * 33)
    expect_validation(got, "connectionName", "Member must have length less than or equal to 32")
    got = refusal(cbor.create_connection, ProviderType="SourceForge", ConnectionName="strict")
    expect_validation(got, "providerType", "Member must satisfy enum value set: [")
    cbor.create_connection(ProviderType="GitHub", ConnectionName="c" * 32)


@check
def strict_query_service_iam(c):
    iam = unvalidated(c, "iam")
    got = refusal(iam.create_role, RoleName="strict role", AssumeRolePolicyDocument=TRUST)
    expect_validation(got, "roleName", r"Member must satisfy regular expression pattern: [\w+=,.@-]+", "ValidationError")
    got = refusal(iam.create_role, RoleName="strict-tags", AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "k" * 129, "Value": "v"}])
    expect_validation(got, "tags.1.member.key", "Member must have length less than or equal to 128", "ValidationError")
    got = refusal(iam.create_role, RoleName="strict-tags", AssumeRolePolicyDocument=TRUST, MaxSessionDuration=60)
    expect_validation(got, "maxSessionDuration", "Member must have value greater than or equal to 3600", "ValidationError")
    iam.create_role(RoleName="strict-tags", AssumeRolePolicyDocument=TRUST, MaxSessionDuration=3600,
                    Tags=[{"Key": "k" * 128, "Value": "v"}])


@check
def strict_ecr_requests(c):
    ecr = unvalidated(c, "ecr")
    expect_validation(refusal(ecr.create_repository, repositoryName="Strict_Repo"), "repositoryName",
                      "Member must satisfy regular expression pattern: [a-z0-9]+")
    expect_validation(refusal(ecr.create_repository, repositoryName="strict/repo", encryptionConfiguration={"kmsKey": "k"}),
                      "encryptionConfiguration.encryptionType", "Member must not be null")
    expect_validation(refusal(ecr.create_repository, repositoryName="strict/repo", imageTagMutability="FROZEN"),
                      "imageTagMutability", "Member must satisfy enum value set: [MUTABLE, IMMUTABLE")
    expect_validation(refusal(ecr.describe_repositories, maxResults=1001), "maxResults", "Member must have value less than or equal to 1000")
    expect_validation(refusal(ecr.put_lifecycle_policy, repositoryName="strict/repo", lifecyclePolicyText='{"rules": []}'),
                      "lifecyclePolicyText", "Member must have length greater than or equal to 100")
    ecr.create_repository(repositoryName="strict/repo", imageTagMutability="IMMUTABLE")
    assert ecr.describe_repositories(maxResults=1000)["repositories"]


@check
def strict_s3_bucket_names(c):
    s3 = unvalidated(c, "s3")
    for bad in ("Strict_Bucket", "ab", "b" * 64, "strict..bucket", "192.168.5.4", "xn--strict", "sthree-strict",
                "amzn-s3-demo-strict", "strict-s3alias", "strict--ol-s3", "-strict"):  # boto3 sends *--x-s3 elsewhere (S3 Express)
        assert refusal(s3.create_bucket, Bucket=bad)[:2] == ("InvalidBucketName", 400), bad
    s3.create_bucket(Bucket="strict.bucket-1")


@check
def strict_s3_xml_bodies(c):
    s3 = unvalidated(c, "s3")
    s3.create_bucket(Bucket="strict-xml")
    assert refusal(s3.put_bucket_versioning, Bucket="strict-xml", VersioningConfiguration={"Status": "On"})[:2] == ("MalformedXML", 400)
    bad_sse = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "DES"}}]}
    assert refusal(s3.put_bucket_encryption, Bucket="strict-xml", ServerSideEncryptionConfiguration=bad_sse)[:2] == ("MalformedXML", 400)
    got = refusal(s3.put_bucket_tagging, Bucket="strict-xml", Tagging={"TagSet": [{"Key": "k" * 129, "Value": "v"}]})
    assert got == ("InvalidTag", 400, "The TagKey you have provided is too long, max 128"), got
    got = refusal(s3.put_bucket_tagging, Bucket="strict-xml", Tagging={"TagSet": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]})
    assert got[:2] == ("InvalidTag", 400), got
    s3.put_bucket_versioning(Bucket="strict-xml", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket="strict-xml", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    s3.put_bucket_tagging(Bucket="strict-xml", Tagging={"TagSet": [{"Key": "k" * 128, "Value": "v" * 256}]})
    s3.put_public_access_block(Bucket="strict-xml", PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    assert s3.get_bucket_versioning(Bucket="strict-xml")["Status"] == "Enabled"


# -------------------------------------------------------- documented rules --
# Rules AWS documents that botocore's models do not carry (DocumentedRules in
# launcher.py): each refuses a bad request with AWS's code and a message
# naming the rule, and passes a good one.
def documented(got, code, *phrases):
    assert got[:2] == (code, 400), got
    for phrase in phrases:
        assert phrase in got[2], (phrase, got)


@check
def documented_ssm_parameter_name_counts_its_arn_prefix(c):
    ssm = unvalidated(c, "ssm")
    prefix = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/"  # 45 characters
    fits = "/" + "n" * (1011 - len(prefix))
    got = refusal(ssm.put_parameter, Name=fits + "n", Value="v", Type="String")  # 967 characters: the model allows 2048
    documented(got, "ValidationException", "limit of 1011", prefix, "1012 characters", "at most 966 characters")
    documented(refusal(ssm.get_parameter, Name=fits + "n"), "ValidationException", "limit of 1011")
    ssm.put_parameter(Name=fits, Value="v", Type="String")
    assert ssm.get_parameter(Name=fits)["Parameter"]["Name"] == fits
    got = refusal(ssm.put_parameter, Name=fits[1:] + "n", Value="v", Type="String")  # no leading slash: the same ARN
    documented(got, "ValidationException", "1012 characters")


@check
def documented_codebuild_compute_type_fits_environment_type(c):
    cb = unvalidated(c, "codebuild")
    got = refusal(cb.create_project, **strict_project("doc-gpu", environment={**ENV, "type": "LINUX_GPU_CONTAINER",
                                                                             "computeType": "BUILD_GENERAL1_MEDIUM"}))
    documented(got, "InvalidInputException", "BUILD_GENERAL1_MEDIUM is not offered with environment type LINUX_GPU_CONTAINER",
               "BUILD_GENERAL1_SMALL, BUILD_GENERAL1_LARGE")
    windows = {**ENV, "type": "WINDOWS_SERVER_2019_CONTAINER", "image": "aws/codebuild/windows-base:2019-3.0"}
    documented(refusal(cb.create_project, **strict_project("doc-win", environment=windows)), "InvalidInputException",
               "BUILD_GENERAL1_SMALL is not offered with environment type WINDOWS_SERVER_2019_CONTAINER")
    win2022 = {**windows, "type": "WINDOWS_SERVER_2022_CONTAINER", "image": "aws/codebuild/windows-base:2022-1.0",
               "computeType": "BUILD_GENERAL1_MEDIUM"}
    documented(refusal(cb.create_project, **strict_project("doc-win", environment=win2022)), "InvalidInputException",
               "WINDOWS_SERVER_2022_CONTAINER runs only on a reserved-capacity fleet")
    cb.create_project(**strict_project("doc-win", environment={**windows, "computeType": "BUILD_GENERAL1_MEDIUM"}))
    cb.create_project(**strict_project("doc-gpu", environment={**ENV, "type": "LINUX_GPU_CONTAINER", "computeType": "BUILD_GENERAL1_LARGE"}))
    got = refusal(cb.update_project, name="doc-gpu", environment={**ENV, "type": "LINUX_GPU_CONTAINER", "computeType": "BUILD_GENERAL1_2XLARGE"})
    documented(got, "InvalidInputException", "BUILD_GENERAL1_2XLARGE is not offered")


LAMBDA_ENV = {"type": "LINUX_LAMBDA_CONTAINER", "image": "aws/codebuild/amazonlinux-x86_64-lambda-standard:python3.12",
              "computeType": "BUILD_LAMBDA_1GB"}


@check
def documented_codebuild_lambda_is_unprivileged_and_short(c):
    cb = unvalidated(c, "codebuild")
    got = refusal(cb.create_project, **strict_project("doc-fn", environment={**LAMBDA_ENV, "privilegedMode": True}, timeoutInMinutes=15))
    documented(got, "InvalidInputException", "privilegedMode is not supported with Lambda compute (LINUX_LAMBDA_CONTAINER)")
    got = refusal(cb.create_project, **strict_project("doc-fn", environment=LAMBDA_ENV, timeoutInMinutes=16))
    documented(got, "InvalidInputException", "Invalid timeoutInMinutes 16", "at most 15 minutes")
    got = refusal(cb.create_project, **strict_project("doc-fn", environment={**LAMBDA_ENV, "computeType": "BUILD_GENERAL1_SMALL"}, timeoutInMinutes=15))
    documented(got, "InvalidInputException", "BUILD_GENERAL1_SMALL is not offered with environment type LINUX_LAMBDA_CONTAINER")
    assert cb.create_project(**strict_project("doc-fn", environment=LAMBDA_ENV, timeoutInMinutes=15))["project"]["timeoutInMinutes"] == 15
    got = refusal(cb.update_project, name="doc-fn", environment=LAMBDA_ENV, timeoutInMinutes=60)
    documented(got, "InvalidInputException", "Invalid timeoutInMinutes 60")
    got = refusal(cb.update_project, name="doc-fn", environment=LAMBDA_ENV, timeoutInMinutes=15, queuedTimeoutInMinutes=30)
    documented(got, "InvalidInputException", "Cannot specify queuedTimeoutInMinutes for lambda compute")


@check
def documented_codebuild_image_fits_arm_and_lambda(c):
    cb = unvalidated(c, "codebuild")
    for kind, compute, good in (("ARM_CONTAINER", "BUILD_GENERAL1_SMALL", "aws/codebuild/amazonlinux-aarch64-standard:3.0"),
                                ("LINUX_LAMBDA_CONTAINER", "BUILD_LAMBDA_2GB", "aws/codebuild/amazonlinux-x86_64-lambda-standard:nodejs20"),
                                ("ARM_LAMBDA_CONTAINER", "BUILD_LAMBDA_2GB", "aws/codebuild/amazonlinux-aarch64-lambda-standard:python3.12")):
        env = {"type": kind, "computeType": compute, "image": "aws/codebuild/standard:7.0"}
        got = refusal(cb.create_project, **strict_project(f"doc-img-{kind}", environment=env, timeoutInMinutes=15))
        documented(got, "InvalidInputException", "image aws/codebuild/standard:7.0 is a x86_64 EC2 image", f"environment type {kind} needs")
        cb.create_project(**strict_project(f"doc-img-{kind}", environment={**env, "image": good}, timeoutInMinutes=15))
    got = refusal(cb.create_project, **strict_project("doc-img-x", environment={
        "type": "ARM_LAMBDA_CONTAINER", "computeType": "BUILD_LAMBDA_1GB", "image": "aws/codebuild/amazonlinux-x86_64-lambda-standard:go1.21"}, timeoutInMinutes=15))
    documented(got, "InvalidInputException", "is a x86_64 Lambda image", "needs a ARM Lambda image")
    custom = {"type": "ARM_CONTAINER", "computeType": "BUILD_GENERAL1_SMALL", "image": "public.ecr.aws/docker/library/alpine:3"}
    cb.create_project(**strict_project("doc-img-custom", environment=custom))  # custom images are not judged


@check
def documented_codebuild_image_pull_credentials(c):
    cb = unvalidated(c, "codebuild")
    curated_service_role = {**ENV, "imagePullCredentialsType": "SERVICE_ROLE"}  # ENV: aws/codebuild/standard:7.0
    curated_message = "Invalid input: cannot use a CodeBuild curated image with imagePullCredentialsType SERVICE_ROLE"
    got = refusal(cb.create_project, **strict_project("doc-pull", environment=curated_service_role))
    assert got == ("InvalidInputException", 400, curated_message), got
    shared = {**ENV, "image": "999999999999.dkr.ecr.us-east-1.amazonaws.com/shared/build:1"}  # another account's ECR
    for env in (shared, {**shared, "imagePullCredentialsType": "CODEBUILD"}):  # absent means CODEBUILD
        got = refusal(cb.create_project, **strict_project("doc-pull", environment=env))
        assert got == ("InvalidInputException", 400, "Invalid input: cannot use a cross-account ECR image with imagePullCredentialsType CODEBUILD"), got
    private = {**ENV, "image": "registry.example.com/team/build:1", "registryCredential": REGISTRY_CREDENTIAL}
    documented(refusal(cb.create_project, **strict_project("doc-pull", environment=private)), "InvalidInputException",
               "registryCredential needs imagePullCredentialsType SERVICE_ROLE, not CODEBUILD")
    ecr_with_credential = {**shared, "imagePullCredentialsType": "SERVICE_ROLE", "registryCredential": REGISTRY_CREDENTIAL}
    documented(refusal(cb.create_project, **strict_project("doc-pull", environment=ecr_with_credential)), "InvalidInputException",
               "registryCredential cannot be used with an Amazon ECR image")
    cb.create_project(**strict_project("doc-pull", environment={**ENV, "imagePullCredentialsType": "CODEBUILD"}))
    got = refusal(cb.update_project, name="doc-pull", environment=curated_service_role)
    assert got == ("InvalidInputException", 400, curated_message), got
    cb.update_project(name="doc-pull", environment={**shared, "imagePullCredentialsType": "SERVICE_ROLE"})
    cb.update_project(name="doc-pull", environment={**private, "imagePullCredentialsType": "SERVICE_ROLE"})
    own = {**ENV, "image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/own/build:1"}  # same account: CODEBUILD may pull
    cb.update_project(name="doc-pull", environment=own)


@check
def documented_codebuild_cache_rules(c):
    cb = unvalidated(c, "codebuild")
    for cache, phrase in (({"type": "S3"}, "cache type S3 needs a location"),
                          ({"type": "LOCAL"}, "cache type LOCAL needs at least one mode"),
                          ({"type": "NO_CACHE", "modes": ["LOCAL_SOURCE_CACHE"]}, "modes are only for cache type LOCAL, not NO_CACHE")):
        documented(refusal(cb.create_project, **strict_project("doc-cache", cache=cache)), "InvalidInputException", phrase)
    expect_validation(refusal(cb.create_project, **strict_project("doc-cache", cache={"type": "LOCAL", "modes": ["LOCAL_EVERYTHING"]})),
                      "cache.modes.1.member", "Member must satisfy enum value set")  # the model's
    cb.create_project(**strict_project("doc-cache", cache={"type": "LOCAL", "modes": ["LOCAL_CUSTOM_CACHE"]}))
    documented(refusal(cb.update_project, name="doc-cache", cache={"type": "S3", "location": ""}), "InvalidInputException",
               "needs a location")
    cb.update_project(name="doc-cache", cache={"type": "S3", "location": "cache-bucket"})


@check
def documented_codebuild_logs_rules(c):
    cb = unvalidated(c, "codebuild")
    on = {"status": "ENABLED"}
    documented(refusal(cb.create_project, **strict_project("doc-logs", logsConfig={"s3Logs": on})), "InvalidInputException",
               "s3Logs with status ENABLED needs a location")
    documented(refusal(cb.create_project, **strict_project("doc-logs", logsConfig={"s3Logs": {**on, "location": "just-a-bucket"}})),
               "InvalidInputException", "must be bucket/prefix")
    expect_validation(refusal(cb.create_project, **strict_project("doc-logs", logsConfig={"s3Logs": {"location": "b/p"}})),
                      "logsConfig.s3Logs.status", "Member must not be null")  # the model's
    for location in ("log-bucket/builds", "arn:aws:s3:::log-bucket/builds/deep"):
        cb.create_project(**strict_project(f"doc-logs-{len(location)}", logsConfig={"s3Logs": {**on, "location": location}}))
    cb.create_project(**strict_project("doc-logs", logsConfig={"cloudWatchLogs": {"status": "DISABLED", "groupName": "g"}}))


@check
def documented_codebuild_vpc_rules(c):
    cb = unvalidated(c, "codebuild")
    vpc, subnets, groups = make_vpc(c["ec2"], "10.1.0.0/16")
    other, other_subnets, other_groups = make_vpc(c["ec2"], "10.2.0.0/16")
    good = {"vpcId": vpc, "subnets": subnets, "securityGroupIds": groups}
    for missing in ("vpcId", "subnets", "securityGroupIds"):
        bad = {k: v for k, v in good.items() if k != missing}
        documented(refusal(cb.create_project, **strict_project("doc-vpc", vpcConfig=bad)), "InvalidInputException",
                   f"{missing} missing", "go together")
    expect_validation(refusal(cb.create_project, **strict_project("doc-vpc", vpcConfig={**good, "subnets": subnets * 9})),
                      "vpcConfig.subnets", "Member must have length less than or equal to 16")
    expect_validation(refusal(cb.create_project, **strict_project("doc-vpc", vpcConfig={**good, "securityGroupIds": groups * 6})),
                      "vpcConfig.securityGroupIds", "Member must have length less than or equal to 5")
    for bad, phrase in (({**good, "vpcId": "vpc-0000000000000000f"}, "VPC vpc-0000000000000000f does not exist"),
                        ({**good, "subnets": ["subnet-0000000000000000f"]}, "subnet subnet-0000000000000000f does not exist"),
                        ({**good, "securityGroupIds": ["sg-0000000000000000f"]}, "security group sg-0000000000000000f does not exist"),
                        ({**good, "subnets": [subnets[0], other_subnets[0]]}, f"subnet {other_subnets[0]} belongs to {other}"),
                        ({**good, "securityGroupIds": other_groups}, f"security group {other_groups[0]} belongs to {other}")):
        documented(refusal(cb.create_project, **strict_project("doc-vpc", vpcConfig=bad)), "InvalidInputException", phrase)
    assert cb.create_project(**strict_project("doc-vpc", vpcConfig=good))["project"]["vpcConfig"] == good
    documented(refusal(cb.update_project, name="doc-vpc", vpcConfig={**good, "vpcId": other}), "InvalidInputException",
               f"belongs to {vpc}, not to VPC {other}")
    moved = {"vpcId": other, "subnets": other_subnets, "securityGroupIds": other_groups}
    assert cb.update_project(name="doc-vpc", vpcConfig=moved)["project"]["vpcConfig"] == moved


@check
def documented_codebuild_lambda_takes_no_cache_vpc_efs_or_badge(c):
    # "Limitations of AWS Lambda compute": no caching, build badges, VPC
    # connectivity or EFS; judged on the project as it would read back.
    cb = unvalidated(c, "codebuild")
    vpc, subnets, groups = make_vpc(c["ec2"], "10.3.0.0/16")
    lam = dict(environment=LAMBDA_ENV, timeoutInMinutes=15)
    efs = [{"type": "EFS", "location": "fs-1.efs.us-east-1.amazonaws.com:/d", "mountPoint": "/mnt/d", "identifier": "d"}]
    for extra, member in ((dict(cache={"type": "LOCAL", "modes": ["LOCAL_CUSTOM_CACHE"]}), "cache"),
                          (dict(cache={"type": "S3", "location": "cache-bucket"}), "cache"),
                          (dict(vpcConfig={"vpcId": vpc, "subnets": subnets, "securityGroupIds": groups}), "vpcConfig"),
                          (dict(fileSystemLocations=efs), "fileSystemLocations"),
                          (dict(badgeEnabled=True), "badgeEnabled")):
        got = refusal(cb.create_project, **strict_project("doc-fn-limits", **lam, **extra))
        documented(got, "InvalidInputException", f"Cannot specify {member} for lambda compute (LINUX_LAMBDA_CONTAINER)")
    cb.create_project(**strict_project("doc-fn-limits", **lam, cache={"type": "NO_CACHE"}, badgeEnabled=False, vpcConfig={}))
    documented(refusal(cb.update_project, name="doc-fn-limits", cache={"type": "LOCAL", "modes": ["LOCAL_SOURCE_CACHE"]}),
               "InvalidInputException", "Cannot specify cache for lambda compute")  # the stored environment is Lambda
    cb.create_project(**strict_project("doc-ec2-cached", cache={"type": "LOCAL", "modes": ["LOCAL_SOURCE_CACHE"]}))
    documented(refusal(cb.update_project, name="doc-ec2-cached", environment=LAMBDA_ENV), "InvalidInputException",
               "Cannot specify cache for lambda compute")  # the stored cache
    cb.update_project(name="doc-ec2-cached", environment=LAMBDA_ENV, cache={"type": "NO_CACHE"})


GITHUB = {"type": "GITHUB", "location": "https://github.com/o/r.git"}


@check
def documented_codebuild_build_status_and_submodules_by_source_type(c):
    cb = unvalidated(c, "codebuild")
    codecommit = {"type": "CODECOMMIT", "location": "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/r"}
    s3 = {"type": "S3", "location": "bucket/src.zip"}
    for source, member in (({**codecommit, "reportBuildStatus": True}, "ReportBuildStatus"),
                           ({**codecommit, "reportBuildStatus": False}, "ReportBuildStatus"),
                           ({"type": "NO_SOURCE", "buildspec": "x", "reportBuildStatus": True}, "ReportBuildStatus"),
                           ({**codecommit, "buildStatusConfig": {"context": "cbctl"}}, "BuildStatusConfig"),
                           ({**s3, "gitSubmodulesConfig": {"fetchSubmodules": True}}, "GitSubmodulesConfig")):
        got = refusal(cb.create_project, **strict_project("doc-status", source=source))
        assert got == ("InvalidInputException", 400, f"Source type {source['type']} does not support {member}"), got
    secondary = {**s3, "sourceIdentifier": "extra", "reportBuildStatus": True}
    got = refusal(cb.create_project, **strict_project("doc-status", secondarySources=[secondary]))
    assert got[2] == "Source type S3 does not support ReportBuildStatus", got
    for kind in ("GITHUB", "GITHUB_ENTERPRISE", "GITLAB", "GITLAB_SELF_MANAGED", "BITBUCKET"):
        source = {**GITHUB, "type": kind, "reportBuildStatus": True, "buildStatusConfig": {"context": "cbctl", "targetUrl": "https://x"},
                  "gitSubmodulesConfig": {"fetchSubmodules": True}}
        assert cb.create_project(**strict_project(f"doc-status-{kind.lower().replace('_', '-')}", source=source))["project"]["source"] \
            == {**source, "gitCloneDepth": 0}
    cb.create_project(**strict_project("doc-status", source={**codecommit, "gitSubmodulesConfig": {"fetchSubmodules": False}}))
    documented(refusal(cb.update_project, name="doc-status", source={**codecommit, "reportBuildStatus": True}),
               "InvalidInputException", "Source type CODECOMMIT does not support ReportBuildStatus")


@check
def documented_codebuild_secondary_sources_and_artifacts(c):
    cb = unvalidated(c, "codebuild")
    src = lambda ident: {"type": "S3", "location": "bucket/src.zip", "sourceIdentifier": ident}  # noqa: E731
    art = lambda ident: {"type": "S3", "location": "out", "artifactIdentifier": ident}  # noqa: E731
    for sources, phrase in (([{"type": "S3", "location": "bucket/src.zip"}], "every entry of secondarySources needs its sourceIdentifier"),
                            ([src("with-dash")], "sourceIdentifier with-dash must be letters, digits and underscores"),
                            ([src("x" * 128)], "fewer than 128 characters"),
                            ([src("twin"), src("twin")], "sourceIdentifier twin appears twice in secondarySources"),
                            ([{"type": "CODEPIPELINE", "sourceIdentifier": "pipe"}], "sourceType CODEPIPELINE is not allowed for secondarySources"),
                            ([{"type": "GITHUB", "sourceIdentifier": "gh"}], "needs a location")):
        documented(refusal(cb.create_project, **strict_project("doc-2nd", secondarySources=sources)), "InvalidInputException", phrase)
    for artifacts, phrase in (([{"type": "S3", "location": "out"}], "every entry of secondaryArtifacts needs its artifactIdentifier"),
                              ([art("twin"), art("twin")], "artifactIdentifier twin appears twice"),
                              ([{"type": "CODEPIPELINE", "artifactIdentifier": "pipe"}], "artifactType CODEPIPELINE is not allowed for secondaryArtifacts"),
                              ([{"type": "S3", "artifactIdentifier": "nowhere"}], "need a location")):
        documented(refusal(cb.create_project, **strict_project("doc-2nd", secondaryArtifacts=artifacts)), "InvalidInputException", phrase)
    expect_validation(refusal(cb.create_project, **strict_project("doc-2nd", secondarySources=[src(f"s{i}") for i in range(13)])),
                      "secondarySources", "Member must have length less than or equal to 12")  # the model's
    expect_validation(refusal(cb.create_project, **strict_project("doc-2nd", secondaryArtifacts=[art(f"a{i}") for i in range(13)])),
                      "secondaryArtifacts", "Member must have length less than or equal to 12")
    documented(refusal(cb.create_project, **strict_project("doc-2nd", secondarySources=[src("one")],
                                                           secondarySourceVersions=[{"sourceIdentifier": "two", "sourceVersion": "v"}])),
               "InvalidInputException", "secondarySourceVersions names sourceIdentifier two")
    twelve = dict(secondarySources=[src(f"s_{i}") for i in range(12)], secondaryArtifacts=[art(f"a{i}") for i in range(12)],
                  secondarySourceVersions=[{"sourceIdentifier": "s_0", "sourceVersion": "v1"}])
    cb.create_project(**strict_project("doc-2nd", **twelve))
    documented(refusal(cb.update_project, name="doc-2nd", secondarySources=[src("s_1")]), "InvalidInputException",
               "names sourceIdentifier s_0")  # the stored versions still name s_0
    cb.update_project(name="doc-2nd", secondarySources=[src("s_1")], secondarySourceVersions=[])


@check
def documented_codebuild_codepipeline_source_and_artifacts_go_together(c):
    cb = unvalidated(c, "codebuild")
    message = "Invalid input: when using CodePipeline both sourceType, and artifactType must be set to: CODEPIPELINE"
    pipe = {"type": "CODEPIPELINE"}
    assert refusal(cb.create_project, **strict_project("doc-pair", source=pipe)) == ("InvalidInputException", 400, message)
    assert refusal(cb.create_project, **strict_project("doc-pair", artifacts=pipe)) == ("InvalidInputException", 400, message)
    cb.create_project(**strict_project("doc-pair", source=pipe, artifacts=pipe))
    assert refusal(cb.update_project, name="doc-pair", source=GITHUB) == ("InvalidInputException", 400, message)
    assert refusal(cb.update_project, name="doc-pair", artifacts={"type": "NO_ARTIFACTS"}) == ("InvalidInputException", 400, message)
    cb.update_project(name="doc-pair", source=GITHUB, artifacts={"type": "NO_ARTIFACTS"})
    for member, phrase in (("encryptionDisabled", "null encryptionDisabled"), ("name", "null output name"), ("location", "null location")):
        bad = {"type": "NO_ARTIFACTS", member: False if member == "encryptionDisabled" else "x"}
        got = refusal(cb.update_project, name="doc-pair", artifacts=bad)
        assert got == ("InvalidInputException", 400, f"Invalid artifacts: artifact type NO_ARTIFACTS should have {phrase}"), got


def doc_pipeline(name, role, build=None, source=None, approval=None):
    """pipeline_decl with the Build action, Source action or an added
    approval stage replaced/extended by the given fields."""
    decl = pipeline_decl(name, role)
    decl["stages"][0]["actions"][0].update(source or {})
    decl["stages"][1]["actions"][0].update(build or {})
    if approval is not None:
        decl["stages"].append({"name": "Approve", "actions": [action("Approve", "Approval", "Manual", **approval)]})
    return decl


@check
def documented_codepipeline_artifact_counts_per_action_type(c):
    cp = unvalidated(c, "codepipeline")
    role = cp_role(c["iam"], "cp-doc", trust("codepipeline"))
    cases = [
        (dict(build={"inputArtifacts": []}), "Action Build declares 0 input artifacts which is less than the minimum count (1)"),
        (dict(build={"outputArtifacts": [{"name": f"o{i}"} for i in range(6)]}),
         "Action Build declares 6 output artifacts which is more than the maximum count (5)"),
        (dict(source={"inputArtifacts": [{"name": "x"}]}), "Action Src declares 1 input artifacts which is more than the maximum count (0)"),
        (dict(source={"outputArtifacts": []}), "Action Src declares 0 output artifacts which is less than the minimum count (1)"),
        (dict(approval={"inputArtifacts": [{"name": "src"}]}),
         "Action Approve declares 1 input artifacts which is more than the maximum count (0)"),
    ]
    for fields, message in cases:
        got = refusal(cp.create_pipeline, pipeline=doc_pipeline("doc-counts", role, **fields))
        assert got == ("InvalidActionDeclarationException", 400, message), (fields, got)
    outputs = [{"name": f"o{i}"} for i in range(5)]
    cp.create_pipeline(pipeline=doc_pipeline("doc-counts", role, build={"outputArtifacts": outputs}, approval={}))
    got = refusal(cp.update_pipeline, pipeline=doc_pipeline("doc-counts", role, approval={"outputArtifacts": [{"name": "a"}]}))
    assert got == ("InvalidActionDeclarationException", 400, "Action Approve declares 1 output artifacts which is more than the maximum count (0)"), got


@check
def documented_codepipeline_deploy_action_configuration(c):
    cp = unvalidated(c, "codepipeline")
    role = cp_role(c["iam"], "cp-deploy-doc", trust("codepipeline"))

    def with_deploy(deploy, **extra):
        decl = pipeline_decl("doc-deploy", role, **extra)
        decl["stages"].append({"name": "Deploy", "actions": [deploy]})
        return decl

    ecs = lambda config, **kw: action("Ecs", "Deploy", "ECS", configuration=config, inputArtifacts=[{"name": "src"}], **kw)  # noqa: E731
    refused = [
        (with_deploy(ecs({"ClusterName": "c"})), "InvalidActionDeclarationException",
         "Action configuration for action 'Ecs' is missing required configuration 'ServiceName'"),
        (with_deploy(ecs({"ClusterName": "c", "ServiceName": "s", "Cluster": "c"})), "InvalidActionDeclarationException",
         "Action configuration for action 'Ecs' contains unknown configuration 'Cluster'"),
        (with_deploy(action("S3d", "Deploy", "S3", configuration={"BucketName": "b", "Extract": "false"}, inputArtifacts=[{"name": "src"}])),
         "InvalidActionDeclarationException", "Action configuration for action 'S3d' is missing required configuration 'ObjectKey'"),
        (with_deploy(action("Cfn", "Deploy", "CloudFormation", configuration={"ActionMode": "CHANGE_SET_REPLACE", "StackName": "s",
                                                                                "TemplatePath": "src::t.yml"})),
         "InvalidActionDeclarationException", "Action configuration for action 'Cfn' is missing required configuration 'ChangeSetName'"),
        (with_deploy(action("Eb", "Deploy", "ElasticBeanstalk", configuration={"ApplicationName": "a", "EnvironmentName": "e"})),
         "InvalidActionDeclarationException", "Action Eb declares 0 input artifacts which is less than the minimum count (1)"),
        (with_deploy(ecs({"ClusterName": "c", "ServiceName": "s"}, region="eu-west-1")), "InvalidStructureException",
         "Action 'Ecs' is in region eu-west-1, which has no artifact store"),
    ]
    for decl, code, message in refused:
        got = refusal(cp.create_pipeline, pipeline=decl)
        assert got == (code, 400, message), (decl["stages"][-1], got)
    # onFailure on a V1 pipeline, and on the source stage of a V2 one.
    v1 = with_deploy(ecs({"ClusterName": "c", "ServiceName": "s"}))
    v1["stages"][2]["onFailure"] = {"result": "ROLLBACK"}
    assert refusal(cp.create_pipeline, pipeline=v1)[:2] == ("InvalidStructureException", 400)
    v2 = dict(v1, pipelineType="V2")
    v2["stages"][0]["onFailure"] = {"result": "RETRY", "retryConfiguration": {"retryMode": "FAILED_ACTIONS"}}
    assert refusal(cp.create_pipeline, pipeline=v2)[:2] == ("InvalidStructureException", 400)
    # A cross-region source, and artifactStores without the pipeline's region.
    stores = {"eu-west-1": {"type": "S3", "location": "eu-artifacts"}}
    decl = pipeline_decl("doc-deploy", role)
    decl.pop("artifactStore")
    decl["artifactStores"] = dict(stores, **{"us-east-1": {"type": "S3", "location": "cp-artifacts"}})
    decl["stages"][0]["actions"][0]["region"] = "eu-west-1"
    assert refusal(cp.create_pipeline, pipeline=decl)[:2] == ("InvalidActionDeclarationException", 400)
    decl = with_deploy(ecs({"ClusterName": "c", "ServiceName": "s"}, region="eu-west-1"))
    decl.pop("artifactStore")
    decl["artifactStores"] = stores
    assert refusal(cp.create_pipeline, pipeline=decl)[:2] == ("InvalidStructureException", 400)
    # Both stores, every key in place: accepted and read back as declared.
    decl["artifactStores"] = dict(stores, **{"us-east-1": {"type": "S3", "location": "cp-artifacts"}})
    decl["pipelineType"] = "V2"
    decl["stages"][2]["onFailure"] = {"result": "ROLLBACK"}
    c["codepipeline"].create_pipeline(pipeline=decl)
    got = c["codepipeline"].get_pipeline(name="doc-deploy")["pipeline"]
    assert sorted(got["artifactStores"]) == ["eu-west-1", "us-east-1"] and "artifactStore" not in got, got
    assert got["stages"][2]["onFailure"] == {"result": "ROLLBACK"} and got["stages"][2]["actions"][0]["region"] == "eu-west-1", got


@check
def documented_codepipeline_codebuild_environment_variables_are_json(c):
    cp = unvalidated(c, "codepipeline")
    role = cp_role(c["iam"], "cp-doc-env", trust("codepipeline"))
    config = lambda variables: {"configuration": {"ProjectName": "p", "EnvironmentVariables": variables}}  # noqa: E731
    got = refusal(cp.create_pipeline, pipeline=doc_pipeline("doc-env", role, build=config('[{"name":"A","value":"1"')))
    documented(got, "InvalidActionDeclarationException", "Action Build: configuration EnvironmentVariables is not valid JSON")
    got = refusal(cp.create_pipeline, pipeline=doc_pipeline("doc-env", role, build=config('{"name":"A","value":"1"}')))
    documented(got, "InvalidActionDeclarationException", "EnvironmentVariables must be a JSON array")
    cp.create_pipeline(pipeline=doc_pipeline("doc-env", role, build=config('[{"name":"A","value":"1","type":"PLAINTEXT"}]')))


@check
def strict_patterns_all_compile(c):
    sys.path.insert(0, HERE)
    import launcher

    compiled, skipped, operations = launcher.strict_pattern_report()
    print(f"      strict emulator: {operations} operations, {compiled} patterns compiled, {len(skipped)} skipped")
    for pattern in skipped:
        print(f"      skipped pattern: {pattern}")
    assert compiled > 150 and not skipped, (compiled, skipped)


@check
def codepipeline_stage_transitions_are_read_and_set(c):
    cp = c["codepipeline"]
    role = cp_role(c["iam"], "cp-transitions", trust("codepipeline"))
    cp.create_pipeline(pipeline=pipeline_decl("transitions", role))
    stages = cp.get_pipeline_state(name="transitions")["stageStates"]
    assert "inboundTransitionState" not in stages[0], stages[0]
    assert stages[1]["inboundTransitionState"]["enabled"] is True, stages[1]
    cp.disable_stage_transition(pipelineName="transitions", stageName="Build", transitionType="Inbound", reason="Held by a person (freeze)")
    inbound = cp.get_pipeline_state(name="transitions")["stageStates"][1]["inboundTransitionState"]
    assert (inbound["enabled"], inbound["disabledReason"]) == (False, "Held by a person (freeze)"), inbound
    # The state survives an update that keeps the stage's name.
    cp.update_pipeline(pipeline=pipeline_decl("transitions", role))
    assert cp.get_pipeline_state(name="transitions")["stageStates"][1]["inboundTransitionState"]["enabled"] is False
    cp.enable_stage_transition(pipelineName="transitions", stageName="Build", transitionType="Inbound")
    assert cp.get_pipeline_state(name="transitions")["stageStates"][1]["inboundTransitionState"]["enabled"] is True
    got = refusal(cp.disable_stage_transition, pipelineName="transitions", stageName="Nope", transitionType="Inbound", reason="x")
    assert got[:2] == ("StageNotFoundException", 400), got
    got = refusal(cp.get_pipeline_state, name="no-such-pipeline")
    assert got[:2] == ("PipelineNotFoundException", 400), got
    # botocore's pattern for the reason: no commas, colons or underscores.
    got = refusal(unvalidated(c, "codepipeline").disable_stage_transition, pipelineName="transitions", stageName="Build",
                  transitionType="Inbound", reason="held: by_me")
    assert got[1] == 400, got


@check
def codedeploy_batch_get_deployment_groups_names_what_it_found(c):
    kw = client_kwargs(c["url"])
    cd = boto3.client("codedeploy", **kw)
    ecs = boto3.client("ecs", **kw)
    role = cp_role(c["iam"], "cd-service", trust("codedeploy"))
    ecs.create_cluster(clusterName="cd-cluster")
    cd.create_application(applicationName="cd-app", computePlatform="ECS")
    cd.create_deployment_group(applicationName="cd-app", deploymentGroupName="bg", serviceRoleArn=role,
                               deploymentConfigName="CodeDeployDefault.ECSAllAtOnce",
                               ecsServices=[{"clusterName": "cd-cluster", "serviceName": "svc"}])
    out = cd.batch_get_deployment_groups(applicationName="cd-app", deploymentGroupNames=["bg", "gone"])
    [group] = out["deploymentGroupsInfo"]
    assert (group["deploymentGroupName"], group["deploymentConfigName"]) == ("bg", "CodeDeployDefault.ECSAllAtOnce"), group
    assert group["ecsServices"] == [{"clusterName": "cd-cluster", "serviceName": "svc"}], group
    assert "gone" in out["errorMessage"], out
    got = refusal(cd.batch_get_deployment_groups, applicationName="no-app", deploymentGroupNames=["bg"])
    assert got[:2] == ("ApplicationDoesNotExistException", 400), got


@check
def s3_buckets_answer_in_their_own_region_only(c):
    import urllib.request
    kw = client_kwargs(c["url"])
    kw_eu = dict(kw, region_name="eu-west-1")
    eu = boto3.client("s3", config=Config(s3={"addressing_style": "path"}), **kw_eu)
    eu.create_bucket(Bucket="regional-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    listed = {b["Name"]: b.get("BucketRegion") for b in c["s3"].list_buckets(Prefix="regional-")["Buckets"]}
    assert listed == {"regional-eu": "eu-west-1"}, listed
    # Without a parameter, ListBuckets names no region (as the S3 API reference says).
    assert all("BucketRegion" not in b for b in c["s3"].list_buckets()["Buckets"])
    # A request signed for another region is redirected, as S3 does (boto3 follows the
    # redirect by itself; a raw request sees it).
    auth = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"
    req = urllib.request.Request(f"{c['url']}/regional-eu?tagging", headers={"Authorization": auth})
    try:
        urllib.request.urlopen(req)
        raise AssertionError("no redirect")
    except urllib.error.HTTPError as e:
        assert (e.code, e.headers.get("x-amz-bucket-region")) == (301, "eu-west-1"), (e.code, dict(e.headers))
        assert b"PermanentRedirect" in e.read()


# ------------------------------------------------- builds and executions run --
# runs.py: builds go through their phases over time (the self-check launcher
# runs with CBCTL_EMU_PHASE_SECONDS=0.05), run an inline buildspec, write
# CloudWatch Logs; pipeline executions advance and run their builds.
def until(probe, what, timeout=15.0):
    """probe()'s first truthy value, polled until timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def spec(**phases):
    """An inline buildspec: phases given as name=[commands]."""
    body = "".join(f"  {name}:\n    commands:\n" + "".join(f"      - {json.dumps(c)}\n" for c in commands)
                   for name, commands in phases.items())
    return f"version: 0.2\nphases:\n{body}"


def run_project(cb, name, buildspec, variables=(), **extra):
    cb.create_project(name=name, source={"type": "NO_SOURCE", "buildspec": buildspec}, artifacts={"type": "NO_ARTIFACTS"},
                      environment={**ENV, "environmentVariables": list(variables)}, serviceRole=ROLE, **extra)


def build_of(cb, build_id):
    return cb.batch_get_builds(ids=[build_id])["builds"][0]


def finished(cb, build_id):
    return until(lambda: (lambda b: b if b["buildComplete"] else None)(build_of(cb, build_id)), f"build {build_id} to end")


def phase_table(build):
    return [(p["phaseType"], p.get("phaseStatus")) for p in build["phases"]]


def log_lines(c, build):
    events = c["logs"].get_log_events(logGroupName=build["logs"]["groupName"], logStreamName=build["logs"]["streamName"],
                                      startFromHead=True)["events"]
    return [e["message"].rstrip("\n") for e in events]


RUN_PHASES = ["SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD",
              "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED"]


@check
def runs_build_phases_appear_over_time_and_builds_are_numbered(c):
    cb = c["codebuild"]
    run_project(cb, "run-phases", spec(build=["sleep 0.6"]), timeoutInMinutes=30)
    started = cb.start_build(projectName="run-phases", sourceVersion="refs/heads/main")["build"]
    assert started["buildNumber"] == 1 and started["id"].startswith("run-phases:"), started
    assert (started["buildStatus"], started["buildComplete"], started["initiator"]) == ("IN_PROGRESS", False, "cbctl-tests"), started
    assert (started["sourceVersion"], started["timeoutInMinutes"], started["serviceRole"]) == ("refs/heads/main", 30, ROLE), started
    assert started["arn"] == f"arn:aws:codebuild:us-east-1:{ACCOUNT}:build/{started['id']}", started
    # In BUILD (its sleep holds it there): the phases so far, BUILD begun and not ended.
    mid = until(lambda: (lambda b: b if b["currentPhase"] == "BUILD" else None)(build_of(cb, started["id"])), "phase BUILD")
    assert [p["phaseType"] for p in mid["phases"]] == RUN_PHASES[:7], mid["phases"]
    assert all(p["phaseStatus"] == "SUCCEEDED" and "endTime" in p for p in mid["phases"][:-1]), mid["phases"]
    assert "phaseStatus" not in mid["phases"][-1] and "endTime" not in mid["phases"][-1], mid["phases"][-1]
    assert (mid["buildStatus"], mid["buildComplete"]) == ("IN_PROGRESS", False) and "endTime" not in mid, mid
    done = finished(cb, started["id"])
    assert phase_table(done) == [(p, "SUCCEEDED") for p in RUN_PHASES[:-1]] + [("COMPLETED", None)], phase_table(done)
    assert set(done["phases"][-1]) == {"phaseType", "startTime"}, done["phases"][-1]
    assert all(isinstance(p["durationInSeconds"], int) for p in done["phases"][:-1])
    assert (done["buildStatus"], done["currentPhase"], done["buildComplete"]) == ("SUCCEEDED", "COMPLETED", True), done
    assert done["startTime"] <= done["phases"][6]["startTime"] < done["phases"][6]["endTime"] <= done["endTime"], done
    again = cb.start_build(projectName="run-phases")["build"]
    assert again["buildNumber"] == 2, again
    finished(cb, again["id"])


@check
def runs_build_log_arrives_over_time_read_by_forward_token(c):
    cb, logs = c["codebuild"], c["logs"]
    run_project(cb, "run-echo", spec(pre_build=["echo one"], build=["sleep 0.3", 'echo "$GREETING ${WHO}"', "echo 'not $WHO'"]),
                variables=[{"name": "GREETING", "value": "hello", "type": "PLAINTEXT"}, {"name": "WHO", "value": "project"}])
    build = cb.start_build(projectName="run-echo", environmentVariablesOverride=[{"name": "WHO", "value": "override"}])["build"]
    variables = {v["name"]: v["value"] for v in build["environment"]["environmentVariables"]}
    assert (variables["GREETING"], variables["WHO"]) == ("hello", "override"), variables
    assert build["logs"]["groupName"] == "/aws/codebuild/run-echo", build["logs"]
    stream = build["logs"]["streamName"]
    assert build["id"] == f"run-echo:{stream}", build
    assert build["logs"]["cloudWatchLogsArn"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/codebuild/run-echo:log-stream:{stream}"
    assert build["logs"]["deepLink"].endswith(f"#logsV2:log-groups/log-group/%2Faws%2Fcodebuild%2Frun-echo/log-events/{stream}"), build["logs"]
    # Follow the stream as a tail does, three events a call: startFromHead and
    # the previous nextForwardToken give only newer events; at the end of the
    # stream the same token comes back.
    until(lambda: "PROVISIONING" in [p["phaseType"] for p in build_of(cb, build["id"])["phases"]], "the stream")
    seen, token, calls, same = [], None, 0, 0
    while True:
        kwargs = dict(logGroupName="/aws/codebuild/run-echo", logStreamName=stream, startFromHead=True, limit=3)
        page = until(lambda: _events_or_none(logs, kwargs, token), "the log stream")
        calls += 1
        seen += page["events"]
        complete = build_of(cb, build["id"])["buildComplete"]
        if page["nextForwardToken"] == token:
            assert not page["events"], page
            same += 1
            if complete:
                break
        token = page["nextForwardToken"]
        time.sleep(0.02)
    whole = logs.get_log_events(logGroupName="/aws/codebuild/run-echo", logStreamName=stream, startFromHead=True)["events"]
    assert [e["message"] for e in seen] == [e["message"] for e in whole], "no event twice, none missed"
    assert same >= 1 and calls > len(whole) // 3, (same, calls, len(whole))
    stamps = [e["timestamp"] for e in whole]
    assert stamps == sorted(stamps), stamps
    lines = [e["message"].rstrip("\n") for e in whole]
    assert all(e["message"].endswith("\n") for e in whole)
    for wanted in ("Entering phase BUILD", 'Running command echo "$GREETING ${WHO}"', "Phase complete: BUILD State: SUCCEEDED"):
        assert any(re.fullmatch(r"\[Container\] \d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6} " + re.escape(wanted), l) for l in lines), (wanted, lines)
    assert "hello override" in lines and "not $WHO" in lines and "one" in lines, lines
    assert lines.index("one") < lines.index("hello override"), lines


def _events_or_none(logs, kwargs, token):
    try:
        return logs.get_log_events(**kwargs, **({"nextToken": token} if token else {}))
    except ClientError as e:  # the stream is created at PROVISIONING
        if e.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise


@check
def runs_build_masks_secret_variables(c):
    cb = c["codebuild"]
    run_project(cb, "run-secret", spec(build=["echo token=$TOKEN key=${KEY} plain=$PLAIN"]), variables=[
        {"name": "TOKEN", "value": "/cbctl/token", "type": "PARAMETER_STORE"},
        {"name": "KEY", "value": "cbctl/key:password", "type": "SECRETS_MANAGER"},
        {"name": "PLAIN", "value": "visible", "type": "PLAINTEXT"}])
    build = finished(c["codebuild"], cb.start_build(projectName="run-secret")["build"]["id"])
    lines = log_lines(c, build)
    assert "token=*** key=*** plain=visible" in lines, lines
    assert not any("/cbctl/token" in l or "cbctl/key" in l for l in lines), lines


@check
def runs_build_failing_in_build_still_runs_post_build(c):
    cb = c["codebuild"]
    run_project(cb, "run-fail", spec(build=["echo before", "false", "echo never"], post_build=["echo post $CODEBUILD_BUILD_SUCCEEDING"]))
    build = finished(cb, cb.start_build(projectName="run-fail")["build"]["id"])
    assert build["buildStatus"] == "FAILED", build
    table = phase_table(build)
    assert table == [(p, "FAILED" if p == "BUILD" else "SUCCEEDED") for p in RUN_PHASES[:-1]] + [("COMPLETED", None)], table
    [failed] = [p for p in build["phases"] if p["phaseType"] == "BUILD"]
    message = "Error while executing command: false. Reason: exit status 1"
    assert failed["contexts"] == [{"statusCode": "COMMAND_EXECUTION_ERROR", "message": message}], failed
    lines = log_lines(c, build)
    tails = [l.split(" ", 3)[3] for l in lines if l.startswith("[Container] ")]
    for wanted in ("Command did not exit successfully false exit status 1", "Phase complete: BUILD State: FAILED",
                   f"Phase context status code: COMMAND_EXECUTION_ERROR Message: {message}", "Entering phase POST_BUILD"):
        assert wanted in tails, (wanted, tails)
    assert "before" in lines and "post 0" in lines and "never" not in lines, lines


@check
def runs_build_failing_in_pre_build_skips_build(c):
    cb = c["codebuild"]
    run_project(cb, "run-prefail", spec(pre_build=["exit 2"], build=["echo built"], post_build=["echo post"]))
    build = finished(cb, cb.start_build(projectName="run-prefail")["build"]["id"])
    assert build["buildStatus"] == "FAILED", build
    expected = [(p, "SUCCEEDED") for p in RUN_PHASES[:5]] + [("PRE_BUILD", "FAILED"), ("FINALIZING", "SUCCEEDED"), ("COMPLETED", None)]
    assert phase_table(build) == expected, phase_table(build)
    assert build["phases"][5]["contexts"][0]["message"] == "Error while executing command: exit 2. Reason: exit status 2", build["phases"][5]
    lines = log_lines(c, build)
    assert "built" not in lines and "post" not in lines, lines


@check
def runs_stop_build_ends_it_stopped(c):
    cb = c["codebuild"]
    run_project(cb, "run-stop", spec(build=["echo waiting", "sleep 20", "echo never"]))
    build_id = cb.start_build(projectName="run-stop")["build"]["id"]
    until(lambda: build_of(cb, build_id)["currentPhase"] == "BUILD", "phase BUILD")
    asked = time.monotonic()
    stopped = cb.stop_build(id=build_id)["build"]
    assert stopped["id"] == build_id and [p for p in stopped["phases"] if p["phaseType"] == "BUILD"][0]["phaseStatus"] == "STOPPED", stopped
    done = finished(cb, build_id)
    assert time.monotonic() - asked < 2, "stopped within about a second"
    assert done["buildStatus"] == "STOPPED", done
    assert phase_table(done)[-3:] == [("BUILD", "STOPPED"), ("FINALIZING", "SUCCEEDED"), ("COMPLETED", None)], phase_table(done)
    assert "never" not in log_lines(c, done)
    # A finished build comes back as it is; an unknown one is not found.
    assert cb.stop_build(id=build_id)["build"]["phases"] == done["phases"]
    assert error_of(cb.stop_build, id="run-stop:00000000-0000-0000-0000-000000000000") == ("ResourceNotFoundException", 400)


@check
def runs_list_builds_for_project_newest_first_and_unknowns(c):
    cb = c["codebuild"]
    run_project(cb, "run-list", "buildspec.yml", logsConfig={"cloudWatchLogs": {"status": "ENABLED", "groupName": "/cbctl/run-list",
                                                                                  "streamName": "ci"}})
    ids = [cb.start_build(projectName="run-list")["build"]["id"] for _ in range(3)]
    assert cb.list_builds_for_project(projectName="run-list")["ids"] == ids[::-1]
    assert cb.list_builds_for_project(projectName="run-list", sortOrder="DESCENDING")["ids"] == ids[::-1]
    assert cb.list_builds_for_project(projectName="run-list", sortOrder="ASCENDING")["ids"] == ids
    assert error_of(cb.list_builds_for_project, projectName="run-nope") == ("ResourceNotFoundException", 400)
    assert error_of(cb.start_build, projectName="run-nope") == ("ResourceNotFoundException", 400)
    got = cb.batch_get_builds(ids=[ids[0], "run-list:00000000-0000-0000-0000-000000000000"])
    assert [b["id"] for b in got["builds"]] == [ids[0]] and got["buildsNotFound"] == ["run-list:00000000-0000-0000-0000-000000000000"], got
    # A buildspec in the source cannot be read (emulator limit): no commands, success, said in the log.
    build = finished(cb, ids[0])
    assert build["buildStatus"] == "SUCCEEDED" and build["logs"]["groupName"] == "/cbctl/run-list", build
    assert build["logs"]["streamName"] == "ci/" + ids[0].split(":", 1)[1], build["logs"]
    assert any("buildspec.yml" in l and "does not model" in l for l in log_lines(c, build)), log_lines(c, build)
    # Deleting a project leaves its running builds running and readable.
    cb.delete_project(name="run-list")
    assert {finished(cb, i)["buildStatus"] for i in ids} == {"SUCCEEDED"}
    run_project(cb, "run-nolog", "buildspec.yml", logsConfig={"cloudWatchLogs": {"status": "DISABLED"}})
    logs = finished(cb, cb.start_build(projectName="run-nolog")["build"]["id"])["logs"]
    assert "groupName" not in logs and "streamName" not in logs and logs["cloudWatchLogs"] == {"status": "DISABLED"}, logs


def run_pipeline(c, name, stages, **extra):
    """A pipeline of a CodeCommit source stage and `stages` (name -> CodeBuild project)."""
    role = cp_role(c["iam"], f"{name}-role", trust("codepipeline"))
    decl = {"name": name, "roleArn": role, "artifactStore": {"type": "S3", "location": "cp-artifacts"}, "stages": [
        {"name": "Source", "actions": [action("Checkout", "Source", "CodeCommit", configuration={"RepositoryName": "r", "BranchName": "main"},
                                              outputArtifacts=[{"name": "src"}])]}]}
    for stage, (project, config) in stages.items():
        decl["stages"].append({"name": stage, "actions": [action(stage + "Action", "Build", "CodeBuild", configuration={"ProjectName": project, **config},
                                                                 inputArtifacts=[{"name": "src"}])]})
    c["codepipeline"].create_pipeline(pipeline={**decl, **extra})


def pipeline_project(cb, name, buildspec):
    cb.create_project(name=name, source={"type": "CODEPIPELINE", "buildspec": buildspec}, artifacts={"type": "CODEPIPELINE"},
                      environment=ENV, serviceRole=ROLE)


def execution_status(cp, pipeline, execution_id):
    return cp.get_pipeline_execution(pipelineName=pipeline, pipelineExecutionId=execution_id)["pipelineExecution"]["status"]


def settled(cp, pipeline, execution_id):
    return until(lambda: (lambda s: s if s not in ("InProgress", "Stopping") else None)(execution_status(cp, pipeline, execution_id)),
                 f"execution {execution_id} to end")


@check
def runs_pipeline_execution_runs_source_then_its_build(c):
    cb, cp = c["codebuild"], c["codepipeline"]
    pipeline_project(cb, "run-cp-build", spec(build=["echo shipping $TARGET"]))
    run_pipeline(c, "run-cp", {"Build": ("run-cp-build", {"EnvironmentVariables": json.dumps([{"name": "TARGET", "value": "prod", "type": "PLAINTEXT"}])})})
    execution_id = cp.start_pipeline_execution(name="run-cp")["pipelineExecutionId"]
    assert execution_status(cp, "run-cp", execution_id) == "InProgress"
    assert settled(cp, "run-cp", execution_id) == "Succeeded"
    [summary] = cp.list_pipeline_executions(pipelineName="run-cp")["pipelineExecutionSummaries"]
    assert (summary["pipelineExecutionId"], summary["status"]) == (execution_id, "Succeeded"), summary
    assert summary["startTime"] < summary["lastUpdateTime"], summary
    stages = cp.get_pipeline_state(name="run-cp")["stageStates"]
    assert [(s["latestExecution"]["pipelineExecutionId"], s["latestExecution"]["status"]) for s in stages] == [(execution_id, "Succeeded")] * 2, stages
    source = stages[0]["actionStates"][0]
    assert (source["actionName"], source["latestExecution"]["status"], source["latestExecution"]["summary"]) == ("Checkout", "Succeeded", "emulated source")
    built = stages[1]["actionStates"][0]["latestExecution"]
    assert built["status"] == "Succeeded" and "errorDetails" not in built, built
    assert stages[1]["inboundTransitionState"]["enabled"] is True, stages[1]
    build = build_of(cb, built["externalExecutionId"])
    assert build["projectName"] == "run-cp-build" and build["initiator"] == "codepipeline/run-cp" and build["buildStatus"] == "SUCCEEDED", build
    assert built["externalExecutionUrl"].startswith("https://console.aws.amazon.com/codebuild/home?region=us-east-1#/builds/"), built
    assert "shipping prod" in log_lines(c, build)


@check
def runs_pipeline_failed_build_fails_the_execution(c):
    cb, cp = c["codebuild"], c["codepipeline"]
    pipeline_project(cb, "run-cpf-build", spec(build=["exit 3"]))
    pipeline_project(cb, "run-cpf-next", spec(build=["echo unreachable"]))
    run_pipeline(c, "run-cpf", {"Build": ("run-cpf-build", {}), "Later": ("run-cpf-next", {})})
    execution_id = cp.start_pipeline_execution(name="run-cpf")["pipelineExecutionId"]
    assert settled(cp, "run-cpf", execution_id) == "Failed"
    stages = cp.get_pipeline_state(name="run-cpf")["stageStates"]
    assert [s.get("latestExecution", {}).get("status") for s in stages] == ["Succeeded", "Failed", None], stages
    failed = stages[1]["actionStates"][0]["latestExecution"]
    assert failed["status"] == "Failed", failed
    assert failed["errorDetails"] == {"code": "JobFailed", "message": "Build terminated with state: FAILED"}, failed
    assert build_of(cb, failed["externalExecutionId"])["buildStatus"] == "FAILED"
    assert stages[2]["actionStates"] == [{"actionName": "LaterAction", "entityUrl": stages[2]["actionStates"][0]["entityUrl"]}], stages[2]
    assert cb.list_builds_for_project(projectName="run-cpf-next")["ids"] == []


@check
def runs_pipeline_variables_are_checked(c):
    cb, cp = c["codebuild"], c["codepipeline"]
    pipeline_project(cb, "run-cpv-build", spec(build=["echo ticket $TICKET"]))
    ticket = {"EnvironmentVariables": json.dumps([{"name": "TICKET", "value": "#{variables.Ticket}"}])}
    run_pipeline(c, "run-cpv", {"Build": ("run-cpv-build", ticket)}, pipelineType="V2",
                 variables=[{"name": "Target", "defaultValue": "staging"}, {"name": "Ticket"}])
    run_pipeline(c, "run-cpv1", {"Build": ("run-cpv-build", {})})
    for name, variables in (("run-cpv", [{"name": "Tagret", "value": "prod"}, {"name": "Ticket", "value": "T-1"}]),
                            ("run-cpv", [{"name": "Target", "value": "prod"}]),
                            ("run-cpv1", [{"name": "Target", "value": "prod"}])):
        got = refusal(cp.start_pipeline_execution, name=name, variables=variables)
        assert got[:2] == ("ValidationException", 400), (name, variables, got)
    assert error_of(cp.start_pipeline_execution, name="run-nope") == ("PipelineNotFoundException", 400)
    assert cp.list_pipeline_executions(pipelineName="run-cpv")["pipelineExecutionSummaries"] == []
    execution_id = cp.start_pipeline_execution(name="run-cpv", variables=[{"name": "Ticket", "value": "T-1"}])["pipelineExecutionId"]
    got = cp.get_pipeline_execution(pipelineName="run-cpv", pipelineExecutionId=execution_id)["pipelineExecution"]
    assert got["variables"] == [{"name": "Target", "resolvedValue": "staging"}, {"name": "Ticket", "resolvedValue": "T-1"}], got
    assert settled(cp, "run-cpv", execution_id) == "Succeeded"
    build_id = cp.get_pipeline_state(name="run-cpv")["stageStates"][1]["actionStates"][0]["latestExecution"]["externalExecutionId"]
    assert "ticket T-1" in log_lines(c, build_of(cb, build_id)), "the action's #{variables.Ticket} resolved"


@check
def runs_pipeline_held_by_a_transition_and_stopped(c):
    cb, cp = c["codebuild"], c["codepipeline"]
    pipeline_project(cb, "run-cps-build", spec(build=["sleep 20"]))
    run_pipeline(c, "run-cps", {"Build": ("run-cps-build", {})})
    # A disabled transition holds the execution before its stage.
    cp.disable_stage_transition(pipelineName="run-cps", stageName="Build", transitionType="Inbound", reason="hold")
    held = cp.start_pipeline_execution(name="run-cps")["pipelineExecutionId"]
    until(lambda: cp.get_pipeline_state(name="run-cps")["stageStates"][0].get("latestExecution", {}).get("status") == "Succeeded", "Source")
    time.sleep(0.3)
    stages = cp.get_pipeline_state(name="run-cps")["stageStates"]
    assert execution_status(cp, "run-cps", held) == "InProgress" and "latestExecution" not in stages[1], stages
    cp.stop_pipeline_execution(pipelineName="run-cps", pipelineExecutionId=held, reason="not today")
    assert settled(cp, "run-cps", held) == "Stopped"
    assert cp.list_pipeline_executions(pipelineName="run-cps")["pipelineExecutionSummaries"][0]["stopTrigger"] == {"reason": "not today"}
    got = refusal(cp.stop_pipeline_execution, pipelineName="run-cps", pipelineExecutionId=held)
    assert got[:2] == ("PipelineExecutionNotStoppableException", 400), got
    # Stopping an execution stops the build it runs: Stopping, then Stopped.
    cp.enable_stage_transition(pipelineName="run-cps", stageName="Build", transitionType="Inbound")
    running = cp.start_pipeline_execution(name="run-cps")["pipelineExecutionId"]

    def build_started():
        stage = cp.get_pipeline_state(name="run-cps")["stageStates"][1]
        latest = stage["actionStates"][0].get("latestExecution", {})
        return stage.get("latestExecution", {}).get("pipelineExecutionId") == running and latest.get("externalExecutionId")
    build_id = until(build_started, "the build")
    until(lambda: build_of(cb, build_id)["currentPhase"] == "BUILD", "phase BUILD")
    cp.stop_pipeline_execution(pipelineName="run-cps", pipelineExecutionId=running)
    assert execution_status(cp, "run-cps", running) in ("Stopping", "Stopped")
    assert settled(cp, "run-cps", running) == "Stopped"
    assert finished(cb, build_id)["buildStatus"] == "STOPPED"
    assert cp.get_pipeline_state(name="run-cps")["stageStates"][1]["latestExecution"] == {"pipelineExecutionId": running, "status": "Stopped"}
    # Abandoning ends it at once.
    abandoned = cp.start_pipeline_execution(name="run-cps")["pipelineExecutionId"]
    cp.stop_pipeline_execution(pipelineName="run-cps", pipelineExecutionId=abandoned, abandon=True)
    assert execution_status(cp, "run-cps", abandoned) == "Stopped"


# ------------------------------------------------------------------ runner --
def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("CBCTL_EMU_")}


def client_kwargs(url):
    return dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


def start_launcher(**faults):
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "launcher.py"), "--port", "0", "--exit-with-parent"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**clean_env(), **faults})
    lines, errors = queue.Queue(), []

    def drain_stderr():  # pass stderr through, keeping a copy
        for line in proc.stderr:
            errors.append(line)
            sys.stderr.write(line)

    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    threading.Thread(target=drain_stderr, daemon=True).start()
    try:
        line = lines.get(timeout=60)
    except queue.Empty:
        proc.kill()
        raise SystemExit("launcher.py did not print READY within 60s")
    assert line.startswith("READY http://127.0.0.1:"), line
    return proc, line.split()[1], lines, errors


def stop_launcher(proc, lines):
    """(exit status, stdout lines after READY) of a SIGTERMed launcher."""
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)
    time.sleep(0.1)  # let the reader threads see EOF
    return code, [line for line in iter(lambda: lines.get_nowait() if not lines.empty() else None, None)]


@contextlib.contextmanager
def fault_launcher(**faults):
    """A launcher with CBCTL_EMU_* = faults; yields (no-retry clients, url)."""
    proc, url, lines, errors = start_launcher(**faults)
    try:
        kw = client_kwargs(url)
        clients = {s: boto3.client(s, config=NO_RETRY, **kw) for s in SERVICES}
        clients["codeconnections_cbor"] = cbor_client("codeconnections", config=NO_RETRY, **kw)
        yield clients, url
    finally:
        code, extra = stop_launcher(proc, lines)
    assert code == 0 and not extra, (code, extra)
    summary = [line for line in errors if "fault injection" in line]
    assert len(summary) == 1 and summary[0].startswith("launcher.py: fault injection: "), errors


def main():
    # Builds' phases take 0.05 s each here, so the checks of running builds are quick.
    proc, url, lines, errors = start_launcher(CBCTL_EMU_PHASE_SECONDS="0.05")
    kw = client_kwargs(url)
    clients = {s: boto3.client(s, **kw) for s in ("codebuild", "codecommit", "ssm", "iam", "sts", "codepipeline",
                                                  "codeconnections", "codestar-connections", "events", "logs",
                                                  "resourcegroupstaggingapi", "ecr", "kms", "ec2", "sns",
                                                  "codestar-notifications")}
    clients["codebuild_unvalidated"] = boto3.client("codebuild", config=Config(parameter_validation=False), **kw)
    clients["codeconnections_cbor"] = cbor_client("codeconnections", **kw)
    clients["s3"] = boto3.client("s3", config=Config(s3={"addressing_style": "path"}), **kw)
    clients["url"] = url
    passed = failed = 0
    try:
        for fn in CHECKS:
            try:
                fn(clients)
                passed += 1
                print(f"ok    {fn.__name__}")
            except Exception:
                failed += 1
                print(f"FAIL  {fn.__name__}\n{traceback.format_exc()}")
    finally:
        code, extra = stop_launcher(proc, lines)
    quiet = not any("fault injection" in line for line in errors)
    if code == 0 and not extra and quiet:
        passed += 1
        print("ok    launcher_exits_cleanly_on_sigterm")
    else:
        failed += 1
        print(f"FAIL  launcher_exits_cleanly_on_sigterm (exit {code}, extra stdout {extra!r}, faults on: {not quiet})")
    for fn in FAULT_CHECKS:
        try:
            fn(fault_launcher)
            passed += 1
            print(f"ok    {fn.__name__}")
        except Exception:
            failed += 1
            print(f"FAIL  {fn.__name__}\n{traceback.format_exc()}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

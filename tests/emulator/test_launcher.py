#!/usr/bin/env python3
"""Self-check for launcher.py (no pytest): starts it on port 0, drives every
patched/relied-upon operation with boto3, prints "N passed, M failed".

Run: .venv/bin/python tests/emulator/test_launcher.py
"""

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import traceback
import urllib.parse

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/cbctl-build"
ENV = {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"}
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}]})

CHECKS = []


def check(fn):
    CHECKS.append(fn)
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
        self.bodies = {}
        client.meta.events.register("after-call", self._store)

    def _store(self, http_response, model, **_):
        self.bodies[model.name] = http_response.content.decode()


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
    for project in (created, got):
        for key, value in sent.items():
            assert project[key] == value, (key, project.get(key), value)
        assert "lastModified" in project and "created" in project
        assert project["arn"] == f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/cb-full"


@check
def codebuild_defaults_timeouts(c):
    p = c["codebuild"].create_project(name="cb-defaults", source={"type": "NO_SOURCE", "buildspec": "x"},
                                      artifacts={"type": "NO_ARTIFACTS"}, environment=ENV, serviceRole=ROLE)["project"]
    assert (p["timeoutInMinutes"], p["queuedTimeoutInMinutes"]) == (60, 480), p
    assert "concurrentBuildLimit" not in p


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
    # client skips boto3's client-side required-member validation.
    assert error_of(c["codebuild_unvalidated"].create_project, name="cb-bad4", source={"type": "NO_SOURCE"},
                    artifacts={"type": "NO_ARTIFACTS"}, environment=ENV) == ("InvalidInputException", 400)


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


# --------------------------------------------------------------------- STS --
@check
def sts_get_caller_identity(c):
    assert c["sts"].get_caller_identity()["Account"] == ACCOUNT


# ------------------------------------------------------------------ runner --
def start_launcher():
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "launcher.py"), "--port", "0", "--exit-with-parent"],
                            stdout=subprocess.PIPE, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    try:
        line = lines.get(timeout=60)
    except queue.Empty:
        proc.kill()
        raise SystemExit("launcher.py did not print READY within 60s")
    assert line.startswith("READY http://127.0.0.1:"), line
    return proc, line.split()[1], lines


def main():
    proc, url, lines = start_launcher()
    kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    clients = {s: boto3.client(s, **kw) for s in ("codebuild", "codecommit", "ssm", "iam", "sts")}
    clients["codebuild_unvalidated"] = boto3.client("codebuild", config=Config(parameter_validation=False), **kw)
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
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    extra = [line for line in iter(lambda: lines.get_nowait() if not lines.empty() else None, None)]
    if code == 0 and not extra:
        passed += 1
        print("ok    launcher_exits_cleanly_on_sigterm")
    else:
        failed += 1
        print(f"FAIL  launcher_exits_cleanly_on_sigterm (exit {code}, extra stdout {extra!r})")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Builds that run and pipeline executions that advance, which moto lacks (issue 16).

moto's StartBuild makes a build that jumps to SUCCEEDED on the first BatchGetBuilds,
with random phase durations and no log; its executions never leave their first status.
Here, as on AWS:

- StartBuild makes a build numbered 1, 2, 3... per project, whose phases pass over a few
  seconds (CBCTL_EMU_PHASE_SECONDS each, default 0.3, plus the `sleep`s of its commands):
  SUBMITTED, QUEUED, PROVISIONING, DOWNLOAD_SOURCE, INSTALL, PRE_BUILD, BUILD, POST_BUILD,
  UPLOAD_ARTIFACTS, FINALIZING, COMPLETED. An inline buildspec's commands run in a tiny
  interpreter: `echo` prints (with $VAR and ${VAR} from the build's environment; a
  PARAMETER_STORE or SECRETS_MANAGER value prints as ***, as CodeBuild masks it),
  `exit N` and `false` fail, `sleep N` waits, anything else succeeds silently. A failed
  INSTALL or PRE_BUILD skips to FINALIZING; a failed BUILD still runs POST_BUILD. A
  buildspec given as a path in the source is not read (the emulator holds no source
  files): the build runs no command, says so in its log, and succeeds.
- The log is written to CloudWatch Logs as the build goes, in CodeBuild's `[Container]`
  style, to the project's group (`/aws/codebuild/PROJECT` by default, made if missing,
  as CodeBuild does) and a stream named after the build.
- StopBuild ends the running phase STOPPED, then FINALIZING; the build is STOPPED.
- StartPipelineExecution runs the stages in order (not entering one whose inbound
  transition is disabled), each stage's actions by runOrder; a CodeBuild action runs a
  build of its project and ends with it (JobFailed "Build terminated with state: X");
  a manual approval waits; other actions succeed after one phase time. A failed action
  fails its stage and the execution. GetPipelineState shows each stage's and action's
  latest run; StopPipelineExecution stops (and stops the builds it runs) or abandons.

Wordings marked "unconfirmed" are not from AWS's documentation.
"""

import datetime
import json
import os
import re
import shlex
import threading
import time
import urllib.parse
import uuid

import yaml

PHASES = [
    "SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD",
    "BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED",
]
COMMAND_PHASES = {"INSTALL": "install", "PRE_BUILD": "pre_build", "BUILD": "build", "POST_BUILD": "post_build"}
MASKED_TYPES = {"PARAMETER_STORE", "SECRETS_MANAGER"}
LOCK = threading.RLock()
# (account, region) -> {"builds": {id: Build}, "numbers": {project: n}}
STATE = {}


def phase_seconds():
    try:
        return max(0.0, float(os.environ.get("CBCTL_EMU_PHASE_SECONDS", "0.3")))
    except ValueError:
        return 0.3


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def region_state(account, region):
    with LOCK:
        return STATE.setdefault((account, region), {"builds": {}, "numbers": {}, "order": []})


# ------------------------------------------------------------------ builds --
class Build:
    def __init__(self, account, region, project, request, initiator):
        meta = project.project_metadata
        state = region_state(account, region)
        name = meta["name"]
        with LOCK:
            state["numbers"][name] = state["numbers"].get(name, 0) + 1
            self.number = state["numbers"][name]
        uid = str(uuid.uuid4())
        self.account, self.region, self.project = account, region, name
        self.id = f"{name}:{uid}"
        self.arn = f"arn:aws:codebuild:{region}:{account}:build/{self.id}"
        self.started = now()
        self.ended = None
        self.status = "IN_PROGRESS"
        self.current = "SUBMITTED"
        self.phases = [{"phaseType": "SUBMITTED", "phaseStatus": "SUCCEEDED", "startTime": self.started, "endTime": self.started, "durationInSeconds": 0}]
        self.stop_requested = False
        self.initiator = initiator
        self.source = dict(meta.get("source") or {})
        if request.get("buildspecOverride"):
            self.source["buildspec"] = request["buildspecOverride"]
        self.source_version = request.get("sourceVersion") or meta.get("sourceVersion")
        self.environment = json.loads(json.dumps(meta.get("environment") or {}))
        self.environment["environmentVariables"] = merged_variables(self.environment.get("environmentVariables") or [], request.get("environmentVariablesOverride") or [])
        self.service_role = meta.get("serviceRole")
        self.timeout = meta.get("timeoutInMinutes", 60)
        self.log = log_location(meta, region, account, uid)
        self.state = state
        with LOCK:
            state["builds"][self.id] = self
            state["order"].append(self.id)

    def view(self):
        with LOCK:
            out = {
                "id": self.id,
                "arn": self.arn,
                "buildNumber": self.number,
                "startTime": self.started,
                "currentPhase": self.current,
                "buildStatus": self.status,
                "projectName": self.project,
                "phases": [dict(p) for p in self.phases],
                "source": self.source,
                "secondarySources": [],
                "secondarySourceVersions": [],
                "artifacts": {"location": ""},
                "environment": self.environment,
                "serviceRole": self.service_role,
                "logs": self.log["view"],
                "timeoutInMinutes": self.timeout,
                "queuedTimeoutInMinutes": 480,
                "buildComplete": self.ended is not None,
                "initiator": self.initiator,
            }
            if self.source_version:
                out["sourceVersion"] = self.source_version
            if self.ended is not None:
                out["endTime"] = self.ended
            return out


def merged_variables(project_vars, overrides):
    out = {v["name"]: dict(v) for v in project_vars}
    for v in overrides:
        out[v["name"]] = {"name": v["name"], "value": v.get("value", ""), "type": v.get("type", "PLAINTEXT")}
    return list(out.values())


def log_location(meta, region, account, uid):
    config = (meta.get("logsConfig") or {}).get("cloudWatchLogs") or {"status": "ENABLED"}
    if config.get("status") == "DISABLED":
        return {"group": None, "stream": None, "view": {"cloudWatchLogs": config, "s3Logs": {"status": "DISABLED"}}}
    group = config.get("groupName") or f"/aws/codebuild/{meta['name']}"
    stream = f"{config['streamName']}/{uid}" if config.get("streamName") else uid
    quote = lambda s: urllib.parse.quote(s, safe="")  # noqa: E731
    view = {
        "groupName": group,
        "streamName": stream,
        "deepLink": f"https://console.aws.amazon.com/cloudwatch/home?region={region}#logsV2:log-groups/log-group/{quote(group)}/log-events/{quote(stream)}",
        "cloudWatchLogsArn": f"arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{stream}",
        "cloudWatchLogs": config,
        "s3Logs": {"status": "DISABLED"},
    }
    return {"group": group, "stream": stream, "view": view}


class Log:
    """A build's CloudWatch stream, written through moto's logs backend."""

    def __init__(self, build):
        from moto.logs.models import logs_backends

        self.build = build
        self.backend = logs_backends[build.account][build.region]
        self.last = 0

    def open(self):
        b = self.build
        if b.log["group"] is None:
            return
        if b.log["group"] not in self.backend.groups:
            self.backend.create_log_group(b.log["group"], tags={})
        self.backend.create_log_stream(b.log["group"], b.log["stream"])

    def write(self, message, container=True):
        b = self.build
        if b.log["group"] is None or b.log["group"] not in self.backend.groups:
            return
        stamp = now()
        if container:
            message = f"[Container] {stamp.strftime('%Y/%m/%d %H:%M:%S.%f')} {message}"
        millis = max(self.last, int(stamp.timestamp() * 1000))
        self.last = millis
        try:
            self.backend.put_log_events(b.log["group"], b.log["stream"], [{"timestamp": millis, "message": message + "\n"}])
        except Exception:  # the group was deleted under a running build: CodeBuild loses the lines too
            pass


def buildspec_of(build):
    text = build.source.get("buildspec") or ""
    try:
        spec = yaml.safe_load(text) if "\n" in text else None
    except yaml.YAMLError:
        spec = None
    return spec if isinstance(spec, dict) and "phases" in spec else None


def build_env(build, spec):
    env, masked = {}, set()
    for v in build.environment.get("environmentVariables") or []:
        env[v["name"]] = v.get("value", "")
        if v.get("type") in MASKED_TYPES:
            masked.add(v["name"])
    spec_env = (spec or {}).get("env") or {}
    for k, v in (spec_env.get("variables") or {}).items():
        env[k] = str(v)
    for section in ("parameter-store", "secrets-manager"):
        for k in spec_env.get(section) or {}:
            env[k], _ = "***", masked.add(k)
    env.update({"CODEBUILD_BUILD_ID": build.id, "CODEBUILD_BUILD_NUMBER": str(build.number)})
    return env, masked


def expand(text, env, masked):
    def one(m):
        name = m.group(1) or m.group(2)
        return "***" if name in masked else env.get(name, "")

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", one, text)


def run_command(build, log, command, env, masked):
    """Runs one buildspec command; its exit status."""
    log.write(f"Running command {command}")
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    if not words:
        return 0
    head = words[0]
    if head == "echo":
        rest = command.strip()[4:].strip()
        try:
            rest = " ".join(shlex.split(rest, posix=True)) if rest else ""
        except ValueError:
            pass
        log.write(expand(rest, env, masked), container=False)
        return 0
    if head == "false":
        return 1
    if head == "exit":
        try:
            return int(words[1]) if len(words) > 1 else 0
        except ValueError:
            return 2
    if head == "sleep" and len(words) > 1:
        try:
            wait(build, min(float(words[1]), 30.0))
        except ValueError:
            return 1
    return 0


def wait(build, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end and not build.stop_requested:
        time.sleep(min(0.05, max(0.0, end - time.monotonic())))


def enter(build, log, phase):
    with LOCK:
        build.current = phase
        build.phases.append({"phaseType": phase, "startTime": now()})
    if phase not in ("QUEUED", "PROVISIONING", "COMPLETED"):
        log.write(f"Entering phase {phase}")


def finish(build, log, phase, status, context=None):
    with LOCK:
        record = build.phases[-1]
        record["phaseStatus"] = status
        record["endTime"] = now()
        record["durationInSeconds"] = int((record["endTime"] - record["startTime"]).total_seconds())
        if context:
            record["contexts"] = [context]
    if phase not in ("QUEUED", "PROVISIONING"):
        log.write(f"Phase complete: {phase} State: {status}")
        code, message = (context["statusCode"], context["message"]) if context else ("", "")
        log.write(f"Phase context status code: {code} Message: {message}")


def run_phase(build, log, phase, spec, env, masked):
    """Runs a phase's commands; (status, context)."""
    wait(build, phase_seconds())
    commands = (((spec or {}).get("phases") or {}).get(COMMAND_PHASES.get(phase, "")) or {}).get("commands") or []
    if phase == "DOWNLOAD_SOURCE" and spec is None and build.source.get("buildspec"):
        log.write(f"emulator: source files are not modelled; buildspec {build.source['buildspec']} is not read and no command runs")
    for command in commands:
        if build.stop_requested:
            break
        # YAML reads `- false` as a boolean; CodeBuild runs it as the command.
        command = str(command).lower() if isinstance(command, bool) else str(command)
        code = run_command(build, log, command, env, masked)
        if code != 0:
            log.write(f"Command did not exit successfully {command} exit status {code}")
            return "FAILED", {"statusCode": "COMMAND_EXECUTION_ERROR", "message": f"Error while executing command: {command}. Reason: exit status {code}"}
    if build.stop_requested:
        return "STOPPED", None
    return "SUCCEEDED", None


def next_phases(phase, status):
    """The phases still to run after `phase` ended with `status`."""
    rest = PHASES[PHASES.index(phase) + 1:]
    if status == "STOPPED" or (status == "FAILED" and phase in ("DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD")):
        return ["FINALIZING", "COMPLETED"]
    return rest


def run_build(build):
    log = Log(build)
    spec = buildspec_of(build)
    env, masked = build_env(build, spec)
    failed = False
    queue = PHASES[1:]
    while queue:
        phase = queue.pop(0)
        enter(build, log, phase)
        if phase == "COMPLETED":
            break
        if phase == "PROVISIONING":
            log.open()
            log.write("Waiting for agent ping")
        status, context = run_phase(build, log, phase, spec, env, masked)
        if build.stop_requested and phase == "FINALIZING":
            status = "SUCCEEDED"
        finish(build, log, phase, status, context)
        failed = failed or status == "FAILED"
        if status in ("FAILED", "STOPPED"):
            queue = [p for p in next_phases(phase, status) if p in queue or p == "COMPLETED"]
    with LOCK:
        build.ended = now()
        build.status = "STOPPED" if build.stop_requested else ("FAILED" if failed else "SUCCEEDED")


def start(account, region, project, request, initiator):
    build = Build(account, region, project, request, initiator)
    threading.Thread(target=run_build, args=(build,), daemon=True).start()
    return build


def find(account, region, build_id):
    with LOCK:
        return region_state(account, region)["builds"].get(build_id)


def patch_builds():
    from moto.codebuild.exceptions import ResourceNotFoundException
    from moto.codebuild.responses import CodeBuildResponse
    from moto.core.responses import ActionResult

    def project_of(self, name):
        project = self.codebuild_backend.codebuild_projects.get(name)
        if project is None:
            raise ResourceNotFoundException(f"Project cannot be found: arn:aws:codebuild:{self.region}:{self.current_account}:project/{name}")
        return project

    def start_build(self):
        project = project_of(self, self._get_param("projectName"))
        request = {k: self._get_param(k) for k in ("sourceVersion", "environmentVariablesOverride", "buildspecOverride")}
        build = start(self.current_account, self.region, project, request, "cbctl-tests")
        return ActionResult({"build": build.view()})

    def batch_get_builds(self):
        ids = self._get_param("ids") or []
        found = [find(self.current_account, self.region, i) for i in ids]
        return ActionResult({"builds": [b.view() for b in found if b], "buildsNotFound": [i for i, b in zip(ids, found) if not b]})

    def list_builds_for_project(self):
        name = self._get_param("projectName")
        project_of(self, name)
        with LOCK:
            state = region_state(self.current_account, self.region)
            ids = [i for i in state["order"] if state["builds"][i].project == name]
        if self._get_param("sortOrder") != "ASCENDING":
            ids.reverse()
        return ActionResult({"ids": ids})

    def stop_build(self):
        build_id = self._get_param("id")
        build = find(self.current_account, self.region, build_id)
        if build is None:
            raise ResourceNotFoundException(f"Build {build_id} does not exist")  # unconfirmed wording
        build.stop_requested = True
        return ActionResult({"build": build.view()})

    CodeBuildResponse.start_build = start_build
    CodeBuildResponse.batch_get_builds = batch_get_builds
    CodeBuildResponse.list_builds_for_project = list_builds_for_project
    CodeBuildResponse.stop_build = stop_build


# --------------------------------------------------------------- pipelines --
def runs_of(pipeline):
    """A pipeline's latest stage and action runs, as GetPipelineState shows them."""
    return pipeline.__dict__.setdefault("cbctl_runs", {"stages": {}, "actions": {}})


def set_action(pipeline, stage, action, **fields):
    with LOCK:
        entry = runs_of(pipeline)["actions"].setdefault((stage, action), {})
        entry.update({k: v for k, v in fields.items() if v is not None})
        entry["lastStatusChange"] = now()


def run_action(ctx, stage, action):
    """Runs one action; its final status."""
    pipeline, execution = ctx["pipeline"], ctx["execution"]
    name, kind = action["name"], action.get("actionTypeId") or {}
    run_id = str(uuid.uuid4())
    with LOCK:
        runs_of(pipeline)["actions"][(stage, name)] = {"actionExecutionId": run_id}
    set_action(pipeline, stage, name, status="InProgress")
    if kind.get("provider") == "CodeBuild":
        return run_codebuild_action(ctx, stage, action)
    if kind.get("category") == "Approval":
        while not ctx["stop"]:
            time.sleep(0.05)
        set_action(pipeline, stage, name, status="Abandoned" if ctx["abandon"] else "Stopped")
        return "Stopped"
    time.sleep(phase_seconds())
    if ctx["stop"] and ctx["abandon"]:
        set_action(pipeline, stage, name, status="Abandoned")
        return "Stopped"
    summary = "emulated source" if kind.get("category") == "Source" else None
    set_action(pipeline, stage, name, status="Succeeded", summary=summary)
    return "Succeeded"


def run_codebuild_action(ctx, stage, action):
    from moto.codebuild.models import codebuild_backends

    pipeline, name = ctx["pipeline"], action["name"]
    config = action.get("configuration") or {}
    backend = codebuild_backends[ctx["account"]][ctx["region"]]
    project = backend.codebuild_projects.get(config.get("ProjectName", ""))
    if project is None:
        set_action(pipeline, stage, name, status="Failed", errorDetails={"code": "JobFailed", "message": f"Project {config.get('ProjectName')} does not exist"})
        return "Failed"
    overrides = json.loads(config.get("EnvironmentVariables") or "[]")
    build = start(ctx["account"], ctx["region"], project, {"environmentVariablesOverride": overrides}, f"codepipeline/{pipeline.pipeline['name']}")
    ctx["builds"].append(build)
    link = f"https://console.aws.amazon.com/codebuild/home?region={ctx['region']}#/builds/{urllib.parse.quote(build.id, safe='')}/view/new"
    set_action(pipeline, stage, name, externalExecutionId=build.id, externalExecutionUrl=link)
    while build.ended is None:
        time.sleep(0.05)
    if build.status == "SUCCEEDED":
        set_action(pipeline, stage, name, status="Succeeded")
        return "Succeeded"
    status = "Stopped" if build.status == "STOPPED" else "Failed"
    set_action(pipeline, stage, name, status=status, errorDetails={"code": "JobFailed", "message": f"Build terminated with state: {build.status}"})
    return status


def run_stage(ctx, stage):
    pipeline, execution = ctx["pipeline"], ctx["execution"]
    with LOCK:
        runs_of(pipeline)["stages"][stage["name"]] = {"pipelineExecutionId": execution.pipeline_execution_id, "status": "InProgress"}
    orders = sorted({a.get("runOrder", 1) for a in stage.get("actions", [])})
    result = "Succeeded"
    for order in orders:
        group = [a for a in stage["actions"] if a.get("runOrder", 1) == order]
        results = []
        threads = [threading.Thread(target=lambda a=a: results.append(run_action(ctx, stage["name"], a)), daemon=True) for a in group]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if any(r != "Succeeded" for r in results):
            result = "Failed" if "Failed" in results else "Stopped"
            break
        if ctx["stop"]:
            result = "Stopped"
            break
    with LOCK:
        runs_of(pipeline)["stages"][stage["name"]]["status"] = result
    return result


def transition_open(pipeline, stage_name):
    enabled, _, _ = pipeline.__dict__.get("cbctl_transitions", {}).get(stage_name, (True, None, None))
    return enabled


def run_execution(ctx):
    pipeline, execution = ctx["pipeline"], ctx["execution"]
    status = "Succeeded"
    for i, stage in enumerate(pipeline.pipeline.get("stages", [])):
        while i > 0 and not transition_open(pipeline, stage["name"]) and not ctx["stop"]:
            time.sleep(0.05)
        if ctx["stop"]:
            status = "Stopped"
            break
        result = run_stage(ctx, stage)
        if result != "Succeeded":
            status = result
            break
    with LOCK:
        execution.status = status
        execution.last_update_time = now().replace(tzinfo=None)


def check_variables(pipeline, given):
    """StartPipelineExecution's variable rules (wordings unconfirmed)."""
    from moto.core.exceptions import JsonRESTError

    declared = {v["name"]: v for v in pipeline.pipeline.get("variables") or []}
    if given and pipeline.pipeline.get("pipelineType", "V1") != "V2":
        raise JsonRESTError("ValidationException", "Pipeline variables are supported only for pipelines of type V2")
    for v in given or []:
        if v["name"] not in declared:
            raise JsonRESTError("ValidationException", f"Variable {v['name']} is not declared in the pipeline")
    names = {v["name"] for v in given or []}
    for name, v in declared.items():
        if name not in names and v.get("defaultValue") is None:
            raise JsonRESTError("ValidationException", f"No value given for variable {name}, which has no default")


def patch_executions():
    from moto.codepipeline.responses import CodePipelineResponse
    from moto.core.exceptions import JsonRESTError

    original_state = CodePipelineResponse.get_pipeline_state

    def pipeline_of(self, name):
        p = self.codepipeline_backend.pipelines.get(name)
        if p is None:
            raise JsonRESTError("PipelineNotFoundException", f"Account '{self.current_account}' does not have a pipeline with name '{name}'")
        return p

    def start_pipeline_execution(self):
        name = self._get_param("name")
        pipeline = pipeline_of(self, name)
        check_variables(pipeline, self._get_param("variables"))
        execution_id = self.codepipeline_backend.start_pipeline_execution(name, self._get_param("variables"))
        execution = pipeline.executions[execution_id]
        execution.status = "InProgress"
        ctx = {"account": self.current_account, "region": self.region, "pipeline": pipeline, "execution": execution, "stop": False, "abandon": False, "builds": []}
        pipeline.__dict__.setdefault("cbctl_contexts", {})[execution_id] = ctx
        threading.Thread(target=run_execution, args=(ctx,), daemon=True).start()
        return json.dumps({"pipelineExecutionId": execution_id})

    def stop_pipeline_execution(self):
        name, execution_id = self._get_param("pipelineName"), self._get_param("pipelineExecutionId")
        pipeline = pipeline_of(self, name)
        ctx = pipeline.__dict__.get("cbctl_contexts", {}).get(execution_id)
        if ctx is None:
            raise JsonRESTError("PipelineExecutionNotFoundException", f"Pipeline execution {execution_id} not found")  # unconfirmed
        if ctx["execution"].status != "InProgress":
            raise JsonRESTError("PipelineExecutionNotStoppableException", "Unable to stop pipeline execution as it is not in progress")  # unconfirmed
        ctx["abandon"] = bool(self._get_param("abandon"))
        ctx["stop"] = True
        ctx["execution"].status = "Stopping"
        for build in ctx["builds"]:
            build.stop_requested = True
        return json.dumps({"pipelineExecutionId": execution_id})

    def get_pipeline_state(self):
        answer = json.loads(original_state(self))
        pipeline = pipeline_of(self, self._get_param("name"))
        with LOCK:
            runs = runs_of(pipeline)
            for stage in answer.get("stageStates", []):
                declared = next((s for s in pipeline.pipeline.get("stages", []) if s["name"] == stage["stageName"]), {})
                if stage["stageName"] in runs["stages"]:
                    stage["latestExecution"] = dict(runs["stages"][stage["stageName"]])
                stage["actionStates"] = [action_state(runs, stage["stageName"], a["name"]) for a in declared.get("actions", [])]
        return json.dumps(answer, default=lambda d: d.timestamp())

    CodePipelineResponse.start_pipeline_execution = start_pipeline_execution
    CodePipelineResponse.stop_pipeline_execution = stop_pipeline_execution
    CodePipelineResponse.get_pipeline_state = get_pipeline_state


def action_state(runs, stage, action):
    state = {"actionName": action}
    latest = runs["actions"].get((stage, action))
    if latest:
        state["latestExecution"] = dict(latest)
    return state


def apply():
    patch_builds()
    patch_executions()

"""Builds and pipeline executions that run, for launcher.py (moto 5.2.5).

moto's CodeBuild builds jump to SUCCEEDED on the first BatchGetBuilds (random
phase durations, no logs) and its pipeline executions never advance. Here:

CodeBuild (patch_codebuild_runs): StartBuild makes a build that a daemon
thread walks through CodeBuild's phases in wall-clock time (SUBMITTED, QUEUED,
PROVISIONING, DOWNLOAD_SOURCE, INSTALL, PRE_BUILD, BUILD, POST_BUILD,
UPLOAD_ARTIFACTS, FINALIZING, COMPLETED). Each phase takes the base time
CBCTL_EMU_PHASE_SECONDS (launcher setting, default 0.3 s) plus its `sleep`
commands. An inline buildspec (YAML mapping) is run by a tiny interpreter
(run_command: echo, exit N, true, false, sleep N, export/assignments, `;`,
`&&`, `||`, `|`; everything else succeeds silently), with CodeBuild's failure
rules: a failure in INSTALL/PRE_BUILD goes straight to FINALIZING, one in
BUILD still runs POST_BUILD and UPLOAD_ARTIFACTS (phase `on-failure: CONTINUE`
and `finally` blocks are honoured). EMULATOR LIMIT: a buildspec that is a path
(e.g. "buildspec.yml", or none) cannot be read, since moto's sources hold no
files: no commands run, the build succeeds, and the log says so in one line.
Log lines, in CodeBuild's "[Container] YYYY/MM/DD HH:MM:SS.ffffff ..." style
plus each command's output, are written into moto's CloudWatch Logs backend as
they happen (group created if missing, stream created at PROVISIONING).
PARAMETER_STORE / SECRETS_MANAGER variables expand to "***", as CodeBuild
masks them. StopBuild, BatchGetBuilds (buildsNotFound), ListBuildsForProject
and ListBuilds (sortOrder, 100 ids a page) read the live state.

CodePipeline (patch_pipeline_runs): StartPipelineExecution validates the
variables (V2 pipelines only, declared names, values for variables without a
default) and starts a daemon thread that runs the stages in order, each
stage's actions by runOrder group: Source and other actions succeed after one
base time, CodeBuild actions run a build of configuration.ProjectName through
the same code as StartBuild (initiator "codepipeline/PIPELINE",
configuration.EnvironmentVariables as overrides) and end with it, Manual
approvals stay InProgress. A disabled inbound transition holds the execution
(InProgress) before its stage until enabled. Get/ListPipelineExecutions and
GetPipelineState (through stage_state, called by launcher.py's
patch_pipeline_transitions) report the live state; StopPipelineExecution
stops (Stopping, then Stopped) or abandons (Stopped at once), stopping the
builds it started. EMULATOR LIMITS: executions run independently of each other
(no superseding or queueing by executionMode); stage onFailure/conditions are
not modelled (a failure fails the execution).
"""

import copy
import json
import re
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
from datetime import datetime, timezone

import yaml

PHASES = ("SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD",
          "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED")
COMMAND_PHASES = {"INSTALL": "install", "PRE_BUILD": "pre_build", "BUILD": "build", "POST_BUILD": "post_build"}
# Where a build goes after a FAILED phase (CodeBuild user guide, "Build phase transitions").
AFTER_FAILURE = {"DOWNLOAD_SOURCE": "FINALIZING", "INSTALL": "FINALIZING", "PRE_BUILD": "FINALIZING",
                 "BUILD": "POST_BUILD", "POST_BUILD": "UPLOAD_ARTIFACTS", "UPLOAD_ARTIFACTS": "FINALIZING",
                 "SUBMITTED": "FINALIZING", "QUEUED": "FINALIZING", "PROVISIONING": "FINALIZING"}
SECRET_TYPES = ("PARAMETER_STORE", "SECRETS_MANAGER")
MASK = "***"
SLEEP_CAP = 30.0
# Who started a build by hand: the tests' caller (the same name launcher.py
# gives the caller in GetPipelineState's lastChangedBy).
CALLER = "cbctl-tests"
SETTINGS = {"phase_seconds": 0.3}
# One lock for every build and execution (state changes and reads, and the
# CloudWatch Logs writes and reads they race with): requests are served on
# threads of their own.
LOCK = threading.RLock()


def base_seconds():
    return SETTINGS["phase_seconds"]


def now():
    return time.time()


def _error(code, message):
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


# ------------------------------------------------------ command interpreter --
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def expand(text, env):
    """$VAR, ${VAR} and ${VAR:-default} from env (name -> shown value)."""
    def one(m):
        name = m[1] or m[3]
        if name in env and env[name] != "":
            return env[name]
        return m[2] or ""
    return _VAR.sub(one, text)


def split_command(text):
    """A command string as [(connector, segment)]: connector is None for the
    first, else ";", "&&", "||" or "|" (a newline counts as ";"). Quotes and
    backslashes are honoured."""
    parts, cur, quote, i, connector = [], [], None, 0, None
    while i < len(text):
        ch = text[i]
        if quote:
            cur.append(ch)
            if ch == "\\" and quote == '"' and i + 1 < len(text):
                cur.append(text[i + 1])
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            cur.append(ch)
        elif ch == "\\" and i + 1 < len(text):
            cur.extend(text[i:i + 2])
            i += 1
        elif text.startswith("&&", i) or text.startswith("||", i):
            parts.append((connector, "".join(cur)))
            cur, connector = [], text[i:i + 2]
            i += 1
        elif ch in ";\n|":
            parts.append((connector, "".join(cur)))
            cur, connector = [], (";" if ch == "\n" else ch)
        else:
            cur.append(ch)
        i += 1
    parts.append((connector, "".join(cur)))
    return [(c, s) for c, s in parts if s.strip() or c is None]


def words(segment, env):
    """The words of one simple command, quotes removed and variables expanded
    (none inside single quotes)."""
    out, cur, has, i = [], [], False, 0
    while i < len(segment):
        ch = segment[i]
        if ch.isspace():
            if has:
                out.append("".join(cur))
            cur, has = [], False
        elif ch == "'":
            end = segment.find("'", i + 1)
            end = len(segment) if end < 0 else end
            cur.append(segment[i + 1:end])
            has, i = True, end
        elif ch == '"':
            j, buf = i + 1, []
            while j < len(segment) and segment[j] != '"':
                if segment[j] == "\\" and j + 1 < len(segment) and segment[j + 1] in '"\\$`':
                    j += 1
                buf.append(segment[j])
                j += 1
            cur.append(expand("".join(buf), env))
            has, i = True, j
        elif ch == "\\" and i + 1 < len(segment):
            cur.append(segment[i + 1])
            has, i = True, i + 1
        elif ch == "$":
            m = _VAR.match(segment, i)
            if m:
                cur.append(expand(m[0], env))
                has, i = True, m.end() - 1
            else:
                cur.append(ch)
                has = True
        else:
            cur.append(ch)
            has = True
        i += 1
    if has:
        out.append("".join(cur))
    return out


def run_simple(argv, env, assign):
    """(exit status, output lines, seconds to sleep, exits shell) of one simple command."""
    if not argv:
        return 0, [], 0.0, False
    while argv and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", argv[0], re.S):
        name, _, value = argv[0].partition("=")
        if len(argv) == 1:
            assign(name, value)
        argv = argv[1:]
    if not argv:
        return 0, [], 0.0, False
    name, args = argv[0], argv[1:]
    if name == "echo":
        while args and args[0] in ("-n", "-e", "-E"):
            args = args[1:]
        return 0, " ".join(args).split("\n"), 0.0, False
    if name == "exit":
        try:
            return (int(args[0]) % 256 if args else 0), [], 0.0, True
        except ValueError:
            return 2, [f"/codebuild/output/tmp/script.sh: exit: Illegal number: {args[0]}"], 0.0, True
    if name in ("false",):
        return 1, [], 0.0, False
    if name in ("true", ":"):
        return 0, [], 0.0, False
    if name == "sleep":
        try:
            seconds = float(re.sub(r"s$", "", args[0]))
        except (ValueError, IndexError):
            return 1, ["sleep: invalid time interval"], 0.0, False
        return 0, [], max(0.0, min(seconds, SLEEP_CAP)), False
    if name == "export":
        for arg in args:
            if "=" in arg:
                key, _, value = arg.partition("=")
                assign(key, value)
        return 0, [], 0.0, False
    return 0, [], 0.0, False


# ----------------------------------------------------------------- builds --
def _utc(ts):
    return datetime.fromtimestamp(ts, timezone.utc)


def container_line(text, ts):
    return f"[Container] {_utc(ts).strftime('%Y/%m/%d %H:%M:%S.%f')} {text}"


def parse_buildspec(text):
    """("inline", mapping) for an inline YAML buildspec, ("path", name) for a
    buildspec file in the source, ("error", message) for inline YAML that
    CodeBuild would refuse."""
    text = text or ""
    if not text.strip():
        return "path", "buildspec.yml"
    try:
        doc = yaml.load(text, Loader=yaml.BaseLoader)  # every scalar a string, as the shell sees it
    except yaml.YAMLError as e:
        if "\n" in text or ":" in text:
            return "error", f"YAML_FILE_ERROR: {str(e).splitlines()[0]}"
        return "path", text.strip()
    if isinstance(doc, dict):
        phases = doc.get("phases") or {}
        if not isinstance(phases, dict):
            return "error", "YAML_FILE_ERROR: phases is not a mapping"
        return "inline", doc
    return "path", text.strip()


def phase_commands(spec, key):
    """(commands, finally commands, continue after failure) of a buildspec phase."""
    phase = ((spec.get("phases") or {}).get(key)) or {}
    if not isinstance(phase, dict):
        return [], [], False

    def listed(value):
        if value is None:
            return []
        return [str(c) for c in (value if isinstance(value, list) else [value])]
    return listed(phase.get("commands")), listed(phase.get("finally")), str(phase.get("on-failure", "ABORT")).upper() == "CONTINUE"


def codebuild_runs(backend):
    """The emulator's builds of one CodeBuild backend (account, region)."""
    return backend.__dict__.setdefault("cbctl_runs", {"builds": {}, "by_project": {}, "numbers": {}, "tokens": {}})


def find_project(backend, name):
    projects = backend.codebuild_projects
    return projects.get(name) or next((p for p in projects.values() if p.arn == name), None)


def merged_variables(project_vars, overrides):
    """The project's variables, each replaced by an override of the same name,
    then the overrides naming new variables (type PLAINTEXT when left out)."""
    merged = [dict(v) for v in project_vars or []]
    for o in overrides or []:
        o = {"name": o.get("name"), "value": o.get("value", ""), "type": o.get("type") or "PLAINTEXT"}
        for i, v in enumerate(merged):
            if v.get("name") == o["name"]:
                merged[i] = o
                break
        else:
            merged.append(o)
    for v in merged:
        v.setdefault("type", "PLAINTEXT")
    return merged


def build_artifacts(artifacts):
    artifacts = artifacts or {}
    if artifacts.get("type") == "S3":
        path = "/".join(x for x in (artifacts.get("location"), artifacts.get("path"), artifacts.get("name")) if x)
        out = {"location": f"arn:aws:s3:::{path}"}
        if "encryptionDisabled" in artifacts:
            out["encryptionDisabled"] = artifacts["encryptionDisabled"]
        return out
    return {"location": ""}


class Build:
    """One build: its record (the Build shape, as BatchGetBuilds answers) and
    the daemon thread that moves it through its phases."""

    def __init__(self, backend, project, request, initiator, account, region):
        meta = project.project_metadata
        self.backend, self.account, self.region = backend, account, region
        build_uuid = str(uuid.uuid4())
        name = meta["name"]
        runs = codebuild_runs(backend)
        runs["numbers"][name] = runs["numbers"].get(name, 0) + 1
        self.id = f"{name}:{build_uuid}"
        source = copy.deepcopy(meta.get("source") or {})
        for key, member in (("sourceTypeOverride", "type"), ("sourceLocationOverride", "location"),
                            ("gitCloneDepthOverride", "gitCloneDepth"), ("gitSubmodulesConfigOverride", "gitSubmodulesConfig"),
                            ("buildspecOverride", "buildspec"), ("insecureSslOverride", "insecureSsl"),
                            ("reportBuildStatusOverride", "reportBuildStatus"), ("buildStatusConfigOverride", "buildStatusConfig"),
                            ("sourceAuthOverride", "auth")):
            if key in request:
                source[member] = request[key]
        environment = copy.deepcopy(meta.get("environment") or {})
        for key, member in (("environmentTypeOverride", "type"), ("imageOverride", "image"), ("computeTypeOverride", "computeType"),
                            ("certificateOverride", "certificate"), ("privilegedModeOverride", "privilegedMode"),
                            ("imagePullCredentialsTypeOverride", "imagePullCredentialsType"),
                            ("registryCredentialOverride", "registryCredential"), ("fleetOverride", "fleet")):
            if key in request:
                environment[member] = request[key]
        environment["environmentVariables"] = merged_variables(environment.get("environmentVariables"),
                                                                request.get("environmentVariablesOverride"))
        logs_config = copy.deepcopy(request.get("logsConfigOverride") or meta.get("logsConfig") or {})
        cloudwatch = logs_config.get("cloudWatchLogs") or {"status": "ENABLED"}
        s3_logs = logs_config.get("s3Logs") or {"status": "DISABLED", "encryptionDisabled": False}
        logs = {"cloudWatchLogs": cloudwatch, "s3Logs": s3_logs}
        self.group = self.stream = None
        if cloudwatch.get("status") != "DISABLED":
            self.group = cloudwatch.get("groupName") or f"/aws/codebuild/{name}"
            self.stream = (cloudwatch["streamName"] + "/" if cloudwatch.get("streamName") else "") + build_uuid
            quote = lambda s: urllib.parse.quote(s, safe="")  # noqa: E731
            logs.update({
                "groupName": self.group,
                "streamName": self.stream,
                "deepLink": f"https://console.aws.amazon.com/cloudwatch/home?region={region}#logsV2:log-groups/log-group/"
                            f"{quote(self.group)}/log-events/{quote(self.stream)}",
                "cloudWatchLogsArn": f"arn:aws:logs:{region}:{account}:log-group:{self.group}:log-stream:{self.stream}",
            })
        started = now()
        record = {
            "id": self.id,
            "arn": f"arn:aws:codebuild:{region}:{account}:build/{self.id}",
            "buildNumber": runs["numbers"][name],
            "startTime": started,
            "currentPhase": "SUBMITTED",
            "buildStatus": "IN_PROGRESS",
            "projectName": name,
            "phases": [{"phaseType": "SUBMITTED", "startTime": started}],
            "source": source,
            "secondarySources": copy.deepcopy(request.get("secondarySourcesOverride", meta.get("secondarySources") or [])),
            "secondarySourceVersions": copy.deepcopy(request.get("secondarySourcesVersionOverride",
                                                                 meta.get("secondarySourceVersions") or [])),
            "artifacts": build_artifacts(request.get("artifactsOverride") or meta.get("artifacts")),
            "cache": copy.deepcopy(request.get("cacheOverride") or meta.get("cache") or {"type": "NO_CACHE"}),
            "environment": environment,
            "serviceRole": request.get("serviceRoleOverride") or meta.get("serviceRole"),
            "logs": logs,
            "timeoutInMinutes": request.get("timeoutInMinutesOverride") or meta.get("timeoutInMinutes") or 60,
            "queuedTimeoutInMinutes": request.get("queuedTimeoutInMinutesOverride") or meta.get("queuedTimeoutInMinutes") or 480,
            "buildComplete": False,
            "initiator": initiator,
            "encryptionKey": request.get("encryptionKeyOverride") or meta.get("encryptionKey"),
        }
        version = request.get("sourceVersion") or meta.get("sourceVersion")
        if version:
            record["sourceVersion"] = version
        for key in ("vpcConfig", "fileSystemLocations"):
            if meta.get(key):
                record[key] = copy.deepcopy(meta[key])
        self.record = record
        self.stop_requested = threading.Event()
        self.phase_ended = threading.Event()  # set when a stop has ended the current phase
        self.last_log_ms = 0
        self.stream_ready = False
        # The shell's variables, lowest precedence first: the buildspec's env,
        # the project's merged with the overrides, CodeBuild's own.
        self.kind, self.spec = parse_buildspec(source.get("buildspec"))
        shown = {}
        if self.kind == "inline":
            env_section = self.spec.get("env") or {}
            for k, v in (env_section.get("variables") or {}).items():
                shown[str(k)] = "" if v is None else str(v)
            for section in ("parameter-store", "secrets-manager"):
                for k in (env_section.get(section) or {}):
                    shown[str(k)] = MASK
        for v in environment["environmentVariables"]:
            shown[v["name"]] = MASK if v.get("type") in SECRET_TYPES else str(v.get("value", ""))
        shown.update({
            "CODEBUILD_BUILD_ID": self.id, "CODEBUILD_BUILD_ARN": record["arn"],
            "CODEBUILD_BUILD_NUMBER": str(record["buildNumber"]), "CODEBUILD_INITIATOR": initiator,
            "CODEBUILD_SOURCE_VERSION": version or "", "CODEBUILD_BUILD_SUCCEEDING": "1",
            "CODEBUILD_SRC_DIR": "/codebuild/output/src1/src", "CODEBUILD_BUILD_IMAGE": environment.get("image", ""),
            "CODEBUILD_LOG_PATH": self.stream or "", "CODEBUILD_START_TIME": str(int(started * 1000)),
            "AWS_REGION": region, "AWS_DEFAULT_REGION": region,
        })
        self.env = shown
        runs["builds"][self.id] = self
        runs["by_project"].setdefault(name, []).append(self.id)
        self.thread = threading.Thread(target=self._main, name=f"build {self.id}", daemon=True)

    # -- reads --
    def snapshot(self):
        with LOCK:
            return copy.deepcopy(self.record)

    @property
    def status(self):
        return self.record["buildStatus"]

    @property
    def complete(self):
        return self.record["buildComplete"]

    # -- the run --
    def _main(self):
        try:
            self._run()
        except Exception:  # noqa: BLE001 -- a bug here must not hang the build forever
            traceback.print_exc(file=sys.stderr)
            with LOCK:
                if not self.record["buildComplete"]:
                    self.record.update({"buildStatus": "FAULT", "currentPhase": "COMPLETED", "buildComplete": True, "endTime": now()})

    def _run(self):
        failed = stopped = False
        phase = "SUBMITTED"
        while phase != "FINALIZING":
            result, keep_going = self._phase(phase)
            if result == "STOPPED":
                stopped = True
                phase = "FINALIZING"
            elif result == "FAILED":
                failed = True
                self.env["CODEBUILD_BUILD_SUCCEEDING"] = "0"
                phase = PHASES[PHASES.index(phase) + 1] if keep_going else AFTER_FAILURE[phase]
            else:
                phase = PHASES[PHASES.index(phase) + 1]
        self._start("FINALIZING")
        time.sleep(base_seconds())
        self._end("SUCCEEDED")
        with LOCK:
            self._start("COMPLETED")
            ended = self.record["phases"][-1]["startTime"]
            self.record.update({"buildStatus": "STOPPED" if stopped else "FAILED" if failed else "SUCCEEDED",
                                "buildComplete": True, "endTime": ended})
        self.phase_ended.set()

    def _start(self, phase):
        with LOCK:
            if phase != "SUBMITTED":
                self.record["phases"].append({"phaseType": phase, "startTime": now()})
            self.record["currentPhase"] = phase

    def _end(self, status, context=None):
        with LOCK:
            record = self.record["phases"][-1]
            ended = now()
            record.update({"phaseStatus": status, "endTime": ended,
                           "durationInSeconds": int(ended - record["startTime"])})
            if context:
                record["contexts"] = [context]

    def _wait(self, seconds):
        """Wait, unless a stop comes first: False when stopped."""
        return not self.stop_requested.wait(seconds) if seconds > 0 else not self.stop_requested.is_set()

    def _phase(self, phase):
        """Run one phase (not FINALIZING/COMPLETED): (status, continue after failure)."""
        self._start(phase)
        if self.stop_requested.is_set():
            return self._stopped(phase), False
        context, keep_going, status = None, False, "SUCCEEDED"
        if phase == "PROVISIONING":
            self._open_stream()
            self._log(container_line("Waiting for agent ping", now()))
            self._log(container_line("Waiting for DOWNLOAD_SOURCE", now()))
        elif phase == "DOWNLOAD_SOURCE":
            self._log(container_line("Phase is DOWNLOAD_SOURCE", now()))
            self._log(container_line(f"CODEBUILD_SRC_DIR={self.env['CODEBUILD_SRC_DIR']}", now()))
            if self.kind == "path":
                self._log(container_line(
                    f"EMULATOR: the buildspec {self.spec} is a file in the source, which the emulator does not model: "
                    "no commands run", now()))
            elif self.kind == "error":
                status = "FAILED"
                context = {"statusCode": "YAML_FILE_ERROR", "message": self.spec[len("YAML_FILE_ERROR: "):]}
            else:
                found = [k for k in COMMAND_PHASES.values() if phase_commands(self.spec, k)[0]]
                self._log(container_line(f"Phases found in YAML: {len(found)}", now()))
                for k in found:
                    self._log(container_line(f" {k.upper()}: {len(phase_commands(self.spec, k)[0])} commands", now()))
        elif phase in COMMAND_PHASES or phase == "UPLOAD_ARTIFACTS":
            self._log(container_line(f"Entering phase {phase}", now()))
            if phase in COMMAND_PHASES and self.kind == "inline":
                commands, finally_, keep_going = phase_commands(self.spec, COMMAND_PHASES[phase])
                outcome = self._commands(commands)
                if outcome != "STOPPED" and finally_:
                    later = self._commands(finally_)
                    outcome = later if outcome is None else outcome
                if outcome == "STOPPED":
                    return self._stopped(phase), False
                if outcome is not None:
                    status, context = "FAILED", outcome
        if not self._wait(base_seconds()):
            return self._stopped(phase), False
        self._end(status, context)
        if phase in COMMAND_PHASES or phase in ("DOWNLOAD_SOURCE", "UPLOAD_ARTIFACTS"):
            self._log(container_line(f"Phase complete: {phase} State: {status}", now()))
            code, message = (context["statusCode"], context["message"]) if context else ("", "")
            self._log(container_line(f"Phase context status code: {code} Message: {message}", now()))
        return status, keep_going

    def _stopped(self, phase):
        self._end("STOPPED")
        self.phase_ended.set()
        if self.stream_ready and phase not in ("SUBMITTED", "QUEUED", "PROVISIONING"):
            self._log(container_line(f"Phase complete: {phase} State: STOPPED", now()))
        return "STOPPED"

    def _commands(self, commands):
        """Run commands until one fails: None (all succeeded), "STOPPED", or
        the failure's phase context."""
        for command in commands:
            self._log(container_line(f"Running command {command}", now()))
            status = 0
            parts = split_command(command)
            for index, (connector, segment) in enumerate(parts):
                if connector == "&&" and status != 0 or connector == "||" and status == 0:
                    continue
                piped = index + 1 < len(parts) and parts[index + 1][0] == "|"
                code, lines, pause, exits = run_simple(words(segment, self.env), self.env, self._assign)
                if not piped:
                    for line in lines:
                        if line:
                            self._log(line)
                if pause and not self._wait(pause):
                    return "STOPPED"
                status = code
                if exits:
                    break
            if self.stop_requested.is_set():
                return "STOPPED"
            if status != 0:
                self._log(container_line(f"Command did not exit successfully {command} exit status {status}", now()))
                return {"statusCode": "COMMAND_EXECUTION_ERROR",
                        "message": f"Error while executing command: {command}. Reason: exit status {status}"}
        return None

    def _assign(self, name, value):
        self.env[name] = value

    # -- CloudWatch Logs --
    def _logs_backend(self):
        from moto.logs.models import logs_backends

        return logs_backends[self.account][self.region]

    def _open_stream(self):
        if not self.group:
            return
        with LOCK:
            try:
                logs = self._logs_backend()
                logs.ensure_log_group(self.group)  # CodeBuild creates a missing group
                logs.ensure_log_stream(self.group, self.stream)
                self.stream_ready = True
            except Exception:  # noqa: BLE001 -- logs are best effort, as CodeBuild's are
                traceback.print_exc(file=sys.stderr)

    def _log(self, message):
        if not self.stream_ready:
            return
        with LOCK:
            ms = max(self.last_log_ms, int(now() * 1000))
            self.last_log_ms = ms
            try:
                # Each line its own event, ending in a newline as CodeBuild's do.
                self._logs_backend().put_log_events(self.group, self.stream, [{"timestamp": ms, "message": message + "\n"}])
            except Exception:  # noqa: BLE001 -- e.g. the group was deleted meanwhile
                pass

    # -- stop --
    def stop(self):
        """Ask the build to stop; wait (up to a second) until its phase has ended."""
        with LOCK:
            if self.record["buildComplete"]:
                return
            self.stop_requested.set()
        self.phase_ended.wait(1.0)


def start_build(backend, request, initiator, account, region):
    """StartBuild's work, for CodeBuild and for pipeline actions: the Build."""
    name = request.get("projectName")
    with LOCK:
        project = find_project(backend, name)
        if project is None:
            raise _error("ResourceNotFoundException", f"Project cannot be found: arn:aws:codebuild:{region}:{account}:project/{name}")
        runs = codebuild_runs(backend)
        token = request.get("idempotencyToken")
        if token and (project.arn, token) in runs["tokens"]:
            known = runs["builds"].get(runs["tokens"][(project.arn, token)])
            if known is not None:
                return known
        build = Build(backend, project, request, initiator, account, region)
        if token:
            runs["tokens"][(project.arn, token)] = build.id
    build.thread.start()
    return build


def patch_codebuild_runs():
    from moto.codebuild import models as cbm
    from moto.codebuild.responses import CodeBuildResponse
    from moto.core.responses import ActionResult

    def start_build_response(self):
        request = json.loads(self.body or "{}")
        build = start_build(self.codebuild_backend, request, CALLER, self.current_account, self.region)
        return ActionResult({"build": build.snapshot()})

    def lookup(backend, build_id):
        builds = codebuild_runs(backend)["builds"]
        return builds.get(build_id) or next((b for b in builds.values() if b.record["arn"] == build_id), None)

    def batch_get_builds(self):
        ids = self._get_param("ids") or []
        found, missing = [], []
        with LOCK:
            for build_id in ids:
                build = lookup(self.codebuild_backend, build_id)
                (found.append(build.snapshot()) if build else missing.append(build_id))
        return ActionResult({"builds": found, "buildsNotFound": missing})

    def stop_build(self):
        build_id = self._get_param("id")
        build = lookup(self.codebuild_backend, build_id)
        if build is None:
            raise _error("ResourceNotFoundException", f"Build {build_id} does not exist")
        # A finished build is returned as it is (AWS documents no error for it).
        build.stop()
        return ActionResult({"build": build.snapshot()})

    def page(ids, descending, token):
        if token is not None and not str(token).isdigit():
            raise _error("InvalidInputException", "Invalid pagination token")
        ids = list(reversed(ids)) if descending else list(ids)
        start = int(token or 0)
        result = {"ids": ids[start:start + 100]}
        if start + 100 < len(ids):
            result["nextToken"] = str(start + 100)
        return result

    def list_builds_for_project(self):
        name = self._get_param("projectName")
        backend = self.codebuild_backend
        with LOCK:
            project = find_project(backend, name)
            if project is None:
                raise _error("ResourceNotFoundException",
                             f"The provided project arn:aws:codebuild:{self.region}:{self.current_account}:project/{name} does not exist")
            ids = list(codebuild_runs(backend)["by_project"].get(project.project_metadata["name"], []))
        return ActionResult(page(ids, self._get_param("sortOrder", "DESCENDING") != "ASCENDING", self._get_param("nextToken")))

    def list_builds(self):
        with LOCK:
            builds = sorted(codebuild_runs(self.codebuild_backend)["builds"].values(), key=lambda b: b.record["startTime"])
            ids = [b.id for b in builds]
        return ActionResult(page(ids, self._get_param("sortOrder", "DESCENDING") != "ASCENDING", self._get_param("nextToken")))

    orig_delete = cbm.CodeBuildBackend.delete_project

    def delete_project(self, project_name):
        # The project's builds stay readable by id (BatchGetBuilds), their
        # threads run on; a project created again under the name starts from
        # build number 1 with no builds listed (unconfirmed: AWS keys builds
        # by the project's ARN, which is the same again).
        with LOCK:
            project = find_project(self, project_name)
            if project is not None:
                runs = codebuild_runs(self)
                name = project.project_metadata["name"]
                runs["by_project"].pop(name, None)
                runs["numbers"].pop(name, None)
            orig_delete(self, project_name)

    CodeBuildResponse.start_build = start_build_response
    CodeBuildResponse.batch_get_builds = batch_get_builds
    CodeBuildResponse.stop_build = stop_build
    CodeBuildResponse.list_builds_for_project = list_builds_for_project
    CodeBuildResponse.list_builds = list_builds
    cbm.CodeBuildBackend.delete_project = delete_project


def patch_logs_reads():
    """GetLogEvents reads a stream the build threads write: read it under their
    lock. moto's tokens already behave as CloudWatch Logs documents them (with
    startFromHead and the previous nextForwardToken only newer events come
    back, and at the end of the stream the same nextForwardToken), which
    test_launcher.py checks."""
    from moto.logs import models as lm

    orig = lm.LogsBackend.get_log_events

    def get_log_events(self, *args, **kwargs):
        with LOCK:
            return orig(self, *args, **kwargs)

    lm.LogsBackend.get_log_events = get_log_events


# -------------------------------------------------------------- pipelines --
STAGE_RUNS = "cbctl_stage_runs"  # on moto's CodePipeline: stage name -> the stage's latest run
TRANSITIONS = "cbctl_transitions"  # launcher.py's patch_pipeline_transitions: stage -> (enabled, reason, at)


def pipeline_of(response, name):
    """The pipeline a CodePipeline request names (launcher.py's transitions use it too)."""
    p = response.codepipeline_backend.pipelines.get(name)
    if p is None:
        raise _error("PipelineNotFoundException", f"Account '{response.current_account}' does not have a pipeline with name '{name}'")
    return p


def stage_runs(p):
    return p.__dict__.setdefault(STAGE_RUNS, {})


def transition_enabled(p, stage):
    return p.__dict__.get(TRANSITIONS, {}).get(stage, (True, None, None))[0]


def resolve(text, execution):
    """#{variables.NAME} and #{codepipeline.PipelineExecutionId} in an action's configuration."""
    values = {v["name"]: v["value"] for v in execution.variables}

    def one(m):
        namespace, key = m[1], m[2]
        if namespace == "variables" and key in values:
            return values[key]
        if namespace == "codepipeline" and key == "PipelineExecutionId":
            return execution.id
        return m[0]
    return re.sub(r"#\{([A-Za-z0-9@_-]+)\.([A-Za-z0-9@_-]+)\}", one, text) if isinstance(text, str) else text


class Execution:
    """One pipeline execution and the daemon thread that runs it."""

    def __init__(self, pipeline, account, region, variables, token):
        self.pipeline = pipeline
        self.account, self.region = account, region
        self.declaration = copy.deepcopy(pipeline.pipeline)
        self.name = self.declaration["name"]
        self.id = str(uuid.uuid4())
        self.version = self.declaration.get("version", 1)
        self.variables = variables
        self.token = token
        self.status = "InProgress"
        self.start_time = self.updated = now()
        self.stop_reason = None
        self.stop_requested = False
        self.abandoned = False
        self.stage_status = {}  # stage name -> this execution's status there
        self.running = []  # (stage, action name, action state, Build or None) of the current runOrder group
        self.thread = threading.Thread(target=self._main, name=f"execution {self.id}", daemon=True)

    def touch(self):
        self.updated = now()

    # -- answers --
    def to_dict(self):
        out = {
            "pipelineName": self.name,
            "pipelineVersion": self.version,
            "pipelineExecutionId": self.id,
            "status": self.status,
            "artifactRevisions": [],
            "variables": [{"name": v["name"], "resolvedValue": v["value"]} for v in self.variables],
            "trigger": self.trigger(),
            "executionMode": self.declaration.get("executionMode", "SUPERSEDED"),
            "executionType": "STANDARD",
        }
        return out

    def to_summary_dict(self):
        out = {
            "pipelineExecutionId": self.id,
            "status": self.status,
            "startTime": self.start_time,
            "lastUpdateTime": self.updated,
            "sourceRevisions": [],
            "trigger": self.trigger(),
            "executionMode": self.declaration.get("executionMode", "SUPERSEDED"),
            "executionType": "STANDARD",
        }
        if self.stop_reason is not None:
            out["stopTrigger"] = {"reason": self.stop_reason}
        return out

    def trigger(self):
        return {"triggerType": "StartPipelineExecution", "triggerDetail": f"arn:aws:iam::{self.account}:user/{CALLER}"}

    # -- the run --
    def _main(self):
        try:
            self._run()
        except Exception:  # noqa: BLE001
            traceback.print_exc(file=sys.stderr)
            with LOCK:
                if self.status in ("InProgress", "Stopping"):
                    self.status = "Failed"
                    self.touch()

    def _gone(self):
        """The pipeline was deleted (or replaced by a new one of the name)."""
        from moto.codepipeline.models import codepipeline_backends

        return codepipeline_backends[self.account][self.region].pipelines.get(self.name) is not self.pipeline

    def _finish(self, status):
        with LOCK:
            if not self.abandoned:
                self.status = status
                self.touch()

    def _run(self):
        tick = min(0.05, max(0.005, base_seconds() / 5))
        runs = stage_runs(self.pipeline)
        for index, stage in enumerate(self.declaration.get("stages") or []):
            name = stage["name"]
            if index > 0:
                while True:
                    with LOCK:
                        if self.abandoned:
                            return
                        if self.stop_requested or transition_enabled(self.pipeline, name):
                            if runs.get(name, {}).get("inbound") == self.id:
                                runs[name].pop("inbound")
                        if self.stop_requested:
                            self._finish("Stopped")
                            return
                        if transition_enabled(self.pipeline, name):
                            break
                        runs.setdefault(name, {"actions": {}})["inbound"] = self.id
                    if self._gone():
                        return
                    time.sleep(tick)
            with LOCK:
                if self.abandoned:
                    return
                if self.stop_requested:
                    self._finish("Stopped")
                    return
                entry = runs.setdefault(name, {"actions": {}})
                entry["latest"] = {"pipelineExecutionId": self.id, "status": "InProgress"}
                self.stage_status[name] = "InProgress"
                self.touch()
            outcome = self._stage(stage, entry, tick)
            with LOCK:
                if self.abandoned:
                    return
                if entry.get("latest", {}).get("pipelineExecutionId") == self.id:
                    entry["latest"]["status"] = outcome
                self.stage_status[name] = outcome
            if outcome == "Failed":
                self._finish("Failed")
                return
            if outcome == "Stopped":
                self._finish("Stopped")
                return
        self._finish("Succeeded")

    def _stage(self, stage, entry, tick):
        actions = stage.get("actions") or []
        for order in sorted({a.get("runOrder", 1) for a in actions}):
            group = [a for a in actions if a.get("runOrder", 1) == order]
            with LOCK:
                if self.stop_requested:
                    return "Stopped"
                self.running = [self._start_action(stage["name"], a, entry) for a in group]
            while True:
                with LOCK:
                    if self.abandoned:
                        return "Stopped"
                    pending = [r for r in self.running if self._settle(r)]
                    if not pending:
                        break
                if self._gone():
                    return "Stopped"
                time.sleep(tick)
            with LOCK:
                if self.stop_requested:
                    return "Stopped"
                if any(r["state"]["status"] == "Failed" for r in self.running):
                    return "Failed"
        return "Succeeded"

    def _start_action(self, stage_name, action, entry):
        """Start one action (under LOCK): its running record."""
        kind = action.get("actionTypeId") or {}
        config = {k: resolve(v, self) for k, v in (action.get("configuration") or {}).items()}
        state = {"actionExecutionId": str(uuid.uuid4()), "status": "InProgress", "lastStatusChange": now()}
        run = {"state": state, "build": None, "due": None, "kind": kind}
        region = action.get("region") or self.region
        if kind.get("provider") == "CodeBuild":
            from moto.codebuild.models import codebuild_backends

            overrides = []
            try:
                overrides = json.loads(config.get("EnvironmentVariables") or "[]")
            except ValueError:
                pass
            request = {"projectName": config.get("ProjectName")}
            if overrides:
                request["environmentVariablesOverride"] = [
                    {"name": o.get("name"), "value": str(o.get("value", "")), "type": o.get("type", "PLAINTEXT")} for o in overrides]
            try:
                build = start_build(codebuild_backends[self.account][region], request, f"codepipeline/{self.name}", self.account, region)
            except Exception as e:  # noqa: BLE001 -- e.g. the project does not exist
                message = getattr(e, "message", None) or str(e)
                state.update({"status": "Failed", "errorDetails": {
                    "code": "JobFailed",
                    # Unconfirmed wording, after what the console shows for a missing project.
                    "message": f"Error calling startBuild: {message} (Service: AWSCodeBuild; Status Code: 400; "
                               f"Error Code: {getattr(e, 'error_type', 'ResourceNotFoundException')})"}})
            else:
                run["build"] = build
                state["externalExecutionId"] = build.id
                state["externalExecutionUrl"] = (f"https://console.aws.amazon.com/codebuild/home?region={region}#/builds/"
                                                 f"{urllib.parse.quote(build.id, safe='')}/view/new")
        elif kind.get("category") == "Approval":
            state["token"] = str(uuid.uuid4())
        else:
            run["due"] = now() + base_seconds()
            if kind.get("category") == "Source":
                run["summary"] = "emulated source"
        entry.setdefault("actions", {})[action["name"]] = state
        self.touch()
        return run

    def _settle(self, run):
        """Bring one running action up to date (under LOCK): True while it runs."""
        state = run["state"]
        if state["status"] != "InProgress":
            return False
        build = run["build"]
        if build is not None:
            if not build.complete:
                return True
            if build.status == "SUCCEEDED":
                state.update({"status": "Succeeded"})
            else:
                state.update({"status": "Failed", "errorDetails": {
                    "code": "JobFailed", "message": f"Build terminated with state: {build.status}"}})
        elif run["due"] is not None:
            if now() < run["due"]:
                return True
            state["status"] = "Succeeded"
            if run.get("summary"):
                state["summary"] = run["summary"]
        elif self.stop_requested:  # an approval: nothing to wait for once stopping
            state["status"] = "Abandoned"
        else:
            return True
        state["lastStatusChange"] = now()
        self.touch()
        return False

    # -- stop --
    def stop(self, abandon, reason):
        """StopPipelineExecution's work (under LOCK): builds of the current
        runOrder group are stopped; abandoning ends the execution at once."""
        self.stop_requested = True
        self.stop_reason = reason or ""
        builds = [r["build"] for r in self.running if r["build"] is not None and r["state"]["status"] == "InProgress"]
        if abandon:
            self.abandoned = True
            for r in self.running:
                if r["state"]["status"] == "InProgress":
                    r["state"].update({"status": "Abandoned", "lastStatusChange": now()})
            runs = stage_runs(self.pipeline)
            for name, status in self.stage_status.items():
                if status == "InProgress":
                    self.stage_status[name] = "Stopped"
                    entry = runs.get(name, {})
                    if entry.get("latest", {}).get("pipelineExecutionId") == self.id:
                        entry["latest"]["status"] = "Stopped"
            for entry in runs.values():
                if entry.get("inbound") == self.id:
                    entry.pop("inbound")
            self.status = "Stopped"
        else:
            self.status = "Stopping"
            for name, status in self.stage_status.items():
                if status == "InProgress":
                    entry = stage_runs(self.pipeline).get(name, {})
                    if entry.get("latest", {}).get("pipelineExecutionId") == self.id:
                        entry["latest"]["status"] = "Stopping"
        self.touch()
        return builds


def stage_state(p, stage, region):
    """What GetPipelineState adds to one stage's state: latestExecution once
    an execution entered it, inboundExecution while one waits at its disabled
    transition, and one actionStates entry per declared action (with its
    latestExecution once run)."""
    with LOCK:
        entry = stage_runs(p).get(stage["name"], {})
        out = {"actionStates": []}
        for action in stage.get("actions") or []:
            state = {"actionName": action["name"]}
            kind = action.get("actionTypeId") or {}
            if kind.get("provider") == "CodeBuild" and (action.get("configuration") or {}).get("ProjectName"):
                project = action["configuration"]["ProjectName"]
                state["entityUrl"] = f"https://console.aws.amazon.com/codebuild/home?region={action.get('region') or region}#/projects/{project}/view"
            latest = entry.get("actions", {}).get(action["name"])
            if latest is not None:
                state["latestExecution"] = copy.deepcopy(latest)
            out["actionStates"].append(state)
        if "latest" in entry:
            out["latestExecution"] = dict(entry["latest"])
        if "inbound" in entry:
            out["inboundExecution"] = {"pipelineExecutionId": entry["inbound"], "status": "InProgress"}
        return out


def patch_pipeline_runs():
    from moto.codepipeline.responses import CodePipelineResponse

    def resolved_variables(p, given):
        """The execution's variables: those given, then the declared defaults.
        The ValidationException wordings below are unconfirmed (AWS documents
        the rules, not the messages)."""
        declared = p.pipeline.get("variables") or []
        given = given or []
        if given and p.pipeline.get("pipelineType", "V1") != "V2":
            raise _error("ValidationException", "Pipeline variables are only supported for pipelines of type V2; "
                                                f"pipeline '{p.pipeline['name']}' is of type V1")
        names = [v["name"] for v in declared]
        seen = set()
        for v in given:
            if v["name"] not in names:
                raise _error("ValidationException", f"Variable '{v['name']}' is not declared in pipeline '{p.pipeline['name']}'")
            if v["name"] in seen:
                raise _error("ValidationException", f"Variable '{v['name']}' is given more than once")
            seen.add(v["name"])
        values = {v["name"]: v["value"] for v in given}
        out = []
        for d in declared:
            if d["name"] in values:
                out.append({"name": d["name"], "value": values[d["name"]]})
            elif d.get("defaultValue") is not None:
                out.append({"name": d["name"], "value": d["defaultValue"]})
            else:
                raise _error("ValidationException",
                             f"Variable '{d['name']}' of pipeline '{p.pipeline['name']}' has no default value and no value was given")
        return out

    def start_pipeline_execution(self):
        name = self._get_param("name")
        with LOCK:
            p = pipeline_of(self, name)
            token = self._get_param("clientRequestToken")
            tokens = p.__dict__.setdefault("cbctl_execution_tokens", {})
            if token and token in tokens and tokens[token] in p.executions:
                return json.dumps({"pipelineExecutionId": tokens[token]})
            execution = Execution(p, self.current_account, self.region, resolved_variables(p, self._get_param("variables")), token)
            p.executions[execution.id] = execution
            if token:
                tokens[token] = execution.id
        execution.thread.start()
        return json.dumps({"pipelineExecutionId": execution.id})

    def execution_of(self, p, execution_id, code="PipelineExecutionNotFoundException"):
        execution = p.executions.get(execution_id)
        if not isinstance(execution, Execution):
            if code == "PipelineExecutionNotFoundException":
                message = (f"Account '{self.current_account}' does not have an execution with id "
                           f"'{execution_id}' for pipeline '{p.pipeline['name']}'")
            else:  # unconfirmed wording
                message = f"Pipeline execution '{execution_id}' of pipeline '{p.pipeline['name']}' does not exist"
            raise _error(code, message)
        return execution

    def get_pipeline_execution(self):
        with LOCK:
            p = pipeline_of(self, self._get_param("pipelineName"))
            execution = execution_of(self, p, self._get_param("pipelineExecutionId"))
            return json.dumps({"pipelineExecution": execution.to_dict()})

    def list_pipeline_executions(self):
        limit = self._get_param("maxResults") or 100
        token = self._get_param("nextToken")
        if token is not None and not str(token).isdigit():
            raise _error("InvalidNextTokenException", "The next token is not valid.")
        succeeded_in = ((self._get_param("filter") or {}).get("succeededInStage") or {}).get("stageName")
        with LOCK:
            p = pipeline_of(self, self._get_param("pipelineName"))
            executions = [e for e in reversed(list(p.executions.values())) if isinstance(e, Execution)]
            if succeeded_in:
                executions = [e for e in executions if e.stage_status.get(succeeded_in) == "Succeeded"]
            start = int(token or 0)
            result = {"pipelineExecutionSummaries": [e.to_summary_dict() for e in executions[start:start + limit]]}
        if start + limit < len(executions):
            result["nextToken"] = str(start + limit)
        return json.dumps(result)

    def stop_pipeline_execution(self):
        abandon = bool(self._get_param("abandon"))
        with LOCK:
            p = pipeline_of(self, self._get_param("pipelineName"))
            execution = execution_of(self, p, self._get_param("pipelineExecutionId"), "PipelineExecutionNotStoppableException")
            # Wordings unconfirmed.
            if execution.status == "Stopping" and not abandon:
                raise _error("DuplicatedStopRequestException",
                             f"Pipeline execution '{execution.id}' is already being stopped; only abandoning it is possible now")
            if execution.status not in ("InProgress", "Stopping"):
                raise _error("PipelineExecutionNotStoppableException",
                             f"Pipeline execution '{execution.id}' cannot be stopped: it is {execution.status}")
            builds = execution.stop(abandon, self._get_param("reason"))
        for build in builds:
            build.stop()
        return json.dumps({"pipelineExecutionId": execution.id})

    CodePipelineResponse.start_pipeline_execution = start_pipeline_execution
    CodePipelineResponse.get_pipeline_execution = get_pipeline_execution
    CodePipelineResponse.list_pipeline_executions = list_pipeline_executions
    CodePipelineResponse.stop_pipeline_execution = stop_pipeline_execution


def apply(phase_seconds):
    """Install every patch of this module; phase_seconds is CBCTL_EMU_PHASE_SECONDS."""
    SETTINGS["phase_seconds"] = phase_seconds
    patch_codebuild_runs()
    patch_logs_reads()
    patch_pipeline_runs()

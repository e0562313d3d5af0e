#!/usr/bin/env bash
# The main job, end to end against a locally started AWS emulator (moto, installed into
# .venv by tests/emulator/setup.sh): the seed's Flask/Docker CI stack is validated,
# planned, applied, re-planned with no changes, and destroyed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash tests/emulator/setup.sh
cargo build --quiet

# Start the emulator on a free loopback port and point every AWS client at it.
out="$(mktemp)"
.venv/bin/python tests/emulator/launcher.py --port 0 >"$out" 2>"$out.log" &
emu=$!
trap 'kill $emu 2>/dev/null || true; rm -f "$out" "$out.log"' EXIT
for _ in $(seq 1 100); do grep -q '^READY ' "$out" && break; sleep 0.1; done
grep -q '^READY ' "$out" || { echo "the emulator did not start:"; cat "$out.log"; exit 1; }
export AWS_ENDPOINT_URL="$(sed -n 's/^READY //p' "$out")"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN
echo "emulator: $AWS_ENDPOINT_URL"

# The stack reads one parameter it does not own; the demo creates it first, as an
# operator would have.
.venv/bin/python - <<'PY'
import boto3
boto3.client("ssm").put_parameter(Name="/external/registry/url", Value="registry.example.com", Type="String")
PY
export REGISTRY_PASSWORD="demo-$(date +%s)-secret"

bin="${CARGO_TARGET_DIR:-$root/target}/debug/cbctl"
step() { printf '\n\033[1m$ cbctl -f %s %s\033[0m\n' "$file" "$*"; }

# Two stacks: the seed 000 Flask/Docker CI, and the seed 003 CodeCommit -> CodeBuild
# release pipeline (artifact bucket, pipeline, EventBridge rule, least-privilege roles),
# which is also run once.
for file in examples/flask-ci/cbctl.toml examples/codecommit-pipeline/cbctl.toml; do
    cbctl() { "$bin" -f "$file" "$@"; }
    step validate;                   cbctl validate
    step plan;                       cbctl plan
    step apply --auto-approve;       cbctl apply --auto-approve
    step plan --detailed-exitcode;   cbctl plan --detailed-exitcode
    # The release pipeline run once, followed stage by stage (its builds run the
    # buildspecs in the emulator), and what the stack's CI last did.
    if [ "$file" = examples/codecommit-pipeline/cbctl.toml ]; then
        step run pipeline.hello-release; CBCTL_POLL_INTERVAL=0.5 cbctl run pipeline.hello-release
        step status;                 cbctl status
    fi
    step destroy --auto-approve;     cbctl destroy --auto-approve
    set +e; cbctl plan --detailed-exitcode >/dev/null; rc=$?; set -e
    [ "$rc" = 2 ] || { echo "expected pending changes after destroy, got exit $rc"; exit 1; }
    echo "(after destroy, plan --detailed-exitcode exits 2: everything would be created again)"
done
echo
echo "demo complete"

#!/usr/bin/env bash
# Benchmark: generated stacks of 10, 100 and 1,000 projects (scripts/generate_stack.py)
# against a fresh local emulator each: seconds to validate (best of 3), apply, plan with
# no change (and its API calls), and destroy.
#
#   bash scripts/bench.sh [SIZE ...]           default sizes: 10 100 1000
#   CBCTL_EMU_LATENCY_MS=40 bash scripts/bench.sh   adds 40 ms to every round trip
#   CBCTL_BENCH_PROFILE=release bash scripts/bench.sh   times the release build
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10 100 1000)
profile="${CBCTL_BENCH_PROFILE:-dev}"

bash tests/emulator/setup.sh >/dev/null
if [ "$profile" = release ]; then
    cargo build --release --quiet
    bin="$root/target/release/cbctl"
else
    cargo build --quiet
    bin="$root/target/debug/cbctl"
fi
work="$(mktemp -d)"
emulator=""
cleanup() {
    [ -z "$emulator" ] || kill "$emulator" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true

# Microseconds now, and seconds (two decimals) since a `now`.
now() { echo "${EPOCHREALTIME/./}"; }
since() {
    local cs=$((($(now) - $1) / 10000))
    printf '%d.%02d' $((cs / 100)) $((cs % 100))
}

start_emulator() {
    local fifo="$work/ready"
    rm -f "$fifo" && mkfifo "$fifo"
    "$root/.venv/bin/python" "$root/tests/emulator/launcher.py" --port 0 >"$fifo" 2>/dev/null &
    emulator=$!
    local line
    read -r line <"$fifo"
    AWS_ENDPOINT_URL="${line#READY }"
    export AWS_ENDPOINT_URL
}

echo "cbctl benchmark: $(nproc) cores, $(uname -m), ${profile} build, latency ${CBCTL_EMU_LATENCY_MS:-0} ms a round trip"
printf '%-9s %10s %9s %9s %11s %9s\n' projects validate apply plan plan-calls destroy
for n in "${sizes[@]}"; do
    dir="$work/stack-$n"
    .venv/bin/python scripts/generate_stack.py "$n" "$dir"
    cd "$dir"
    best=""
    for _ in 1 2 3; do
        t=$(now); "$bin" validate >/dev/null; took=$(since "$t")
        if [ -z "$best" ] || (( 10#${took/./} < 10#${best/./} )); then best=$took; fi
    done
    start_emulator
    t=$(now); "$bin" apply --auto-approve >/dev/null 2>&1; apply=$(since "$t")
    t=$(now); "$bin" plan --detailed-exitcode -v >/dev/null 2>"$work/plan.err"; plan=$(since "$t")
    calls=$(sed -n 's/^aws: \([0-9]*\) API calls to read the stack$/\1/p' "$work/plan.err")
    t=$(now); "$bin" destroy --auto-approve >/dev/null 2>&1; destroy=$(since "$t")
    kill "$emulator" && wait "$emulator" 2>/dev/null || true
    emulator=""
    cd "$root"
    printf '%-9s %9ss %8ss %8ss %11s %8ss\n' "$n" "$best" "$apply" "$plan" "$calls" "$destroy"
done

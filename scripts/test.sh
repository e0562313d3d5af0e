#!/usr/bin/env bash
# The whole test suite: installs the emulator (moto, pinned, into .venv), checks the
# emulator's gap fillers, then runs the unit, snapshot and integration tests. The
# integration tests start their own emulators on free loopback ports.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash tests/emulator/setup.sh
echo "== emulator self-check"
.venv/bin/python tests/emulator/test_launcher.py
echo "== formatting"
cargo fmt --check
echo "== unit, snapshot and integration tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --no-fail-fast
else
    cargo test --no-fail-fast
fi

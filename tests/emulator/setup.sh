#!/usr/bin/env bash
# Idempotently provision <repo>/.venv for the AWS emulator (tests/emulator).
# Creates the venv if missing and (re)installs requirements.txt whenever its
# sha256 differs from the stamp left by the last successful install.
# Quiet on success; on failure prints pip's output and exits non-zero.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.venv"
requirements="$here/requirements.txt"
stamp="$venv/.cbctl-requirements.sha"

if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
fi

want="$("$venv/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$requirements")"
have="$(cat "$stamp" 2>/dev/null || true)"
if [ "$want" != "$have" ]; then
    log="$(mktemp)"
    trap 'rm -f "$log"' EXIT
    if ! "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$requirements" >"$log" 2>&1; then
        cat "$log" >&2
        echo "setup.sh: pip install -r $requirements failed" >&2
        exit 1
    fi
    printf '%s\n' "$want" >"$stamp.tmp" && mv "$stamp.tmp" "$stamp"
fi

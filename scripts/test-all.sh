#!/usr/bin/env bash
# The complete test suite on a fresh Debian machine (root): installs and starts the real peers,
# builds the environment, then runs lint, type checks, unit + integration tests, examples, docs.
set -euo pipefail
cd "$(dirname "$0")/.."
export ASYNCCONSOLE_REQUIRE_PEERS=1
# The peers (apt) and the Python environment (pip) install at the same time: neither needs the other.
bash scripts/install-peers.sh &
peers_pid=$!
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e . --group dev
wait "$peers_pid"
dockerd_pid=$(bash scripts/start-dockerd.sh)
cleanup() { if [ -n "${dockerd_pid:-}" ]; then kill "$dockerd_pid" 2>/dev/null || true; wait "$dockerd_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT
export PATH="$PWD/.venv/bin:$PATH"
nox

#!/usr/bin/env bash
# Start dockerd when no daemon answers; print the PID we started (empty when one already ran).
# No systemd on these machines; vfs storage and no iptables/bridge keep it self-contained.
set -euo pipefail
if docker info >/dev/null 2>&1; then exit 0; fi
log="${TMPDIR:-/tmp}/asyncconsole-dockerd.log"
dockerd --storage-driver=vfs --iptables=false --bridge=none >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then echo "$pid"; exit 0; fi
  if ! kill -0 "$pid" 2>/dev/null; then echo "dockerd exited; see $log" >&2; tail -20 "$log" >&2; exit 1; fi
  sleep 0.5
done
echo "dockerd did not answer within 30 s; see $log" >&2
exit 1

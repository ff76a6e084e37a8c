#!/usr/bin/env bash
# Install the real peers the integration tests talk to, on Debian as root, when they are absent:
# Docker Engine (dockerd), busybox-static (to make a local image: no registry is reachable),
# Prometheus, and kubectl (Debian's kubernetes-client when no kubectl is on the PATH).
set -euo pipefail
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing peers: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

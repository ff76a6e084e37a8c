#!/usr/bin/env bash
# Install the real peers the integration tests talk to, on Debian as root, when they are absent:
# Docker Engine (dockerd), busybox-static (to make a local image: no registry is reachable),
# Prometheus, kubectl (Debian's kubernetes-client when no kubectl is on the PATH), and Chromium
# with its driver for the dashboard's browser tests (headless; Selenium is given this driver).
set -euo pipefail
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need+=(fonts-dejavu-core)  # legible screenshots
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing peers: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

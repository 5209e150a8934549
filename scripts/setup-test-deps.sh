#!/usr/bin/env bash
# Installs what the Docker conformance tests need on a fresh Debian machine (run as root):
# dockerd and its client (docker.io), a registry (docker-registry), skopeo, and a static busybox
# to put inside FROM-scratch test images, and chromium for the report's browser tests. Does nothing for packages already installed.
set -euo pipefail
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
# The browser tests (npm run test:browser) drive Debian's chromium; playwright-core downloads no browser.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup-test-deps: need root to install ${need[*]} (Debian packages)" >&2
    exit 1
  fi
  echo "== apt-get install ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "== $(dockerd --version)"

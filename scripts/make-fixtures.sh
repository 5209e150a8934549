#!/usr/bin/env bash
# Makes fixtures/archives with real tools: a sandboxed dockerd (Debian docker.io 20.10) builds the
# conformance scenario, `docker save` writes a legacy archive, skopeo copies it into an OCI layout
# (gzip layers), and the OCI archive / Docker-25-shaped archive are tars of that layout. Also
# records the daemon's /system/df for the same images. Needs root (scripts/setup-test-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
out=fixtures/archives
rm -rf "$out" && mkdir -p "$out"
node --import tsx scripts/_fixtures-from-daemon.ts "$out"
echo "wrote $out:"; du -sh "$out"/*

#!/usr/bin/env bash
# Runs every test suite of dm-worker on this machine: installs the dependencies and builds
# (deploy/setup.sh), then the unit tests and the integration tests against throwaway MariaDB
# servers on loopback. Exits non-zero if anything fails.
#
# Usage: deploy/test.sh [MESON_TEST_ARGS...]   e.g. deploy/test.sh --suite unit
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"
"$root/deploy/setup.sh" "$build"

# Integration tests start mariadbd as root with their own data dirs under $TMPDIR.
export TMPDIR="${TMPDIR:-/tmp}"
cd "$build"
meson test --print-errorlogs --num-processes 2 "$@"

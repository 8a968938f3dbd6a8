#!/usr/bin/env bash
# Runs every test suite of dm-worker on this machine: installs the dependencies and builds
# (deploy/setup.sh), then the unit tests, the integration tests against throwaway MariaDB
# servers on loopback, the benchmarks in their short mode, and the decoder fuzzer for a fixed
# time (DM_FUZZ_SECONDS, default 60; 0 skips it). Exits non-zero if anything fails.
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

fuzz_seconds="${DM_FUZZ_SECONDS:-60}"
if [ "$fuzz_seconds" -gt 0 ] && [ $# -eq 0 ]; then
  echo "test: fuzzing the binlog decoder for $fuzz_seconds s (ASan, UBSan)"
  "$root/test/fuzz/run.sh" "$fuzz_seconds" "$build/fuzz"
fi

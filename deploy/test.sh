#!/usr/bin/env bash
# Runs every test suite of dm-worker on this machine: installs the dependencies and builds
# (deploy/setup.sh), checks that includes go down the layers (.ci/check_layers.sh), then runs
# the unit tests, the integration tests against throwaway MariaDB servers on loopback, the
# benchmarks in their short mode, the unit tests but the actors' again built with ASan and UBSan
# (in build-sanitize; DM_SANITIZE=0 skips it), and the decoder fuzzer for a fixed time
# (DM_FUZZ_SECONDS, default 60; 0 skips it). Exits non-zero if anything fails.
#
# Usage: deploy/test.sh [MESON_TEST_ARGS...]   e.g. deploy/test.sh --suite unit
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"
"$root/deploy/setup.sh" "$build"
"$root/.ci/check_layers.sh"

# Integration tests start mariadbd as root with their own data dirs under $TMPDIR.
export TMPDIR="${TMPDIR:-/tmp}"
cd "$build"
meson test --print-errorlogs --num-processes 2 "$@"

if [ "${DM_SANITIZE:-1}" != 0 ] && [ $# -eq 0 ]; then
  echo "test: unit tests under ASan and UBSan"
  sanitize="$root/build-sanitize"
  if [ ! -f "$sanitize/build.ninja" ]; then
    # No optimization and no debug info keep the build short; GCC 12 warns falsely under the
    # sanitizers (maybe-uninitialized in std::function), so warnings do not fail this build.
    meson setup "$sanitize" "$root" --buildtype=plain -Dwerror=false \
      -Db_sanitize=address,undefined \
      -Db_lundef=false >/dev/null
  fi
  # The unit tests without the actors' (unit_tests_core): compiling the actors again took
  # most of this stage's time, and what reads untrusted bytes (decoders, parsers, stores) is
  # outside them.
  ninja -C "$sanitize" -j "${DM_JOBS:-2}" test/unit/unit_tests_core
  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$sanitize/test/unit/unit_tests_core"
fi

fuzz_seconds="${DM_FUZZ_SECONDS:-60}"
if [ "$fuzz_seconds" -gt 0 ] && [ $# -eq 0 ]; then
  echo "test: fuzzing the binlog decoder for $fuzz_seconds s (ASan, UBSan)"
  "$root/test/fuzz/run.sh" "$fuzz_seconds" "$build/fuzz"
fi

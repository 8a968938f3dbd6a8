#!/usr/bin/env bash
# Installs every system dependency of dm-worker from Debian 12's archive and builds the project.
#
# Idempotent: packages already present are not fetched again, and an existing build directory is
# reused (ninja only rebuilds what changed). Nothing is downloaded from anywhere but apt.
#
# Usage: deploy/setup.sh [BUILD_DIR]      (default: build)
# Env:   DM_SKIP_APT=1  skip the apt-get step (for machines provisioned otherwise)
#        DM_BUILDTYPE   meson build type (default: release)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${1:-build}"
case "$build_dir" in /*) ;; *) build_dir="$root/$build_dir" ;; esac

# Build toolchain, libraries (DESIGN.md "Dependencies"), the test peers, and clang for the
# fuzz target (libFuzzer with ASan/UBSan), percona-toolkit (pt-online-schema-change for the
# online-ddl test), etcd-server (the cluster test's etcd members), gnuplot for the benchmark
# report's plots.
packages=(
  g++ meson ninja-build pkg-config
  libcaf-dev libmariadb-dev librocksdb-dev zlib1g-dev libisal-dev libssl-dev
  libboost-test-dev libyaml-cpp-dev libtoml11-dev libspdlog-dev libfmt-dev
  libcli11-dev nlohmann-json3-dev libcpp-httplib-dev libedit-dev
  mariadb-server mariadb-client sysbench mydumper percona-toolkit etcd-server
  clang libclang-rt-14-dev
  procps iproute2 curl openssl gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${DM_SKIP_APT:-0}" != 1 ] && [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then
    echo "setup: must run as root to install packages (or set DM_SKIP_APT=1)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian package starts no server here, but on machines where it does, keep the system
# instance out of the way of nothing: dm-worker's tests never touch a server they did not start.

if [ ! -f "$build_dir/build.ninja" ]; then
  meson setup "$build_dir" "$root" --buildtype="${DM_BUILDTYPE:-release}"
fi
ninja -C "$build_dir" -j "${DM_JOBS:-2}"
echo "setup: built into $build_dir"

#!/usr/bin/env bash
# Runs every benchmark against its reference in one go (decoder vs mariadb-binlog, relay vs the
# replica I/O thread, syncer vs MariaDB's parallel replica, dump + load vs mydumper + myloader),
# and the cluster's failover time (no reference runs here), and writes docs/benchmarks.md: the
# machine, a summary of the ratios, each benchmark's table, and PNG plots drawn by gnuplot
# (relay and apply throughput over time, backlog over time).
#
# Usage: test/bench/run.sh [--quick] [BUILD_DIR]      (default build dir: build)
#   --quick  small sizes and one run each (minutes; checks the script, the figures mean little)
# Takes about 30 minutes at full size on 2 cores. Run it on an otherwise idle machine.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
quick=0
if [ "${1:-}" = --quick ]; then quick=1; shift; fi
build="${1:-$root/build}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac

for tool in gnuplot sysbench mydumper myloader mariadb-binlog etcd; do
  command -v "$tool" >/dev/null ||
    { echo "run.sh: $tool is missing; run deploy/setup.sh first (it installs it)" >&2; exit 1; }
done
for bench in decode_bench relay_bench sync_bench load_bench failover_bench; do
  [ -x "$build/test/bench/$bench" ] ||
    { echo "run.sh: $build/test/bench/$bench is missing; build with deploy/setup.sh" >&2; exit 1; }
done

if [ "$quick" = 1 ]; then
  decode_args=(--megabytes 20 --runs 1)
  relay_args=(--megabytes 20 --runs 1)
  sync_args=(--tables 4 --table-size 20000 --seconds 5 --threads 4 --runs 1)
  load_args=(--tables 4 --table-size 20000 --rows 5000 --runs 1)
  failover_args=(--runs 1 --ttl 3)
else
  decode_args=(--megabytes 200 --runs 3)
  relay_args=(--megabytes 200 --runs 3)
  sync_args=(--tables 4 --table-size 500000 --seconds 60 --threads 8 --runs 3)
  load_args=(--tables 4 --table-size 500000 --runs 3)
  failover_args=(--runs 5 --ttl 10)
fi

docs="$root/docs"
plots="$docs/benchmarks"
mkdir -p "$plots"
work="$(mktemp -d "${TMPDIR:-/tmp}/dm-bench-XXXXXX")"
trap 'rm -rf "$work"' EXIT
export TMPDIR="${TMPDIR:-/tmp}" DM_BUILD_DIR="$build"

# run_bench NAME ARGS...: runs build/test/bench/NAME, its table to $work/NAME.out, its progress
# to $work/NAME.log; stops the script with the log's tail when it fails.
run_bench() {
  local name="$1"; shift
  echo "run.sh: $name $*" >&2
  if ! "$build/test/bench/$name" "$@" >"$work/$name.out" 2>"$work/$name.log"; then
    echo "run.sh: $name failed:" >&2
    tail -20 "$work/$name.log" >&2
    exit 1
  fi
  cat "$work/$name.out" >&2
}

run_bench decode_bench "${decode_args[@]}"
run_bench relay_bench "${relay_args[@]}" --series "$work/relay.csv"
run_bench sync_bench "${sync_args[@]}" --series "$work/sync.csv"
run_bench load_bench "${load_args[@]}"
run_bench failover_bench "${failover_args[@]}"

# series_file CSV SERIES RUN: "seconds progress rate" lines of one series and run.
series_file() {
  local out="$work/$(echo "$2-$3" | tr -c 'A-Za-z0-9\n-' _).dat"
  awk -F, -v s="$2" -v r="$3" '$1 == s && $2 == r { print $3, $4, $5 }' "$1" >"$out"
  echo "$out"
}

# plot PNG TITLE YLABEL COLUMN CSV SERIES...: one line per series (run 1), y from COLUMN
# (2: progress, 3: rate) of series_file.
plot() {
  local png="$1" title="$2" ylabel="$3" column="$4" csv="$5"; shift 5
  local script="set terminal pngcairo size 900,420 font ',10'
set output '$png'
set title '$title'
set xlabel 'seconds since start'
set ylabel '$ylabel'
set key top right
set grid
plot "
  local sep=""
  for series in "$@"; do
    script+="$sep'$(series_file "$csv" "$series" 1)' using 1:$column with lines linewidth 2 title '$series'"
    sep=", "
  done
  gnuplot <<<"$script"
}

plot "$plots/relay_throughput.png" "Relay: binlog read from the upstream (run 1)" "MB/s" 3 \
  "$work/relay.csv" "dm-worker relay" "MariaDB replica I/O thread"
plot "$plots/sync_throughput.png" "Apply: backlog applied to the downstream (run 1)" "MB of binlog/s" 3 \
  "$work/sync.csv" "dm-worker syncer" "MariaDB parallel replica"
plot "$plots/sync_backlog.png" "Apply: backlog not yet applied, i.e. lag (run 1)" "MB of binlog behind" 2 \
  "$work/sync.csv" "dm-worker syncer backlog" "MariaDB parallel replica backlog"

# ratio_of NAME: the ratio printed by a benchmark ("ratio (...): 1.23x" -> "1.23x").
ratio_of() { sed -n 's/^ratio (.*): *//p' "$work/$1.out"; }
compared_of() { sed -n 's/^ratio (\(.*\)):.*/\1/p' "$work/$1.out"; }

mariadb_version="$(mariadbd --version | sed 's/^.*Ver //')"
{
  echo "# Benchmarks"
  echo
  echo "Written by \`test/bench/run.sh$([ "$quick" = 1 ] && echo " --quick")\` on $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "at commit \`$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)\`; run it again to refresh"
  echo "this page (do not edit it by hand). Each benchmark runs dm-worker and its reference on the"
  echo "same data in the same run, alternating, and reports medians; every run checks that the"
  echo "copies are identical (checksums) before its time counts."
  [ "$quick" = 1 ] && { echo; echo "**Quick mode: small sizes, one run each; these figures are not representative.**"; }
  echo
  echo "## Machine"
  echo
  echo "- CPU: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(nproc) cores"
  echo "- Memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "- OS: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "- MariaDB (upstream, downstreams, replica): $mariadb_version"
  echo "- References: $(mariadb-binlog --version | sed 's/^.*Ver /mariadb-binlog /'), $(mydumper --version 2>&1 | head -1), $(sysbench --version)"
  echo
  echo "## Summary"
  echo
  echo "A ratio above 1 means dm-worker is faster."
  echo
  echo "| benchmark | compared | ratio of the medians |"
  echo "|---|---|---|"
  echo "| decoder | $(compared_of decode_bench) | $(ratio_of decode_bench) |"
  echo "| relay | $(compared_of relay_bench) | $(ratio_of relay_bench) |"
  echo "| apply | $(compared_of sync_bench) | $(ratio_of sync_bench) |"
  echo "| full copy | $(compared_of load_bench) | $(ratio_of load_bench) |"
  echo
  echo "Cluster $(sed -n 's/^failover (\(.*\)): */\1: /p' "$work/failover_bench.out") (no reference"
  echo "runs here; DM's failover waits for its keepalive-ttl, 60 s by default, the same way)."
  for name in decode relay sync load failover; do
    echo
    case "$name" in
      decode) echo "## Decoder: \`decode_bench ${decode_args[*]}\`";;
      relay) echo "## Relay: \`relay_bench ${relay_args[*]}\`";;
      sync) echo "## Apply: \`sync_bench ${sync_args[*]}\`";;
      load) echo "## Full copy: \`load_bench ${load_args[*]}\`";;
      failover) echo "## Failover: \`failover_bench ${failover_args[*]}\`";;
    esac
    echo
    echo '```text'
    cat "$work/${name}_bench.out"
    echo '```'
    echo
    runs="$(grep '^run ' "$work/${name}_bench.log" | grep -v 'writing' || true)"
    if [ -n "$runs" ]; then
      echo "Per run:"
      echo
      echo '```text'
      echo "$runs"
      echo '```'
    fi
    case "$name" in
      relay) echo; echo "![relay throughput over time](benchmarks/relay_throughput.png)";;
      sync)
        echo; echo "![apply throughput over time](benchmarks/sync_throughput.png)"
        echo; echo "![backlog over time](benchmarks/sync_backlog.png)";;
    esac
  done
} >"$docs/benchmarks.md"
echo "run.sh: wrote $docs/benchmarks.md and $plots/*.png" >&2

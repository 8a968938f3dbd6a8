#!/usr/bin/env bash
# Builds the decoder fuzz target with clang, libFuzzer, ASan and UBSan, seeds it with the events
# of the recorded binlog files in test/unit/data and with every input that once failed
# (test/fuzz/regressions, replayed first), and fuzzes for a fixed time. A finding makes it
# exit non-zero and leaves the crashing input in the work dir.
#
# Usage: test/fuzz/run.sh [SECONDS] [WORK_DIR]     (defaults: 60, build/fuzz)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-60}"
work="${2:-$root/build/fuzz}"
mkdir -p "$work/corpus" "$work/obj"

sources=(
  common/error.cpp common/position.cpp protocol/gtid_set.cpp
  protocol/binlog/event_type.cpp protocol/binlog/event_header.cpp protocol/binlog/events.cpp
  protocol/binlog/column_type.cpp protocol/binlog/table_map.cpp protocol/binlog/rows_event.cpp
  protocol/binlog/value_decoder.cpp protocol/binlog/decimal.cpp protocol/binlog/json_binary.cpp
  protocol/base64.cpp
  protocol/binlog/temporal.cpp
  protocol/binlog/transaction_tracker.cpp protocol/binlog/stream_decoder.cpp
  protocol/sql/quote.cpp protocol/sql/literal.cpp protocol/sql/dml.cpp
  test/fuzz/decoder_fuzz.cpp
)
flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
       -fno-sanitize-recover=undefined -I"$root")
objects=()
for src in "${sources[@]}"; do
  obj="$work/obj/$(echo "$src" | tr / _).o"
  if [ ! -f "$obj" ] || [ "$root/$src" -nt "$obj" ] || \
     [ -n "$(find "$root/protocol" -name '*.hpp' -newer "$obj" -print -quit)" ]; then
    clang++ "${flags[@]}" -c "$root/$src" -o "$obj"
  fi
  objects+=("$obj")
done
clang++ -fsanitize=fuzzer,address,undefined "${objects[@]}" -o "$work/decoder_fuzz" \
  -lcaf_core -lz -lisal -lcrypto

# Seeds: each recorded binlog whole, and each of its events alone.
for f in "$root"/test/unit/data/*.binlog; do
  name=$(basename "$f")
  { printf '\x03'; cat "$f"; } > "$work/corpus/$name"
done

cd "$work"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ./decoder_fuzz -max_total_time="$seconds" -max_len=65536 -timeout=10 -print_final_stats=1 \
  corpus "$root/test/fuzz/regressions" 2>&1 | tail -20

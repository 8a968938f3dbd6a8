#!/usr/bin/env bash
# Fails when a source file includes a header of a layer above its own, or a CAF header that only
# actors may use. The layers, bottom up (DESIGN: "Source tree"):
#   common   error codes, logging, positions, defaults, restart policy, metrics registry
#   protocol the MySQL/MariaDB side: connections, binlog, SQL text        (uses common)
#   model    configs, statuses, messages, stages                           (common, protocol)
#   storage  RocksDB                                                       (common, model)
#   sync     the syncer's pure decisions                                   (+ protocol, storage)
#   io       blocking helpers that detached actors call                    (+ sync)
#   actors   CAF actors                                                    (everything above)
#   app      binaries and config parsing                                   (everything)
# protocol and storage never include each other. Below actors, the only CAF headers are those of
# the error model (caf::error with its category atom and message context, caf::expected) and
# forward declarations.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

declare -A allowed=(
  [common]="common"
  [protocol]="common protocol"
  [model]="common protocol model"
  [storage]="common model storage"
  [sync]="common protocol model storage sync"
  [io]="common protocol model storage sync io"
  [actors]="common protocol model storage sync io actors"
  [app]="common protocol model storage sync io actors app"
)
caf_ok='^caf/(fwd|error|expected|none|sec|error_code|atom|message|make_message|meta/[a-z_]+)\.hpp$'

status=0
for layer in "${!allowed[@]}"; do
  [ -d "$layer" ] || continue
  while IFS= read -r -d '' file; do
    while IFS= read -r line; do
      header="${line#*\"}"
      header="${header%\"*}"
      top="${header%%/*}"
      [ -n "${allowed[$top]+x}" ] || continue
      case " ${allowed[$layer]} " in
        *" $top "*) ;;
        *) echo "layers: $file includes $header ($layer may not use $top)"; status=1 ;;
      esac
    done < <(grep -E '^#include "' "$file" || true)
    if [ "$layer" != actors ] && [ "$layer" != app ]; then
      while IFS= read -r line; do
        header="${line#*<}"
        header="${header%>*}"
        if ! [[ "$header" =~ $caf_ok ]]; then
          echo "layers: $file includes <$header> (only actors and app use CAF beyond its error model)"
          status=1
        fi
      done < <(grep -E '^#include <caf/' "$file" || true)
    fi
  done < <(find "$layer" -name '*.hpp' -print0 -o -name '*.cpp' -print0)
done
[ "$status" = 0 ] && echo "layers: every include goes down the layers"
exit "$status"

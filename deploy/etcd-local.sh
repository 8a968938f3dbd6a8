#!/usr/bin/env bash
# A 3-member etcd on this machine's loopback, to try a cluster of dm-workers on one host (the
# tests start their own). Members listen on 127.0.0.1:2379x (clients) and :2380x (peers).
#
# Usage: deploy/etcd-local.sh start|stop [DIR]      (default DIR: ./etcd-local)
#   start  starts the members in DIR (data, logs, pids) and prints the endpoints for join and
#          dmctl --master-addr
#   stop   stops them (the data stays in DIR)
set -euo pipefail
action="${1:-}"
dir="${2:-etcd-local}"
command -v etcd >/dev/null || { echo "etcd-local: etcd is missing: apt-get install etcd-server" >&2; exit 1; }
cluster="n1=http://127.0.0.1:23801,n2=http://127.0.0.1:23802,n3=http://127.0.0.1:23803"
case "$action" in
  start)
    mkdir -p "$dir"
    for i in 1 2 3; do
      if [ -f "$dir/n$i.pid" ] && kill -0 "$(cat "$dir/n$i.pid")" 2>/dev/null; then continue; fi
      nohup etcd --name "n$i" --data-dir "$dir/n$i" \
        --listen-client-urls "http://127.0.0.1:2379$i" --advertise-client-urls "http://127.0.0.1:2379$i" \
        --listen-peer-urls "http://127.0.0.1:2380$i" --initial-advertise-peer-urls "http://127.0.0.1:2380$i" \
        --initial-cluster "$cluster" --initial-cluster-state new \
        --heartbeat-interval 100 --election-timeout 1000 >"$dir/n$i.log" 2>&1 &
      echo $! >"$dir/n$i.pid"
    done
    for _ in $(seq 1 50); do
      curl -sf http://127.0.0.1:23791/health >/dev/null && break
      sleep 0.2
    done
    curl -sf http://127.0.0.1:23791/health >/dev/null ||
      { echo "etcd-local: the members did not become healthy; see $dir/n*.log" >&2; exit 1; }
    echo "127.0.0.1:23791,127.0.0.1:23792,127.0.0.1:23793"
    ;;
  stop)
    pids=()
    for i in 1 2 3; do
      [ -f "$dir/n$i.pid" ] && pids+=("$(cat "$dir/n$i.pid")")
      rm -f "$dir/n$i.pid"
    done
    [ ${#pids[@]} -gt 0 ] || exit 0
    kill "${pids[@]}" 2>/dev/null || true
    # A member that lost its quorum takes several seconds to end on SIGTERM.
    for _ in $(seq 1 75); do
      alive=0
      for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
      [ "$alive" = 0 ] && exit 0
      sleep 0.2
    done
    kill -9 "${pids[@]}" 2>/dev/null || true
    ;;
  *) echo "usage: deploy/etcd-local.sh start|stop [DIR]" >&2; exit 1 ;;
esac

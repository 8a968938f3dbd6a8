#!/usr/bin/env bash
# dm-worker in five minutes: installs and builds, starts a sandbox upstream and downstream
# MariaDB, a worker, a source and an incremental task, writes rows upstream and shows them
# arriving downstream.
#
#   deploy/quickstart.sh         set everything up (again) and show replication
#   deploy/quickstart.sh stop    stop the worker and both servers, remove the sandbox
#
# Everything lives under .sandbox/ in the repository: configs, the worker's data dir and log.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sandbox="$root/.sandbox"
build="$root/build"

stop_all() {
  if [ -f "$sandbox/worker.pid" ]; then
    kill "$(cat "$sandbox/worker.pid")" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$(cat "$sandbox/worker.pid")" 2>/dev/null || break; sleep 0.1; done
  fi
  for d in upstream downstream; do
    [ -d "$sandbox/$d" ] && "$build/test/dm-sandbox" stop "$sandbox/$d" || true
  done
  rm -rf "$sandbox"
}

if [ "${1:-}" = stop ]; then
  stop_all
  echo "quickstart: stopped the worker and both servers; removed $sandbox"
  exit 0
fi

"$root/deploy/setup.sh" "$build"
stop_all
mkdir -p "$sandbox"

echo "quickstart: starting the upstream and downstream MariaDB servers"
eval "$("$build/test/dm-sandbox" start --server-id 1 --dir "$sandbox/upstream")"
up_port=$port
eval "$("$build/test/dm-sandbox" start --server-id 2 --dir "$sandbox/downstream")"
down_port=$port
worker_port=$("$build/test/dm-sandbox" free-port)

cat > "$sandbox/worker.toml" <<TOML
name = "quickstart-worker"
worker-addr = "127.0.0.1:$worker_port"
data-dir = "$sandbox/worker-data"
log-file = "$sandbox/worker.log"
TOML
cat > "$sandbox/source.yaml" <<YAML
source-id: "quickstart-source"
from:
  host: "127.0.0.1"
  port: $up_port
  user: "root"
  password: ""
YAML
cat > "$sandbox/task.yaml" <<YAML
name: "quickstart"
task-mode: incremental
target-database:
  host: "127.0.0.1"
  port: $down_port
  user: "root"
  password: ""
mysql-instances:
  - source-id: "quickstart-source"
YAML

echo "quickstart: starting dm-worker on 127.0.0.1:$worker_port"
nohup "$build/app/dm-worker" --config "$sandbox/worker.toml" > "$sandbox/worker.out" 2>&1 &
echo $! > "$sandbox/worker.pid"
dmctl=("$build/app/dmctl" --worker-addr "127.0.0.1:$worker_port")
for _ in $(seq 1 100); do
  "${dmctl[@]}" --json list-member 2>/dev/null | grep -q '"online"' && break
  sleep 0.1
done

echo "quickstart: \$ dmctl operate-source create source.yaml"
"${dmctl[@]}" operate-source create "$sandbox/source.yaml"
echo "quickstart: \$ dmctl start-task task.yaml"
"${dmctl[@]}" start-task "$sandbox/task.yaml"

up=(mariadb --no-defaults --default-character-set=utf8mb4 -uroot -h127.0.0.1 -P"$up_port")
down=(mariadb --no-defaults --default-character-set=utf8mb4 -uroot -h127.0.0.1 -P"$down_port")
echo "quickstart: writing rows on the upstream"
"${up[@]}" -e "
  CREATE DATABASE shop;
  CREATE TABLE shop.products (id INT PRIMARY KEY, name VARCHAR(64), price DECIMAL(10,2),
                              added DATETIME(3));
  INSERT INTO shop.products VALUES (1, 'teapot', 24.90, NOW(3)), (2, 'kettle', 39.00, NOW(3)),
                                   (3, 'cup ☕', 4.50, NOW(3));
  UPDATE shop.products SET price = price * 0.9 WHERE id = 2;
  DELETE FROM shop.products WHERE id = 1;"

target=$("${up[@]}" -N -e "SHOW MASTER STATUS" | awk '{print $1":"$2}')
for _ in $(seq 1 100); do
  status=$("${dmctl[@]}" query-status quickstart)
  if grep -q "synced $target" <<<"$status" && grep -q "caught up: yes" <<<"$status"; then
    break
  fi
  sleep 0.2
done

echo "quickstart: rows on the downstream:"
"${down[@]}" -t -e "SELECT * FROM shop.products ORDER BY id"
echo "quickstart: \$ dmctl query-status quickstart"
"${dmctl[@]}" query-status quickstart

cat <<TXT

quickstart: replication is running. Try it:
  mariadb --no-defaults -uroot -h127.0.0.1 -P$up_port      # write here (upstream)
  mariadb --no-defaults -uroot -h127.0.0.1 -P$down_port    # and read here (downstream)
  $build/app/dmctl --worker-addr 127.0.0.1:$worker_port query-status quickstart
Logs and configs are in $sandbox.
Stop everything with:  ./deploy/quickstart.sh stop
TXT

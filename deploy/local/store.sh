#!/usr/bin/env bash
# Start/stop the local document store (SecantusDB, a MongoDB wire-protocol server; see
# shared STORAGE.md) as separate background processes on 127.0.0.1, data under LAPOR_RUN_DIR.
# LAPOR_STORE_PER_SERVICE=1 (default): one store per service, each service's database in its own
# process (port LAPOR_STORE_PORT_<SERVICE>, folder $LAPOR_RUN_DIR/store/<service>/); 0: one store
# for all five (LAPOR_STORE_PORT, $LAPOR_RUN_DIR/store/). `stop` stops whichever are running.
# Usage: deploy/local/store.sh start|stop|status
set -euo pipefail
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"

top="$LAPOR_RUN_DIR/store"
mkdir -p "$top"
chmod 700 "$top"  # its data keeps the reporters' identities and a joined hub's link passwords (routing's hub_links)

# the stores of this mode: "name port folder" lines
stores() {
  if [ "$LAPOR_STORE_PER_SERVICE" = 1 ]; then
    for svc in $LAPOR_STORE_SERVICES; do echo "store.$svc $(store_port "$svc") $top/$svc"; done
  else echo "store $LAPOR_STORE_PORT $top"; fi
}
running() { [ -f "$1/secantusd.pid" ] && kill -0 "$(cat "$1/secantusd.pid")" 2>/dev/null; }
# ready PORT...: every one answers a ping (one interpreter for all)
ready() {
  "$LAPOR_PYTHON" - "$@" <<'PY'
import sys
from pymongo import MongoClient
try:
    for port in sys.argv[1:]:
        MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true", serverSelectionTimeoutMS=1000).admin.command("ping")
except Exception:
    sys.exit(1)
PY
}

all_listening() { local port; for port in "$@"; do listening "$port" || return 1; done; }

launch() {
  local name=$1 port=$2 dir=$3
  mkdir -p "$dir/data"
  if running "$dir" && ready "$port"; then echo "$name: already running (pid $(cat "$dir/secantusd.pid"), mongodb://127.0.0.1:$port)"; return 0; fi
  # LAPOR_STORE_SYNC=1 (default): --sync-on-commit, every commit fsynced, so an accepted report
  # survives an OS crash or power loss too (without it, it survives kill -9 of the store).
  local sync_flag=""; [ "${LAPOR_STORE_SYNC:-1}" = 0 ] || sync_flag="--sync-on-commit"
  nohup "$LAPOR_VENV/bin/secantusd-py" --host 127.0.0.1 --port "$port" \
    --storage-path "$dir/data" $sync_flag --log-level WARNING < /dev/null > "$dir/secantusd.log" 2>&1 &
  echo $! > "$dir/secantusd.pid"
}

start() {
  local name port dir ports=() dirs=() names=()
  while read -r name port dir; do
    launch "$name" "$port" "$dir"; names+=("$name"); ports+=("$port"); dirs+=("$dir")
  done < <(stores)
  local started=$SECONDS
  while patient "$started"; do
    if all_listening "${ports[@]}" && ready "${ports[@]}"; then
      for i in "${!names[@]}"; do
        echo "${names[$i]}: ready (pid $(cat "${dirs[$i]}/secantusd.pid"), mongodb://127.0.0.1:${ports[$i]})"
      done
      return 0
    fi
    for i in "${!names[@]}"; do
      running "${dirs[$i]}" || { echo "${names[$i]}: failed to start; see ${dirs[$i]}/secantusd.log" >&2
        tail -20 "${dirs[$i]}/secantusd.log" >&2; exit 1; }
    done
    sleep 0.5
  done
  echo "store: not ready after $LAPOR_START_TIMEOUT s" >&2; exit 1
}

stop() {
  # both layouts, whichever mode they were started in; in parallel (each waits up to 10 s)
  local svc pids=()
  for dir in "$top" $(for svc in $LAPOR_STORE_SERVICES; do echo "$top/$svc"; done); do
    [ -f "$dir/secantusd.pid" ] || continue
    stop_pidfile "$dir/secantusd.pid" & pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  echo "store: stopped"
}

status() {
  local name port dir rc=0
  while read -r name port dir; do
    if running "$dir" && ready "$port"; then echo "$name: running (pid $(cat "$dir/secantusd.pid"))"
    else echo "$name: stopped"; rc=3; fi
  done < <(stores)
  return $rc
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

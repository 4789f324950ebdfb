#!/usr/bin/env bash
# Start/stop the local document store (SecantusDB, a MongoDB wire-protocol server; see
# shared STORAGE.md) as a separate background process on 127.0.0.1, data under LAPOR_RUN_DIR.
# Usage: deploy/local/store.sh start|stop|status
set -euo pipefail
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"

dir="$LAPOR_RUN_DIR/store"
pidfile="$dir/secantusd.pid"
mkdir -p "$dir/data"
chmod 700 "$dir"  # its data keeps the reporters' identities and a joined hub's link passwords (routing's hub_links)

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
ready() {
  "$LAPOR_PYTHON" - "$LAPOR_STORE_PORT" <<'PY'
import sys
from pymongo import MongoClient
try:
    MongoClient(f"mongodb://127.0.0.1:{sys.argv[1]}/?directConnection=true", serverSelectionTimeoutMS=1000).admin.command("ping")
except Exception:
    sys.exit(1)
PY
}

start() {
  if running && ready; then echo "store: already running (pid $(cat "$pidfile"), mongodb://127.0.0.1:$LAPOR_STORE_PORT)"; return 0; fi
  # LAPOR_STORE_SYNC=1 (default): --sync-on-commit, every commit fsynced, so an accepted report
  # survives an OS crash or power loss too (without it, it survives kill -9 of the store).
  sync_flag=""; [ "${LAPOR_STORE_SYNC:-1}" = 0 ] || sync_flag="--sync-on-commit"
  nohup "$LAPOR_VENV/bin/secantusd-py" --host 127.0.0.1 --port "$LAPOR_STORE_PORT" \
    --storage-path "$dir/data" $sync_flag --log-level WARNING > "$dir/secantusd.log" 2>&1 &
  echo $! > "$pidfile"
  for _ in $(seq 1 60); do
    if ready; then echo "store: ready (pid $(cat "$pidfile"), mongodb://127.0.0.1:$LAPOR_STORE_PORT)"; return 0; fi
    running || { echo "store: failed to start; see $dir/secantusd.log" >&2; tail -20 "$dir/secantusd.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "store: not ready after 30 s" >&2; exit 1
}

stop() {
  stop_pidfile "$pidfile"
  echo "store: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running && ready; then echo "store: running (pid $(cat "$pidfile"))"; else echo "store: stopped"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# The demo stack's sinks for what notification sends: a mail catcher (SMTP, aiosmtpd) on
# 127.0.0.1:$LAPOR_MAIL_PORT and a recording SMS gateway / social reply hook (HTTP) on
# 127.0.0.1:$LAPOR_SMS_PORT. Both are real servers run as plain processes, stopped by PID.
# What was sent: $LAPOR_RUN_DIR/sinks/mail/*.eml (+ index.jsonl), sinks/sms.jsonl, sinks/social.jsonl
# (`make outbox` prints the latest). Usage: deploy/local/sinks.sh start|stop|status
set -euo pipefail
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"

dir="$LAPOR_RUN_DIR/sinks"
mkdir -p "$dir/mail"
running() { [ -f "$dir/$1.pid" ] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }

start_one() {  # start_one NAME PORT COMMAND...
  local name=$1 port=$2; shift 2
  if running "$name"; then echo "$name: already running (pid $(cat "$dir/$name.pid"), 127.0.0.1:$port)"; return 0; fi
  if listening "$port"; then echo "$name: port $port is taken by another process" >&2; exit 1; fi
  nohup "$@" >> "$dir/$name.log" 2>&1 &
  echo $! > "$dir/$name.pid"
  for _ in $(seq 1 40); do
    if listening "$port"; then echo "$name: ready (pid $(cat "$dir/$name.pid"), 127.0.0.1:$port)"; return 0; fi
    running "$name" || break
    sleep 0.25
  done
  echo "$name: not ready; see $dir/$name.log" >&2; tail -20 "$dir/$name.log" >&2; exit 1
}

case "${1:-}" in
  start)
    start_one mail-catcher "$LAPOR_MAIL_PORT" "$LAPOR_PYTHON" "$here/mail_catcher.py" --port "$LAPOR_MAIL_PORT" --dir "$dir/mail"
    start_one sms-recorder "$LAPOR_SMS_PORT" "$LAPOR_PYTHON" "$here/sms_recorder.py" --port "$LAPOR_SMS_PORT" --dir "$dir"
    ;;
  stop)
    for name in mail-catcher sms-recorder; do stop_pidfile "$dir/$name.pid"; echo "$name: stopped"; done ;;
  status)
    rc=0
    for name in mail-catcher sms-recorder; do
      if running "$name"; then echo "$name: running (pid $(cat "$dir/$name.pid"))"; else echo "$name: stopped"; rc=3; fi
    done
    exit $rc ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

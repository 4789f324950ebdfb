#!/usr/bin/env bash
# Start/stop a project-local RabbitMQ as a plain background process on 127.0.0.1.
# Usage: deploy/local/rabbitmq.sh start|stop|status
# Settings (env): LAPOR_RUN_DIR (data, logs, pids), LAPOR_AMQP_PORT, LAPOR_RABBIT_DIST_PORT,
# LAPOR_EPMD_PORT, LAPOR_RABBIT_MGMT_PORT, LAPOR_RABBIT_PROM_PORT, LAPOR_RABBIT_NODE.
set -euo pipefail
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"

dir="$LAPOR_RUN_DIR/rabbitmq"
pidfile="$dir/rabbitmq.pid"
mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"

export HOME="$dir/home"                      # the Erlang cookie lives here
export RABBITMQ_NODENAME="$LAPOR_RABBIT_NODE"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT="$LAPOR_AMQP_PORT"
export RABBITMQ_DIST_PORT="$LAPOR_RABBIT_DIST_PORT"
export ERL_EPMD_ADDRESS=127.0.0.1
export ERL_EPMD_PORT="$LAPOR_EPMD_PORT"
export RABBITMQ_MNESIA_BASE="$dir/mnesia"
export RABBITMQ_LOG_BASE="$dir/log"
export RABBITMQ_PID_FILE="$pidfile"
export ERL_CRASH_DUMP="$dir/log/erl_crash.dump"
export RABBITMQ_CONFIG_FILE="$dir/rabbitmq"          # .conf is appended
export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
export RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config"
export RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf"
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
bin=/usr/lib/rabbitmq/bin

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

amqp_ready() {
  # A real AMQP handshake (connection.open) as the default guest user.
  "$LAPOR_PYTHON" - "$LAPOR_AMQP_PORT" <<'PY'
import sys, socket
from kombu import Connection
try:
    with Connection(f"amqp://guest:guest@127.0.0.1:{sys.argv[1]}//", connect_timeout=2) as c:
        c.connect(); c.default_channel
except Exception:
    sys.exit(1)
PY
}

start() {
  if running && amqp_ready; then echo "rabbitmq: already running (pid $(cat "$pidfile"), amqp 127.0.0.1:$LAPOR_AMQP_PORT)"; return 0; fi
  command -v "$bin/rabbitmq-server" >/dev/null || { echo "rabbitmq-server is not installed (apt-get install -y rabbitmq-server)" >&2; exit 1; }
  : > "$RABBITMQ_CONF_ENV_FILE"
  echo "[rabbitmq_management,rabbitmq_prometheus]." > "$RABBITMQ_ENABLED_PLUGINS_FILE"
  echo "[]." > "$RABBITMQ_ADVANCED_CONFIG_FILE"
  cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$LAPOR_AMQP_PORT
loopback_users.guest = true
management.tcp.ip = 127.0.0.1
management.tcp.port = $LAPOR_RABBIT_MGMT_PORT
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = $LAPOR_RABBIT_PROM_PORT
log.file.level = warning
log.console = false
disk_free_limit.absolute = 200MB
CONF
  # epmd: started explicitly on loopback with our port so that stop can find it.
  if ! epmd -port "$LAPOR_EPMD_PORT" -names >/dev/null 2>&1; then
    epmd -address 127.0.0.1 -port "$LAPOR_EPMD_PORT" -daemon
  fi
  nohup "$bin/rabbitmq-server" > "$dir/log/stdout.log" 2>&1 &
  echo $! > "$pidfile.launcher"
  for _ in $(seq 1 120); do
    if amqp_ready; then
      # RABBITMQ_PID_FILE is written by the node itself; fall back to the launcher pid.
      [ -s "$pidfile" ] || cp "$pidfile.launcher" "$pidfile"
      echo "rabbitmq: ready (pid $(cat "$pidfile"), amqp 127.0.0.1:$LAPOR_AMQP_PORT, management http://127.0.0.1:$LAPOR_RABBIT_MGMT_PORT, metrics http://127.0.0.1:$LAPOR_RABBIT_PROM_PORT/metrics)"
      return 0
    fi
    if ! kill -0 "$(cat "$pidfile.launcher")" 2>/dev/null; then
      echo "rabbitmq: failed to start; see $dir/log" >&2; tail -20 "$dir/log/stdout.log" >&2; exit 1
    fi
    sleep 0.5
  done
  echo "rabbitmq: not ready after 60 s; see $dir/log" >&2; exit 1
}

stop() {
  stop_pidfile "$pidfile"
  stop_pidfile "$pidfile.launcher"
  # epmd for our port only (by its pid, found through the port it listens on).
  epid=$(pgrep -f "epmd -address 127.0.0.1 -port $LAPOR_EPMD_PORT" || true)
  if [ -n "$epid" ]; then kill $epid 2>/dev/null || true; fi
  echo "rabbitmq: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running && amqp_ready; then echo "rabbitmq: running (pid $(cat "$pidfile"))"; else echo "rabbitmq: stopped"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

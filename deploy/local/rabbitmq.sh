#!/usr/bin/env bash
# Start/stop a project-local RabbitMQ as a plain background process on 127.0.0.1.
# Usage: deploy/local/rabbitmq.sh start|stop|status
# Settings (env): LAPOR_RUN_DIR (data, logs, pids), LAPOR_AMQP_PORT, LAPOR_RABBIT_DIST_PORT,
# LAPOR_EPMD_PORT, LAPOR_RABBIT_MGMT_PORT, LAPOR_RABBIT_PROM_PORT, LAPOR_RABBIT_NODE.
# Credentials: generated once per run folder ($LAPOR_RUN_DIR/secrets/rabbitmq.env, 0600); the
# node has no guest user. That user is the operator's; each service gets a user of its own with
# only its own permissions (contract.brokeracl: $LAPOR_RUN_DIR/secrets/rabbitmq-<service>.env),
# written at every start. Plugins: management, prometheus, shovel, shovel_management.
# For a node of a cluster (deploy/local/cluster.sh): LAPOR_RABBIT_DIR (the node's own data folder,
# default $LAPOR_RUN_DIR/rabbitmq), LAPOR_RABBIT_EXTRA_CONF (lines appended to rabbitmq.conf) and
# LAPOR_EPMD_SHARED=1 (stop leaves epmd running: the other nodes use it).
set -euo pipefail
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"

dir="${LAPOR_RABBIT_DIR:-$LAPOR_RUN_DIR/rabbitmq}"
pidfile="$dir/rabbitmq.pid"
mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
chmod 700 "$dir"  # its data keeps the users' hashes, the Erlang cookie and the shovels' URIs with link passwords

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
broker_credentials

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

amqp_ready() {
  # A real AMQP handshake (connection.open) as USER:PASSWORD (default: the generated credentials),
  # once the port takes connections (bash alone: no python started per poll while the node boots).
  listening "$LAPOR_AMQP_PORT" || return 1
  "$LAPOR_PYTHON" - "$LAPOR_AMQP_PORT" "${1:-$LAPOR_RABBIT_USER}" "${2:-$LAPOR_RABBIT_PASSWORD}" <<'PY'
import sys
from kombu import Connection
try:
    with Connection(f"amqp://{sys.argv[2]}:{sys.argv[3]}@127.0.0.1:{sys.argv[1]}//", connect_timeout=2) as c:
        c.connect(); c.default_channel
except Exception:
    sys.exit(1)
PY
}

# A node whose data predates the generated credentials still has guest: add the generated user
# and delete guest, once (marked by $dir/credentials-applied). rabbitmqctl addresses our node by
# its name, never whatever else listens on the port.
migrate_from_guest() {
  local ctl="$bin/rabbitmqctl -q"
  $ctl await_startup --timeout 60 >/dev/null
  $ctl add_user "$LAPOR_RABBIT_USER" "$LAPOR_RABBIT_PASSWORD" >/dev/null 2>&1 ||
    $ctl change_password "$LAPOR_RABBIT_USER" "$LAPOR_RABBIT_PASSWORD" >/dev/null
  $ctl set_user_tags "$LAPOR_RABBIT_USER" administrator >/dev/null
  for vhost in $($ctl list_vhosts --no-table-headers name 2>/dev/null); do
    $ctl set_permissions -p "$vhost" "$LAPOR_RABBIT_USER" ".*" ".*" ".*" >/dev/null
  done
  $ctl delete_user guest >/dev/null 2>&1 || true
  echo "rabbitmq: replaced guest with the generated user of $LAPOR_RUN_DIR/secrets/rabbitmq.env"
}

# The services' users, permissions and topic permissions, and the shared exchanges (idempotent).
service_users() {
  PYTHONPATH="$LAPOR_ROOT/services/contract" "$LAPOR_PYTHON" -m contract.brokeracl apply \
    --api "$LAPOR_RABBIT_API_URI" --run-dir "$LAPOR_RUN_DIR" >/dev/null
}

start() {
  local legacy=""
  if [ -d "$dir/mnesia/$LAPOR_RABBIT_NODE" ] && [ ! -f "$dir/credentials-applied" ]; then legacy=1; fi
  if running && [ -n "$legacy" ]; then migrate_from_guest; touch "$dir/credentials-applied"; fi
  if running && amqp_ready; then service_users; echo "rabbitmq: already running (pid $(cat "$pidfile"), amqp 127.0.0.1:$LAPOR_AMQP_PORT)"; return 0; fi
  command -v "$bin/rabbitmq-server" >/dev/null || { echo "rabbitmq-server is not installed (apt-get install -y rabbitmq-server)" >&2; exit 1; }
  : > "$RABBITMQ_CONF_ENV_FILE"
  # The shovel plugins link this hub's broker to its neighbours' (docs/hubs.md).
  echo "[rabbitmq_management,rabbitmq_prometheus,rabbitmq_shovel,rabbitmq_shovel_management]." > "$RABBITMQ_ENABLED_PLUGINS_FILE"
  echo "[]." > "$RABBITMQ_ADVANCED_CONFIG_FILE"
  # A fresh node creates only the generated user (administrator on /); there is no guest.
  ( umask 077; cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$LAPOR_AMQP_PORT
default_user = $LAPOR_RABBIT_USER
default_pass = $LAPOR_RABBIT_PASSWORD
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
loopback_users = none
management.tcp.ip = 127.0.0.1
management.tcp.port = $LAPOR_RABBIT_MGMT_PORT
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = $LAPOR_RABBIT_PROM_PORT
log.file.level = warning
log.console = false
disk_free_limit.absolute = 200MB
${LAPOR_RABBIT_EXTRA_CONF:-}
CONF
  )
  # epmd: started explicitly on loopback with our port so that stop can find it.
  if ! epmd -port "$LAPOR_EPMD_PORT" -names >/dev/null 2>&1; then
    epmd -address 127.0.0.1 -port "$LAPOR_EPMD_PORT" -daemon
  fi
  nohup "$bin/rabbitmq-server" > "$dir/log/stdout.log" 2>&1 &
  echo $! > "$pidfile.launcher"
  local started=$SECONDS
  while patient "$started"; do
    if [ -n "$legacy" ] && listening "$LAPOR_AMQP_PORT"; then
      migrate_from_guest; legacy=""
    fi
    if amqp_ready; then
      # RABBITMQ_PID_FILE is written by the node itself; fall back to the launcher pid.
      [ -s "$pidfile" ] || cp "$pidfile.launcher" "$pidfile"
      touch "$dir/credentials-applied"
      service_users
      echo "rabbitmq: ready (pid $(cat "$pidfile"), amqp 127.0.0.1:$LAPOR_AMQP_PORT, management http://127.0.0.1:$LAPOR_RABBIT_MGMT_PORT, metrics http://127.0.0.1:$LAPOR_RABBIT_PROM_PORT/metrics)"
      return 0
    fi
    if ! kill -0 "$(cat "$pidfile.launcher")" 2>/dev/null; then
      echo "rabbitmq: failed to start; see $dir/log" >&2; tail -20 "$dir/log/stdout.log" >&2; exit 1
    fi
    sleep 0.5
  done
  echo "rabbitmq: not ready after $LAPOR_START_TIMEOUT s; see $dir/log" >&2; exit 1
}

stop() {
  stop_pidfile "$pidfile"
  stop_pidfile "$pidfile.launcher"
  # epmd for our port only (by its pid, found through the port it listens on), unless shared.
  [ -n "${LAPOR_EPMD_SHARED:-}" ] && { echo "rabbitmq: stopped ($LAPOR_RABBIT_NODE)"; return 0; }
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

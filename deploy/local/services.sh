#!/usr/bin/env bash
# Start/stop the five nameko services, each as its own `nameko run` process.
# Usage: deploy/local/services.sh start|stop|status [service ...]
set -euo pipefail
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"

ALL="intake routing followup notification assessment"
dir="$LAPOR_RUN_DIR/services"
mkdir -p "$dir"
# Each service logs in to the broker as its own user (contract.brokeracl; rabbitmq.sh made them):
# start_one gives it its own AMQP_URI only, never the operator's credentials. The operator declares
# the shared exchanges, so a service declares none but its own (DECLARE_EVENT_EXCHANGES).
# LAPOR_AMQP_PORTS (a cluster's nodes, "P1,P2,P3"; deploy/local/cluster.sh): a failover URI to all.
export LAPOR_DECLARE_EVENT_EXCHANGES="${LAPOR_DECLARE_EVENT_EXCHANGES:-false}"
# each service's own store (LAPOR_STORE_PER_SERVICE=1; else the one store): MONGODB_URI per service, in start_one
# notification's channels: the demo sinks (deploy/local/sinks.sh) unless set; in production point
# them at your SMTP relay and SMS gateway (README, "Configuration")
export SMTP_HOST="${SMTP_HOST:-127.0.0.1}" SMTP_PORT="${SMTP_PORT:-$LAPOR_MAIL_PORT}"
export SMS_GATEWAY_URL="${SMS_GATEWAY_URL-http://127.0.0.1:$LAPOR_SMS_PORT/sms}"
export SOCIAL_REPLY_URL="${SOCIAL_REPLY_URL-http://127.0.0.1:$LAPOR_SMS_PORT/social}"
export SOCIAL_DM_URL="${SOCIAL_DM_URL-http://127.0.0.1:$LAPOR_SMS_PORT/social/dm}"
export LAPOR_TRACKING_BASE_URL="${LAPOR_TRACKING_BASE_URL:-http://127.0.0.1:$LAPOR_HTTP_PORT/lacak/}"
# the one-time link a social reporter completes a draft with: this stack's front door, whatever its port
export INTAKE_SOCIAL_COMPLETION_URL="${INTAKE_SOCIAL_COMPLETION_URL:-http://127.0.0.1:$LAPOR_HTTP_PORT/lapor/<tracking_id>?kode=<code>}"

# Channel gateways (SMS, social) must authenticate (docs/intake.md): the local stack gets demo
# gateways with secrets generated once per run folder, kept in $LAPOR_RUN_DIR/channel-gateways.env
# for local tools and tests; set INTAKE_CHANNEL_GATEWAYS yourself to use your own.
gateways_file="$LAPOR_RUN_DIR/channel-gateways.env"
if [ -z "${INTAKE_CHANNEL_GATEWAYS:-}" ]; then
  if [ ! -s "$gateways_file" ]; then
    new_secret() { head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }
    (umask 077; echo "INTAKE_CHANNEL_GATEWAYS=sms:demo-sms=$(new_secret),social:demo-social=$(new_secret)" > "$gateways_file")
  fi
  export "$(cat "$gateways_file")"
fi

port_of() {
  case "$1" in intake) echo $((LAPOR_HTTP_PORT + 1));; routing) echo $((LAPOR_HTTP_PORT + 2));;
    followup) echo $((LAPOR_HTTP_PORT + 3));; notification) echo $((LAPOR_HTTP_PORT + 4));;
    assessment) echo $((LAPOR_HTTP_PORT + 5));; *) echo "unknown service $1" >&2; exit 2;; esac
}
class_of() {
  case "$1" in intake) echo IntakeService;; routing) echo RoutingService;; followup) echo FollowupService;;
    notification) echo NotificationService;; assessment) echo AssessmentService;; esac
}
running() { [ -f "$dir/$1.pid" ] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }
healthy() { curl -fsS -m 2 "http://127.0.0.1:$(port_of "$1")/health" >/dev/null 2>&1; }

start_one() {
  local svc=$1 port; port=$(port_of "$svc")
  if running "$svc" && healthy "$svc"; then echo "$svc: already running (pid $(cat "$dir/$svc.pid"), http://127.0.0.1:$port)"; return 0; fi
  local upper amqp_uri; upper=$(echo "$svc" | tr a-z A-Z)
  amqp_uri=$(PYTHONPATH="$LAPOR_ROOT/services/contract" "$LAPOR_PYTHON" -m contract.localstack service-uri \
    "$LAPOR_RUN_DIR" "$svc" "${LAPOR_AMQP_PORTS:-$LAPOR_AMQP_PORT}")
  env -u LAPOR_RABBIT_PASSWORD -u LAPOR_AMQP_URI -u LAPOR_RABBIT_API_URI -u RABBIT_API_URI \
    AMQP_URI="$amqp_uri" MONGODB_URI="$(store_uri "$svc")" "${upper}_HTTP_ADDRESS=127.0.0.1:$port" \
    PYTHONPATH="$LAPOR_ROOT/services/contract:$LAPOR_ROOT/services/$svc" \
    nohup "$LAPOR_VENV/bin/nameko" run --config "$LAPOR_ROOT/services/$svc/config.yml" "$svc.service:$(class_of "$svc")" \
    >> "$dir/$svc.log" 2>&1 &
  echo $! > "$dir/$svc.pid"
}

wait_healthy() {
  local svc=$1 started=$SECONDS
  while patient "$started"; do
    if healthy "$svc"; then echo "$svc: ready (pid $(cat "$dir/$svc.pid"), http://127.0.0.1:$(port_of "$svc"), metrics /metrics)"; return 0; fi
    running "$svc" || { echo "$svc: exited; see $dir/$svc.log" >&2; tail -30 "$dir/$svc.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "$svc: not healthy after $LAPOR_START_TIMEOUT s; see $dir/$svc.log" >&2; exit 1
}

stop_all() {
  # SIGTERM to all first (nameko stops gracefully, finishing running workers), then wait.
  local pids=() svc pid
  for svc in "$@"; do
    if [ -f "$dir/$svc.pid" ]; then
      pid=$(cat "$dir/$svc.pid")
      if kill -0 "$pid" 2>/dev/null; then kill "$pid"; pids+=("$pid"); fi
    fi
  done
  for _ in $(seq 1 40); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.25
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for svc in "$@"; do rm -f "$dir/$svc.pid"; echo "$svc: stopped"; done
}

cmd=${1:-}; shift || true
list=${*:-$ALL}
case "$cmd" in
  start) for s in $list; do start_one "$s"; done; for s in $list; do wait_healthy "$s"; done ;;
  stop) stop_all $list ;;
  status) rc=0; for s in $list; do if running "$s" && healthy "$s"; then echo "$s: running"; else echo "$s: stopped"; rc=3; fi; done; exit $rc ;;
  *) echo "usage: $0 start|stop|status [service ...]" >&2; exit 2 ;;
esac

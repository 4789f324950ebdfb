# Shared settings for the local scripts; every value can be overridden from the environment.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${LAPOR_ROOT:=$_root}"
: "${LAPOR_RUN_DIR:=$LAPOR_ROOT/.run/local}"
: "${LAPOR_VENV:=$LAPOR_ROOT/.venv}"
: "${LAPOR_PYTHON:=$LAPOR_VENV/bin/python}"
: "${LAPOR_AMQP_PORT:=5682}"
: "${LAPOR_RABBIT_DIST_PORT:=25682}"
: "${LAPOR_EPMD_PORT:=4379}"
: "${LAPOR_RABBIT_MGMT_PORT:=15682}"
: "${LAPOR_RABBIT_PROM_PORT:=15702}"
: "${LAPOR_RABBIT_NODE:=laporhub@localhost}"
: "${LAPOR_STORE_PORT:=27027}"
: "${LAPOR_HTTP_PORT:=8780}"
# 1: each service's database in its own store process (LAPOR_STORE_PORT_<SERVICE>, data under
# $LAPOR_RUN_DIR/store/<service>/); 0: one store on LAPOR_STORE_PORT holds the five databases.
# Ports as contract.localstack.ports: LAPOR_STORE_PORT + 300 * (1 + the service's index).
: "${LAPOR_STORE_PER_SERVICE:=1}"
case "$LAPOR_STORE_PER_SERVICE" in 0|1) ;; *) echo "LAPOR_STORE_PER_SERVICE must be 0 or 1" >&2; exit 2;; esac
LAPOR_STORE_SERVICES="intake routing followup notification assessment"
: "${LAPOR_STORE_PORT_INTAKE:=$((LAPOR_STORE_PORT + 300))}"
: "${LAPOR_STORE_PORT_ROUTING:=$((LAPOR_STORE_PORT + 600))}"
: "${LAPOR_STORE_PORT_FOLLOWUP:=$((LAPOR_STORE_PORT + 900))}"
: "${LAPOR_STORE_PORT_NOTIFICATION:=$((LAPOR_STORE_PORT + 1200))}"
: "${LAPOR_STORE_PORT_ASSESSMENT:=$((LAPOR_STORE_PORT + 1500))}"
: "${LAPOR_HUB_CODE:=ID}"
# demo sinks and Prometheus after the services' five ports (HTTP+1..+5; +6 is the hub-link metrics of deploy/hubs)
: "${LAPOR_MAIL_PORT:=$((LAPOR_HTTP_PORT + 7))}"
: "${LAPOR_SMS_PORT:=$((LAPOR_HTTP_PORT + 8))}"
: "${LAPOR_PROMETHEUS_PORT:=$((LAPOR_HTTP_PORT + 9))}"
# 1 on a hub of deploy/hubs (hubs.sh sets it): Prometheus also scrapes the hub's link metrics (HTTP+6)
: "${LAPOR_PROMETHEUS_HUB_LINKS:=0}"
# rule evaluation interval of the local Prometheus (empty: deploy/prometheus/prometheus.yml's 15s)
: "${LAPOR_PROMETHEUS_EVALUATION_INTERVAL:=}"
# seconds a start waits for the broker, the stores and each service to be ready (a process that
# exits fails the start at once): on a busy 2-core machine two brokers booting together took ~60 s
: "${LAPOR_START_TIMEOUT:=150}"
export LAPOR_ROOT LAPOR_RUN_DIR LAPOR_VENV LAPOR_PYTHON LAPOR_AMQP_PORT LAPOR_RABBIT_DIST_PORT \
  LAPOR_EPMD_PORT LAPOR_RABBIT_MGMT_PORT LAPOR_RABBIT_PROM_PORT LAPOR_RABBIT_NODE \
  LAPOR_STORE_PORT LAPOR_STORE_PER_SERVICE LAPOR_STORE_PORT_INTAKE LAPOR_STORE_PORT_ROUTING \
  LAPOR_STORE_PORT_FOLLOWUP LAPOR_STORE_PORT_NOTIFICATION LAPOR_STORE_PORT_ASSESSMENT LAPOR_HTTP_PORT LAPOR_HUB_CODE LAPOR_MAIL_PORT LAPOR_SMS_PORT LAPOR_PROMETHEUS_PORT \
  LAPOR_PROMETHEUS_HUB_LINKS LAPOR_PROMETHEUS_EVALUATION_INTERVAL LAPOR_START_TIMEOUT
# The key that signs the web pages' CSRF tokens: one per stack, shared by its services (the cookie
# belongs to the whole origin); kept in the run dir so a restart does not void open forms.
if [ -z "${LAPOR_WEB_SECRET:-}" ]; then
  mkdir -p "$LAPOR_RUN_DIR"
  [ -s "$LAPOR_RUN_DIR/web-secret" ] || (umask 077; od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$LAPOR_RUN_DIR/web-secret")
  LAPOR_WEB_SECRET=$(cat "$LAPOR_RUN_DIR/web-secret")
fi
export LAPOR_WEB_SECRET

# listening PORT: something accepts TCP connections on 127.0.0.1:PORT (bash alone: no interpreter started,
# so a wait loop checks this before its costlier readiness check)
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# while patient STARTED; do ...; done: true until LAPOR_START_TIMEOUT seconds after STARTED ($SECONDS)
patient() { [ $((SECONDS - $1)) -lt "$LAPOR_START_TIMEOUT" ]; }

# stop_pidfile FILE: SIGTERM the process in FILE, wait up to 10 s, then SIGKILL; remove FILE.
stop_pidfile() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

# broker_credentials: the local broker's user and password, generated once per run folder into
# $LAPOR_RUN_DIR/secrets/rabbitmq.env (0600; contract.localstack is the one place that writes and
# reads it), and the URIs built from them: LAPOR_AMQP_URI, LAPOR_RABBIT_API_URI.
broker_credentials() {
  eval "$(PYTHONPATH="$LAPOR_ROOT/services/contract" "$LAPOR_PYTHON" -m contract.localstack credentials "$LAPOR_RUN_DIR")"
  LAPOR_AMQP_URI="amqp://$LAPOR_RABBIT_USER:$LAPOR_RABBIT_PASSWORD@127.0.0.1:$LAPOR_AMQP_PORT/"
  LAPOR_RABBIT_API_URI="http://$LAPOR_RABBIT_USER:$LAPOR_RABBIT_PASSWORD@127.0.0.1:$LAPOR_RABBIT_MGMT_PORT"
  export LAPOR_RABBIT_USER LAPOR_RABBIT_PASSWORD LAPOR_AMQP_URI LAPOR_RABBIT_API_URI
}

# store_port [SERVICE] / store_uri [SERVICE]: the store holding SERVICE's database (no SERVICE, or
# LAPOR_STORE_PER_SERVICE=0: the one shared store); the same rule as contract.localstack.store_uri.
store_port() {
  if [ "$LAPOR_STORE_PER_SERVICE" = 1 ] && [ -n "${1:-}" ]; then
    local var; var="LAPOR_STORE_PORT_$(echo "$1" | tr a-z A-Z)"
    [ -n "${!var:-}" ] || { echo "no store for service '$1'" >&2; return 2; }
    echo "${!var}"
  else echo "$LAPOR_STORE_PORT"; fi
}
store_uri() { echo "mongodb://127.0.0.1:$(store_port "${1:-}")/?retryWrites=false&directConnection=true"; }

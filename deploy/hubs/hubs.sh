#!/usr/bin/env bash
# Three linked hubs on one machine: national (ID), Bali province (51), Buleleng district (5108),
# each a whole stack (own RabbitMQ node, store, five services, front door) on its own ports,
# linked by RabbitMQ shovels (contract.hublink). See docs/hubs.md.
# Usage: deploy/hubs/hubs.sh start|stop|status|env CODE
# Settings (env): LAPOR_HUBS_DIR (run folder, default .run/hubs), LAPOR_HUBS_OFFSET (port offset of
# the national hub, default 200; the others +10, +20: contract.localstack.ports).
set -euo pipefail
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
local_dir="$root/deploy/local"
: "${LAPOR_HUBS_DIR:=$root/.run/hubs}"
: "${LAPOR_HUBS_OFFSET:=200}"
: "${LAPOR_PYTHON:=$root/.venv/bin/python}"
export PYTHONPATH="$root/services/contract${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$LAPOR_HUBS_DIR"

# hub_list: "code offset" per hub of deploy/hubs/hubs.yml (offset = LAPOR_HUBS_OFFSET + its own)
hub_list() {
  "$LAPOR_PYTHON" -c 'import sys, yaml
for h in yaml.safe_load(open(sys.argv[1]))["hubs"]: print(h["code"], int(sys.argv[2]) + int(h["offset"]))' \
    "$here/hubs.yml" "$LAPOR_HUBS_OFFSET"
}

# hub_env CODE OFFSET: the deploy/local settings of one hub, as `export` lines
hub_env() {
  local code=$1 offset=$2 lower
  lower=$(echo "$code" | tr 'A-Z' 'a-z')
  "$LAPOR_PYTHON" -m contract.localstack ports "$offset" | sed 's/^/export /'
  echo "export LAPOR_RUN_DIR=$LAPOR_HUBS_DIR/$code LAPOR_HUB_CODE=$code LAPOR_RABBIT_NODE=laporhub${lower}${offset}@localhost LAPOR_PROMETHEUS_HUB_LINKS=1"
  echo "export LAPOR_HUB_KEY_FILE=$LAPOR_HUBS_DIR/$code/secrets/hub.key LAPOR_REGISTRY_FILE=$LAPOR_HUBS_DIR/$code/registry.yml"
}

link() {
  local code=$1
  "$LAPOR_PYTHON" -m contract.hublink apply --hub "$code" --directory "$LAPOR_HUBS_DIR/directory.yml" \
    --secrets "$LAPOR_HUBS_DIR/$code/secrets/links.yml"
}

# link_metrics CODE OFFSET: contract.hubmetrics for one hub on LAPOR_HTTP_PORT + 6 (pid in its run dir)
link_metrics() {
  local code=$1 offset=$2
  ( eval "$(hub_env "$code" "$offset")"
    pidfile="$LAPOR_RUN_DIR/hubmetrics.pid"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then exit 0; fi
    nohup "$LAPOR_PYTHON" -m contract.hubmetrics --hub "$code" --directory "$LAPOR_HUBS_DIR/directory.yml" \
      --secrets "$LAPOR_RUN_DIR/secrets/links.yml" --port $((LAPOR_HTTP_PORT + 6)) \
      >> "$LAPOR_RUN_DIR/hubmetrics.log" 2>&1 &
    echo $! > "$pidfile" )
}

start() {
  local pids=() codes=() code offset i rc=0
  # keys, link secrets, directory and registries first: every intake starts with its key file
  "$LAPOR_PYTHON" "$here/prepare.py" "$LAPOR_HUBS_DIR" "$LAPOR_HUBS_OFFSET" >/dev/null
  while read -r code offset; do
    ( eval "$(hub_env "$code" "$offset")"; "$local_dir/stack.sh" start ) > "$LAPOR_HUBS_DIR/$code.start.log" 2>&1 &
    pids+=($!); codes+=("$code")
  done < <(hub_list)
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      echo "hub ${codes[$i]}: failed to start; see $LAPOR_HUBS_DIR/${codes[$i]}.start.log" >&2
      tail -15 "$LAPOR_HUBS_DIR/${codes[$i]}.start.log" >&2; rc=1
    fi
  done
  [ $rc = 0 ] || exit $rc
  for code in "${codes[@]}"; do link "$code"; done
  while read -r code offset; do link_metrics "$code" "$offset"; done < <(hub_list)
  echo
  echo "Three linked LAPOR-Hub hubs are running (stop with: make stop):"
  while read -r code offset; do
    ( eval "$(hub_env "$code" "$offset")"
      echo "  hub $code: http://127.0.0.1:$LAPOR_HTTP_PORT  (OpenAPI /openapi.json; RabbitMQ management" \
           "http://127.0.0.1:$LAPOR_RABBIT_MGMT_PORT, user/password in $LAPOR_RUN_DIR/secrets/rabbitmq.env;" \
           "link metrics http://127.0.0.1:$((LAPOR_HTTP_PORT + 6))/metrics)" )
  done < <(hub_list)
}

stop() {
  local code offset pids=()
  while read -r code offset; do
    [ -d "$LAPOR_HUBS_DIR/$code" ] || continue
    ( eval "$(hub_env "$code" "$offset")"; . "$local_dir/env.sh"; stop_pidfile "$LAPOR_RUN_DIR/hubmetrics.pid"
      "$local_dir/stack.sh" stop 2>&1 | sed "s/^/hub $code: /" ) &
    pids+=($!)
  done < <(hub_list)
  for pid in "${pids[@]}"; do wait "$pid" || true; done
}

status() {
  local code offset rc=0
  while read -r code offset; do
    echo "hub $code:"
    ( eval "$(hub_env "$code" "$offset")"; "$local_dir/stack.sh" status ) || rc=3
    if [ -f "$LAPOR_HUBS_DIR/$code/secrets/links.yml" ]; then
      "$LAPOR_PYTHON" -m contract.hublink status --hub "$code" --directory "$LAPOR_HUBS_DIR/directory.yml" \
        --secrets "$LAPOR_HUBS_DIR/$code/secrets/links.yml" || rc=3
    fi
  done < <(hub_list)
  exit $rc
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  link) while read -r code offset; do link "$code"; done < <(hub_list) ;;
  env) while read -r code offset; do [ "$code" = "${2:-}" ] && hub_env "$code" "$offset"; done < <(hub_list); true ;;
  *) echo "usage: $0 start|stop|status|link|env CODE" >&2; exit 2 ;;
esac

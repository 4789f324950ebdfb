#!/usr/bin/env bash
# Linked hubs on one machine, each a whole stack (own RabbitMQ node, store, five services, front
# door) on its own ports, linked as a tree by RabbitMQ shovels (contract.hublink). See docs/hubs.md.
# The hubs come from a hubs file (FILE): deploy/hubs/hubs.yml (default: national ID, Bali 51,
# Buleleng 5108; make run-hubs) or deploy/hubs/network.yml (five: ID, 51, 5108, 73, 7317;
# make run-network), or any file of the same shape.
# Usage: deploy/hubs/hubs.sh start|stop|status|link|memory [FILE]
#        deploy/hubs/hubs.sh env CODE [FILE]
#        deploy/hubs/hubs.sh stop-all|status-all   (every hub started on this machine from this checkout:
#                                                  the run folders listed in .run/hubs-started)
# Settings (env): LAPOR_HUBS_FILE (instead of FILE), LAPOR_HUBS_DIR (run folder, default
# .run/<FILE's name without .yml>: .run/hubs, .run/network), LAPOR_HUBS_OFFSET (port offset base,
# added to each hub's `offset`: contract.localstack.ports; default the one the running hubs were
# started with, else the file's `base_offset`, else 200).
set -euo pipefail
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
local_dir="$root/deploy/local"
cmd="${1:-}"; shift || true
if [ "$cmd" = env ]; then want="${1:-}"; shift || true; fi
hubs_file="$(realpath "${1:-${LAPOR_HUBS_FILE:-$here/hubs.yml}}")"
[ -f "$hubs_file" ] || { echo "no hubs file $hubs_file" >&2; exit 2; }
: "${LAPOR_HUBS_DIR:=$root/.run/$(basename "$hubs_file" .yml)}"
LAPOR_HUBS_DIR="$(realpath -m "$LAPOR_HUBS_DIR")"
: "${LAPOR_PYTHON:=$root/.venv/bin/python}"
export PYTHONPATH="$root/services/contract${PYTHONPATH:+:$PYTHONPATH}"
# the base offset the hubs in this run folder were started with (so that `make stop` finds them)
started_file="$LAPOR_HUBS_DIR/base-offset"
# every run folder hubs were started in (one line each: hubs file, run folder), for stop-all/status-all
registry_file="${LAPOR_HUBS_REGISTRY:-$root/.run/hubs-started}"
if [ -z "${LAPOR_HUBS_OFFSET:-}" ]; then
  if [ -s "$started_file" ]; then LAPOR_HUBS_OFFSET=$(cat "$started_file")
  else LAPOR_HUBS_OFFSET=$("$LAPOR_PYTHON" -c 'import sys, yaml
print(yaml.safe_load(open(sys.argv[1])).get("base_offset", 200))' "$hubs_file"); fi
fi

# hub_list: "code offset" per hub of the hubs file (offset = LAPOR_HUBS_OFFSET + its own)
hub_list() {
  "$LAPOR_PYTHON" -c 'import sys, yaml
for h in yaml.safe_load(open(sys.argv[1]))["hubs"]: print(h["code"], int(sys.argv[2]) + int(h["offset"]))' \
    "$hubs_file" "$LAPOR_HUBS_OFFSET"
}

# hub_env CODE OFFSET: the deploy/local settings of one hub, as `export` lines
hub_env() {
  local code=$1 offset=$2 lower
  lower=$(echo "$code" | tr 'A-Z' 'a-z')
  "$LAPOR_PYTHON" -m contract.localstack ports "$offset" | sed 's/^/export /'
  echo "export LAPOR_RUN_DIR=$LAPOR_HUBS_DIR/$code LAPOR_HUB_CODE=$code LAPOR_RABBIT_NODE=laporhub${lower}${offset}@localhost LAPOR_PROMETHEUS_HUB_LINKS=1 LAPOR_STORE_PER_SERVICE=${LAPOR_STORE_PER_SERVICE:-1}"
  echo "export LAPOR_HUB_KEY_FILE=$LAPOR_HUBS_DIR/$code/secrets/hub.key LAPOR_REGISTRY_FILE=$LAPOR_HUBS_DIR/$code/registry.yml"
  echo "export LAPOR_HUB_SIGNING_KEY_FILE=$LAPOR_HUBS_DIR/$code/secrets/hub-signing.key"
  cat "$LAPOR_HUBS_DIR/$code/hub.env" 2>/dev/null || true  # prepare.py: the message version it writes
}

link() {
  local code=$1
  "$LAPOR_PYTHON" -m contract.hublink apply --hub "$code" --directory "$LAPOR_HUBS_DIR/directory.yml" \
    --secrets "$LAPOR_HUBS_DIR/$code/secrets/links.yml"
}

# link_metrics CODE OFFSET: contract.hubmetrics for one hub on LAPOR_HTTP_PORT + 6 (pid in its run dir)
link_metrics() {
  local code=$1 offset=$2
  ( eval "$(hub_env "$code" "$offset")"; . "$local_dir/env.sh"
    pidfile="$LAPOR_RUN_DIR/hubmetrics.pid"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then exit 0; fi
    nohup "$LAPOR_PYTHON" -m contract.hubmetrics --hub "$code" --directory "$LAPOR_HUBS_DIR/directory.yml" \
      --secrets "$LAPOR_RUN_DIR/secrets/links.yml" --port $((LAPOR_HTTP_PORT + 6)) \
      --store "$(store_uri routing)" --keep-links \
      >> "$LAPOR_RUN_DIR/hubmetrics.log" 2>&1 &
    echo $! > "$pidfile" )
}

start() {
  local pids=() codes=() code offset i rc=0
  mkdir -p "$LAPOR_HUBS_DIR"
  # keys, link secrets, directory and registries first: every intake starts with its key file
  # (a run folder made by a join, deploy/hubs/join.py, has them from its parent's answer)
  [ -f "$LAPOR_HUBS_DIR/joined.yml" ] ||
    "$LAPOR_PYTHON" "$here/prepare.py" "$LAPOR_HUBS_DIR" "$LAPOR_HUBS_OFFSET" "$hubs_file" >/dev/null
  echo "$LAPOR_HUBS_OFFSET" > "$started_file"
  remember_started
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
  echo "${#codes[@]} linked LAPOR-Hub hubs are running ($(basename "$hubs_file"); stop with: make stop):"
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
  rm -f "$started_file"
  forget_started
}

# the registry of started hubs: one line "hubs-file run-folder" per run folder
remember_started() {
  mkdir -p "$(dirname "$registry_file")"
  touch "$registry_file"
  grep -qxF "$hubs_file $LAPOR_HUBS_DIR" "$registry_file" || echo "$hubs_file $LAPOR_HUBS_DIR" >> "$registry_file"
}

forget_started() {
  [ -f "$registry_file" ] || return 0
  grep -vxF "$hubs_file $LAPOR_HUBS_DIR" "$registry_file" > "$registry_file.tmp" || true
  mv "$registry_file.tmp" "$registry_file"
}

# each_started ACTION: hubs.sh ACTION for every run folder in the registry (stop-all, status-all)
each_started() {
  local action=$1 file dir rc=0
  [ -s "$registry_file" ] || { echo "no hubs started from this checkout ($registry_file)"; return 0; }
  while read -r file dir; do
    [ -n "$dir" ] || continue
    echo "== hubs of $(basename "$file") in $dir"
    LAPOR_HUBS_DIR="$dir" LAPOR_HUBS_OFFSET="" "$0" "$action" "$file" || rc=$?
  done < <(cat "$registry_file")
  return $rc
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

# memory: each hub's resident memory (RSS and PSS summed over its processes, from /proc)
memory() {
  local args=() code offset
  while read -r code offset; do args+=("$code=$LAPOR_HUBS_DIR/$code"); done < <(hub_list)
  "$LAPOR_PYTHON" "$here/memory.py" ${LAPOR_HUBS_MEMORY_PARTS:+--parts} "${args[@]}"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  stop-all) each_started stop ;;
  status-all) each_started status ;;
  status) status ;;
  link) while read -r code offset; do link "$code"; done < <(hub_list) ;;
  memory) memory ;;
  env) while read -r code offset; do [ "$code" = "$want" ] && hub_env "$code" "$offset"; done < <(hub_list); true ;;
  *) echo "usage: $0 start|stop|status|link|memory [FILE] | env CODE [FILE] | stop-all | status-all" >&2; exit 2 ;;
esac

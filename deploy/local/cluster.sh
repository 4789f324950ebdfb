#!/usr/bin/env bash
# One hub's stack on a three-node RabbitMQ cluster on this machine: the broker topology of
# deploy/kubernetes/rabbitmq.yaml (three nodes, joined into one cluster, pause_minority, balanced
# quorum-queue leaders, the services' users of contract.brokeracl), the store, the demo sinks, the
# five services connected to all three nodes (a kombu failover URI each) and the front door.
# Usage: deploy/local/cluster.sh start|brokers|stop|status|leaders|kill N|start-node N
#   brokers       the three clustered nodes only (users, policies), no store, services or front door
#   kill N        kill -9 node N (1..3), as a crash would; start-node N brings it back (it rejoins)
#   leaders       the leader and members of every quorum queue (asked of a running node)
# Settings (env): LAPOR_CLUSTER_OFFSET (60: node i takes the broker ports of offset 60+i-1, all
# share the epmd of offset 60; the store and HTTP ports are offset 60's: contract.localstack),
# LAPOR_CLUSTER_RUN_DIR (.run/cluster), LAPOR_CLUSTER_NODES (3). Each node is started and stopped
# by deploy/local/rabbitmq.sh (its own data folder rabbitmq-n<i>, node name lapor<port>n<i>@localhost);
# the nodes share the run folder's broker credentials and an Erlang cookie (secrets/erlang.cookie).
# nameko's classic RPC queues (rpc-<service>, rpc.reply-*) are mirrored on every node (policy
# lapor-rpc-mirrors: contract.brokeracl apply --rpc-mirrors, as rabbitmq-users-job.yaml), so an RPC
# survives the loss of the node that held them; LAPOR_CLUSTER_RPC_MIRRORS=0 leaves them on one node
# (while it is down every RPC to its service fails: docs/operations.md, "A three-node cluster").
# LAPOR_CLUSTER_JOIN: how fresh nodes 2..N join node 1: ctl (the default: all boot at once, then each
# joins with rabbitmqctl stop_app/reset/join_cluster/start_app, one after the other) or discovery
# (as Kubernetes peer discovery does: each boots with classic_config peer discovery naming node 1 and
# joins it while booting, retrying until node 1 answers; no rabbit restart, about 8 rabbitmqctl VMs
# fewer; a fresh cluster's nodes boot one after the other). A node that did not join either way is
# joined with rabbitmqctl.
set -euo pipefail
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
offset="${LAPOR_CLUSTER_OFFSET:-60}"
nodes="${LAPOR_CLUSTER_NODES:-3}"
export LAPOR_RUN_DIR="${LAPOR_CLUSTER_RUN_DIR:-$root/.run/cluster}"
if [ "${1:-}" = stop ] && [ ! -d "$LAPOR_RUN_DIR" ]; then echo "cluster: not started"; exit 0; fi
# the cluster's ports come from its offset only, whatever the caller's environment holds
eval "$(PYTHONPATH="$root/services/contract" "${LAPOR_PYTHON:-$root/.venv/bin/python}" -m contract.localstack \
  ports "$offset" | sed 's/^/export /')"
unset LAPOR_RABBIT_NODE LAPOR_AMQP_PORTS
. "$here/env.sh"

bin=/usr/lib/rabbitmq/bin
prefix="lapor${LAPOR_AMQP_PORT}n"
first_port=$LAPOR_AMQP_PORT
ports_list=$(seq -s, "$first_port" $((first_port + nodes - 1)))
# what deploy/kubernetes/rabbitmq.yaml's rabbitmq.conf sets beyond one node's settings
extra_conf="cluster_partition_handling = pause_minority
queue_leader_locator = balanced
cluster_name = lapor-cluster-$offset"

node_name() { echo "$prefix$1@localhost"; }
node_dir() { echo "$LAPOR_RUN_DIR/rabbitmq-n$1"; }

# with_node I CMD...: CMD with node I's settings for deploy/local/rabbitmq.sh
join="${LAPOR_CLUSTER_JOIN:-ctl}"
case "$join" in ctl|discovery) ;; *) echo "LAPOR_CLUSTER_JOIN must be ctl or discovery" >&2; exit 2;; esac

# node_conf I: node I's rabbitmq.conf lines beyond one node's settings
node_conf() {
  echo "$extra_conf"
  if [ "$join" = discovery ] && [ "$1" != 1 ]; then
    printf '%s\n' "cluster_formation.peer_discovery_backend = classic_config" \
      "cluster_formation.classic_config.nodes.1 = $(node_name 1)" \
      "cluster_formation.discovery_retry_limit = 120" "cluster_formation.discovery_retry_interval = 500"
  fi
}

with_node() {
  local i=$1; shift
  env LAPOR_RABBIT_NODE="$(node_name "$i")" LAPOR_RABBIT_DIR="$(node_dir "$i")" LAPOR_EPMD_SHARED=1 \
    LAPOR_AMQP_PORT=$((LAPOR_AMQP_PORT + i - 1)) LAPOR_RABBIT_DIST_PORT=$((LAPOR_RABBIT_DIST_PORT + i - 1)) \
    LAPOR_RABBIT_MGMT_PORT=$((LAPOR_RABBIT_MGMT_PORT + i - 1)) LAPOR_RABBIT_PROM_PORT=$((LAPOR_RABBIT_PROM_PORT + i - 1)) \
    LAPOR_RABBIT_EXTRA_CONF="$(node_conf "$i")" "$@"
}

# ctl I ARGS...: rabbitmqctl addressed to node I (its cookie, our epmd)
ctl() {
  local i=$1; shift
  HOME="$(node_dir "$i")/home" ERL_EPMD_PORT="$LAPOR_EPMD_PORT" RABBITMQ_DIST_PORT=$((LAPOR_RABBIT_DIST_PORT + i - 1)) \
    RABBITMQ_CONF_ENV_FILE="$(node_dir "$i")/rabbitmq-env.conf" timeout 60 "$bin/rabbitmqctl" -q -n "$(node_name "$i")" "$@"
}

pid_of() { cat "$(node_dir "$1")/rabbitmq.pid" 2>/dev/null || true; }
alive() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

cookie() {
  local file="$LAPOR_RUN_DIR/secrets/erlang.cookie" i
  mkdir -p -m 700 "$LAPOR_RUN_DIR/secrets"
  [ -s "$file" ] || (umask 077; od -An -N24 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F > "$file")
  for i in $(seq 1 "$nodes"); do
    mkdir -p "$(node_dir "$i")/home"
    if ! cmp -s "$file" "$(node_dir "$i")/home/.erlang.cookie"; then
      rm -f "$(node_dir "$i")/home/.erlang.cookie"
      (umask 077; cp "$file" "$(node_dir "$i")/home/.erlang.cookie"); chmod 400 "$(node_dir "$i")/home/.erlang.cookie"
    fi
  done
}

member_of_first() { ctl "$1" cluster_status --formatter json 2>/dev/null | grep -q "\"$(node_name 1)\""; }

running_nodes() {
  local i
  for i in $(seq 1 "$nodes"); do
    if alive "$i"; then
      ctl "$i" cluster_status --formatter json 2>/dev/null |
        "$LAPOR_PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)["running_nodes"]))' && return 0
    fi
  done
  echo 0
}

start_node() { cookie; with_node "$1" "$here/rabbitmq.sh" start | sed "s/^rabbitmq:/rabbitmq node $1:/"; }

start_cluster() {
  cookie
  if ! epmd -port "$LAPOR_EPMD_PORT" -names >/dev/null 2>&1; then
    epmd -address 127.0.0.1 -port "$LAPOR_EPMD_PORT" -daemon
  fi
  local pids=() i rc=0 joined
  if [ "$join" = discovery ] && [ ! -d "$(node_dir 1)/mnesia/$(node_name 1)" ]; then
    # a fresh cluster joining while booting: node 1 first, then one node at a time (nodes that join
    # an unfinished node 1, or each other's join, fail their boot: schema_integrity_check_failed,
    # system_limit none_active, as seen in a CI run)
    for i in $(seq 1 "$nodes"); do start_node "$i" || { rc=1; break; }; done
  else
    # all at once: a node that was stopped while others ran waits for them at boot
    for i in $(seq 1 "$nodes"); do start_node "$i" & pids+=($!); done
    for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  fi
  [ $rc = 0 ] || { echo "cluster: a node failed to start; see $LAPOR_RUN_DIR/rabbitmq-n*/log" >&2; exit 1; }
  # nodes that joined while booting (LAPOR_CLUSTER_JOIN=discovery, or a cluster restarted) need no join
  [ "$join" = discovery ] && [ "$(running_nodes)" = "$nodes" ] && joined=1 || joined=""
  for i in $(seq 2 "$nodes"); do
    if [ -z "$joined" ] && ! member_of_first "$i"; then  # a fresh node: join node 1 (as Kubernetes peer discovery does)
      { ctl "$i" stop_app && ctl "$i" reset && ctl "$i" join_cluster "$(node_name 1)" && ctl "$i" start_app; } \
        >> "$(node_dir "$i")/log/join.log" 2>&1
      echo "cluster: node $i joined $(node_name 1)"
    fi
  done
  for _ in $(seq 1 60); do
    [ "$(running_nodes)" = "$nodes" ] && break
    sleep 1
  done
  [ "$(running_nodes)" = "$nodes" ] || { echo "cluster: not all $nodes nodes running" >&2; exit 1; }
  # users and shared exchanges once more, now that every node is in (idempotent)
  broker_credentials
  # and nameko's classic RPC queues mirrored on every node, as rabbitmq-users-job.yaml does
  local mirrors=--rpc-mirrors
  [ "${LAPOR_CLUSTER_RPC_MIRRORS:-1}" != 0 ] || mirrors=""
  PYTHONPATH="$root/services/contract" "$LAPOR_PYTHON" -m contract.brokeracl apply $mirrors \
    --api "$LAPOR_RABBIT_API_URI" --run-dir "$LAPOR_RUN_DIR" >/dev/null
  [ -n "$mirrors" ] || ctl 1 clear_policy lapor-rpc-mirrors >/dev/null 2>&1 || true
  echo "cluster: $nodes nodes running ($(node_name 1) ...; amqp 127.0.0.1:$ports_list)"
}

stop_cluster() {
  local i
  for i in $(seq "$nodes" -1 1); do  # node 1 last: it boots first without waiting for the others
    with_node "$i" "$here/rabbitmq.sh" stop >/dev/null || true
  done
  local epid
  epid=$(pgrep -f "epmd -address 127.0.0.1 -port $LAPOR_EPMD_PORT" || true)
  if [ -n "$epid" ]; then kill $epid 2>/dev/null || true; fi
  echo "cluster: stopped"
}

start() {
  start_cluster
  "$here/store.sh" start
  "$here/sinks.sh" start
  LAPOR_AMQP_PORTS="$ports_list" "$here/services.sh" start
  broker_credentials
  MONGODB_URI="$(store_uri routing)" \
  AMQP_URI="$(PYTHONPATH="$root/services/contract" "$LAPOR_PYTHON" -c \
    'import sys; from contract import localstack; print(localstack.amqp_uri(sys.argv[1], sys.argv[2]))' \
    "$LAPOR_RUN_DIR" "$ports_list")" \
    PYTHONPATH="$root/services/contract:$root/services/routing" \
    "$LAPOR_PYTHON" -m routing.cli import "${LAPOR_REGISTRY_FILE:-$root/deploy/demo/region.yml}" \
    --config "$root/services/routing/config.yml"
  "$here/frontdoor.sh" start
  echo "cluster stack: http://127.0.0.1:$LAPOR_HTTP_PORT (run folder $LAPOR_RUN_DIR)"
}

stop() {
  "$here/frontdoor.sh" stop >/dev/null || true
  "$here/services.sh" stop >/dev/null || true
  "$here/sinks.sh" stop >/dev/null || true
  "$here/store.sh" stop >/dev/null || true
  stop_cluster
}

status() {
  local i rc=0
  for i in $(seq 1 "$nodes"); do
    if alive "$i"; then echo "rabbitmq node $i: running (pid $(pid_of "$i"), $(node_name "$i"), amqp 127.0.0.1:$((first_port + i - 1)))"
    else echo "rabbitmq node $i: stopped"; rc=3; fi
  done
  echo "cluster: $(running_nodes)/$nodes nodes running"
  for part in store sinks services frontdoor; do "$here/$part.sh" status || rc=3; done
  return $rc
}

leaders() {
  local i
  for i in $(seq 1 "$nodes"); do
    if alive "$i"; then ctl "$i" list_queues name type leader members --no-table-headers | awk '$2 == "quorum"'; return 0; fi
  done
  echo "cluster: no node running" >&2; return 3
}

node_arg() { [[ "${1:-}" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$nodes" ] || { echo "usage: $0 kill|start-node 1..$nodes" >&2; exit 2; }; }

case "${1:-}" in
  start) start ;;
  brokers) start_cluster ;;
  stop) stop ;;
  status) status ;;
  leaders) leaders ;;
  kill) node_arg "${2:-}"; pid=$(pid_of "$2"); [ -n "$pid" ] && kill -9 "$pid"; echo "rabbitmq node $2: killed (pid $pid)" ;;
  start-node) node_arg "${2:-}"; start_node "$2" ;;
  *) echo "usage: $0 start|brokers|stop|status|leaders|kill N|start-node N" >&2; exit 2 ;;
esac

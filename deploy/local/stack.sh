#!/usr/bin/env bash
# The whole local stack: RabbitMQ, the store, the demo sinks (mail catcher, recording SMS gateway),
# the five services, the front door, Prometheus, the demo region.
# Usage: deploy/local/stack.sh start|stop|status
set -euo pipefail
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"

case "${1:-}" in
  start)
    "$here/rabbitmq.sh" start
    "$here/store.sh" start
    "$here/sinks.sh" start
    "$here/services.sh" start
    broker_credentials
    MONGODB_URI="$(store_uri routing)" \
    AMQP_URI="$LAPOR_AMQP_URI" \
      PYTHONPATH="$LAPOR_ROOT/services/contract:$LAPOR_ROOT/services/routing" \
      "$LAPOR_PYTHON" -m routing.cli import "${LAPOR_REGISTRY_FILE:-$LAPOR_ROOT/deploy/demo/region.yml}" \
      --config "$LAPOR_ROOT/services/routing/config.yml"
    "$here/frontdoor.sh" start
    "$here/prometheus.sh" start
    ;;
  stop)
    "$here/prometheus.sh" stop || true
    "$here/frontdoor.sh" stop || true
    "$here/services.sh" stop || true
    "$here/sinks.sh" stop || true
    "$here/store.sh" stop || true
    "$here/rabbitmq.sh" stop || true
    ;;
  status)
    rc=0
    for part in rabbitmq store sinks services frontdoor prometheus; do "$here/$part.sh" status || rc=3; done
    exit $rc ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

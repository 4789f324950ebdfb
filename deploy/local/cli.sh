#!/usr/bin/env bash
# Run a service's operator CLI against this hub's store, as the services themselves see it:
#   deploy/local/cli.sh routing import registry.yml
#   deploy/local/cli.sh routing token lo-bll-pupr
#   deploy/local/cli.sh intake import reports.csv
# Sets PYTHONPATH (contract + the service), the service's config.yml, and MONGODB_URI to the
# service's own store (store_uri: LAPOR_STORE_PORT_<SERVICE>, or LAPOR_STORE_PORT with
# LAPOR_STORE_PER_SERVICE=0) unless MONGODB_URI is already set (production: the service's URI).
# LAPOR_HUB_CODE is read by config.yml as a string ("5108" stays a code).
set -euo pipefail
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"
svc=${1:-}
case "$svc" in
  intake|routing|followup|notification|assessment) shift ;;
  *) echo "usage: $0 intake|routing|followup|notification|assessment COMMAND [ARGS...]" >&2; exit 2 ;;
esac
[ -f "$LAPOR_ROOT/services/$svc/$svc/cli.py" ] || { echo "$svc has no operator CLI" >&2; exit 2; }
export PYTHONPATH="$LAPOR_ROOT/services/contract:$LAPOR_ROOT/services/$svc${PYTHONPATH:+:$PYTHONPATH}"
# the operator's broker user (an operator's CLI is not a service: contract.brokeracl)
if [ -z "${AMQP_URI:-}" ]; then broker_credentials; export AMQP_URI="$LAPOR_AMQP_URI"; fi
export MONGODB_URI="${MONGODB_URI:-$(store_uri "$svc")}"
config=(--config "$LAPOR_ROOT/services/$svc/config.yml")
for arg in "$@"; do case "$arg" in --config|--config=*) config=();; esac; done
# every CLI accepts --config after its command; with no command, just show the help
if [ $# -eq 0 ] || [ "${1#-}" != "$1" ]; then config=(); fi
exec "$LAPOR_PYTHON" -m "$svc.cli" "$@" "${config[@]}"

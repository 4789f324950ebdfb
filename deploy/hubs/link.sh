#!/usr/bin/env bash
# Link this hub's broker to its neighbours' (contract.hublink), or serve its link metrics
# (contract.hubmetrics), from any folder:
#   deploy/hubs/link.sh apply   --hub 5108 --directory directory.yml --secrets /etc/lapor/links.yml
#   deploy/hubs/link.sh status  --hub 5108 --directory directory.yml --secrets /etc/lapor/links.yml
#   deploy/hubs/link.sh metrics --hub 5108 --directory directory.yml --secrets /etc/lapor/links.yml --port 8786
set -euo pipefail
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
python="${LAPOR_PYTHON:-$root/.venv/bin/python}"
export PYTHONPATH="$root/services/contract${PYTHONPATH:+:$PYTHONPATH}"
case "${1:-}" in
  apply|status) exec "$python" -m contract.hublink "$@" ;;
  metrics) shift; exec "$python" -m contract.hubmetrics "$@" ;;
  *) echo "usage: $0 apply|status|metrics --hub CODE --directory FILE --secrets FILE [--port N]" >&2; exit 2 ;;
esac

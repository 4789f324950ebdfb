#!/usr/bin/env bash
# `make test`: unit, integration and end-to-end tests. The servers they need (RabbitMQ, the
# store, the stack) are started and stopped by the tests' own fixtures. pytest's exit code 5
# (no test ran) is a failure here.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONWARNINGS=ignore
.venv/bin/python -m pytest -q --durations=10 "$@" tests
rc=$?
if [ $rc -eq 5 ]; then echo "no tests ran: failing" >&2; exit 1; fi
exit $rc

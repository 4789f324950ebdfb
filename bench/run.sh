#!/usr/bin/env bash
# `make bench`: every benchmark script in bench/ (bench/*.py), each printing its figures.
# Benchmarks start the servers they need through deploy/local on their own ports.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONWARNINGS=ignore
export PYTHONPATH="services/contract:services/intake:services/routing:services/followup:services/notification:services/assessment:."
scripts=("$@")
[ ${#scripts[@]} -gt 0 ] || scripts=(bench/*.py)
for script in "${scripts[@]}"; do
  case "$(basename "$script")" in _*) continue;; esac
  echo "== $script"
  .venv/bin/python "$script"
done

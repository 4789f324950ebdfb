#!/usr/bin/env bash
# Prometheus (Debian's `prometheus` package) as a plain process on 127.0.0.1:$LAPOR_PROMETHEUS_PORT,
# scraping the five services and RabbitMQ's per-queue metrics with deploy/prometheus/prometheus.yml
# (ports rewritten to this stack's by prometheus_conf.py) and evaluating deploy/prometheus/alerts.yml;
# a hub of deploy/hubs (LAPOR_PROMETHEUS_HUB_LINKS=1) also scrapes its link metrics (hub-links.yml).
# LAPOR_PROMETHEUS_EVALUATION_INTERVAL (e.g. 2s; default prometheus.yml's 15s) sets the rule evaluation
# interval; `start` on a running Prometheus rewrites the configuration and reloads it.
# Data and logs in $LAPOR_RUN_DIR/prometheus. Debian's build serves only the classic UI, under
# /classic/ (alerts: /classic/alerts). Usage: deploy/local/prometheus.sh start|stop|status|conf
# (conf: only write $LAPOR_RUN_DIR/prometheus/prometheus.yml)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"

dir="$LAPOR_RUN_DIR/prometheus"
pidfile="$dir/prometheus.pid"
src="$LAPOR_ROOT/deploy/prometheus"
prometheus_bin=$(command -v prometheus || echo /usr/bin/prometheus)
url="http://127.0.0.1:$LAPOR_PROMETHEUS_PORT"
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

write_conf() {  # the shipped rule files, and the configuration with this stack's ports (and hub links)
  mkdir -p "$dir/data"
  cp "$src"/*alerts.yml "$dir/"
  local links=()
  [ "$LAPOR_PROMETHEUS_HUB_LINKS" = 1 ] && links=(--hub-links)
  "$LAPOR_PYTHON" "$here/prometheus_conf.py" --http-port "$LAPOR_HTTP_PORT" \
    --rabbit-prom-port "$LAPOR_RABBIT_PROM_PORT" --evaluation-interval "$LAPOR_PROMETHEUS_EVALUATION_INTERVAL" "${links[@]}" \
    > "$dir/prometheus.yml.new"
  mv "$dir/prometheus.yml.new" "$dir/prometheus.yml"
}

start() {
  [ -x "$prometheus_bin" ] || { echo "prometheus: not installed (Debian package prometheus; make install)" >&2; exit 1; }
  write_conf
  if running; then kill -HUP "$(cat "$pidfile")"; echo "prometheus: reloaded ($url)"; return 0; fi
  nohup "$prometheus_bin" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --storage.tsdb.retention.time=7d --web.listen-address="127.0.0.1:$LAPOR_PROMETHEUS_PORT" \
    >> "$dir/prometheus.log" 2>&1 &
  echo $! > "$pidfile"
  for _ in $(seq 1 60); do
    if curl -fsS -m 1 "$url/-/ready" >/dev/null 2>&1; then
      echo "prometheus: ready (pid $(cat "$pidfile"), $url, alerts $url/classic/alerts)"; return 0; fi
    running || break
    sleep 0.5
  done
  echo "prometheus: not ready; see $dir/prometheus.log" >&2; tail -20 "$dir/prometheus.log" >&2; exit 1
}

case "${1:-}" in
  start) start ;;
  conf) write_conf; echo "$dir/prometheus.yml" ;;
  stop) stop_pidfile "$pidfile"; echo "prometheus: stopped" ;;
  status) if running; then echo "prometheus: running (pid $(cat "$pidfile"), $url)"; else echo "prometheus: stopped"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status|conf" >&2; exit 2 ;;
esac

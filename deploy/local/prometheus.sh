#!/usr/bin/env bash
# Prometheus (Debian's `prometheus` package) as a plain process on 127.0.0.1:$LAPOR_PROMETHEUS_PORT,
# scraping the five services and RabbitMQ's per-queue metrics with deploy/prometheus/prometheus.yml
# (ports rewritten to this stack's) and evaluating deploy/prometheus/alerts.yml. Data and logs in
# $LAPOR_RUN_DIR/prometheus. Usage: deploy/local/prometheus.sh start|stop|status
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"

dir="$LAPOR_RUN_DIR/prometheus"
pidfile="$dir/prometheus.pid"
src="$LAPOR_ROOT/deploy/prometheus"
prometheus_bin=$(command -v prometheus || echo /usr/bin/prometheus)
url="http://127.0.0.1:$LAPOR_PROMETHEUS_PORT"
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

write_conf() {  # the shipped configuration and rule files, the default local ports replaced by this stack's
  mkdir -p "$dir/data"
  cp "$src"/*.yml "$dir/"
  local h=$LAPOR_HTTP_PORT args=() i
  for i in 1 2 3 4 5 6 7 8 9; do args+=(-e "s/127\.0\.0\.1:878$i\"/127.0.0.1:$((h + i))\"/"); done
  sed "${args[@]}" -e "s/127\.0\.0\.1:15702\"/127.0.0.1:$LAPOR_RABBIT_PROM_PORT\"/" \
      "$src/prometheus.yml" > "$dir/prometheus.yml"
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
      echo "prometheus: ready (pid $(cat "$pidfile"), $url, targets $url/targets)"; return 0; fi
    running || break
    sleep 0.5
  done
  echo "prometheus: not ready; see $dir/prometheus.log" >&2; tail -20 "$dir/prometheus.log" >&2; exit 1
}

case "${1:-}" in
  start) start ;;
  stop) stop_pidfile "$pidfile"; echo "prometheus: stopped" ;;
  status) if running; then echo "prometheus: running (pid $(cat "$pidfile"), $url)"; else echo "prometheus: stopped"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

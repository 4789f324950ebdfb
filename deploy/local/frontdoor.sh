#!/usr/bin/env bash
# Start/stop the single HTTP origin for users: nginx on 127.0.0.1:$LAPOR_HTTP_PORT, routing
# path prefixes (routes.txt) to the services' own ports and serving /openapi.json.
# Usage: deploy/local/frontdoor.sh start|stop|status
set -euo pipefail
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"

dir="$LAPOR_RUN_DIR/frontdoor"
pidfile="$dir/nginx.pid"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
mkdir -p "$dir/tmp" "$dir/logs"
chmod 1777 "$dir/tmp"

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

# The OpenAPI document is built from the services' schemas (about a CPU-second: it imports all five
# services), once per state of the sources for every stack of this checkout (.run/openapi-cache), with
# a stand-in server URL that each stack's own replaces.
STAND_IN_URL="http://lapor-hub.invalid"
write_openapi() {
  local cache_dir="$LAPOR_ROOT/.run/openapi-cache" sum cache
  sum=$(cd "$LAPOR_ROOT" && find services deploy/local/openapi.py -type f \( -name '*.py' -o -name '*.yml' \) \
          -not -path '*/__pycache__/*' | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16)
  cache="$cache_dir/openapi-$sum.json"
  if [ ! -s "$cache" ]; then
    mkdir -p "$cache_dir"
    find "$cache_dir" -name 'openapi-*.json' -mmin +60 -delete  # documents of earlier sources (an hour on: not in use)
    PYTHONPATH="$LAPOR_ROOT/services/contract:$LAPOR_ROOT/services/intake:$LAPOR_ROOT/services/routing:$LAPOR_ROOT/services/followup:$LAPOR_ROOT/services/notification:$LAPOR_ROOT/services/assessment" \
      "$LAPOR_PYTHON" "$here/openapi.py" "$STAND_IN_URL" > "$cache.$$"
    mv "$cache.$$" "$cache"  # whole or not at all, also when two stacks build it at once
  fi
  sed "s#\"$STAND_IN_URL\"#\"http://127.0.0.1:$LAPOR_HTTP_PORT\"#" "$cache" > "$dir/openapi.json"
  chmod 644 "$dir/openapi.json"
}

# nginx.conf and the answers for errors nginx itself gives (or an upstream's 502-504) in the API's
# error format: deploy/local/nginx_conf.py, the same source as the Kubernetes front door's.
write_conf() {
  write_openapi
  "$LAPOR_PYTHON" "$here/nginx_conf.py" local "$dir" "$LAPOR_HTTP_PORT" "$LAPOR_HUB_CODE"
}

start() {
  write_conf
  if running; then "$nginx_bin" -p "$dir" -c "$dir/nginx.conf" -s reload; echo "frontdoor: reloaded (http://127.0.0.1:$LAPOR_HTTP_PORT)"; return 0; fi
  "$nginx_bin" -t -q -p "$dir" -c "$dir/nginx.conf"
  nohup "$nginx_bin" -p "$dir" -c "$dir/nginx.conf" -g "daemon off;" > "$dir/logs/stdout.log" 2>&1 &
  for _ in $(seq 1 40); do
    if curl -fsS -m 1 "http://127.0.0.1:$LAPOR_HTTP_PORT/openapi.json" >/dev/null 2>&1; then
      echo "frontdoor: ready (pid $(cat "$pidfile"), http://127.0.0.1:$LAPOR_HTTP_PORT)"; return 0; fi
    sleep 0.25
  done
  echo "frontdoor: not ready; see $dir/logs" >&2; exit 1
}

stop() {
  stop_pidfile "$pidfile"
  echo "frontdoor: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "frontdoor: running (pid $(cat "$pidfile"))"; else echo "frontdoor: stopped"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

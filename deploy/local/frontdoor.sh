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

port_of() {
  case "$1" in intake) echo $((LAPOR_HTTP_PORT + 1));; routing) echo $((LAPOR_HTTP_PORT + 2));;
    followup) echo $((LAPOR_HTTP_PORT + 3));; notification) echo $((LAPOR_HTTP_PORT + 4));;
    assessment) echo $((LAPOR_HTTP_PORT + 5));; esac
}
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

write_conf() {
  PYTHONPATH="$LAPOR_ROOT/services/contract:$LAPOR_ROOT/services/intake:$LAPOR_ROOT/services/routing:$LAPOR_ROOT/services/followup:$LAPOR_ROOT/services/notification:$LAPOR_ROOT/services/assessment" \
    "$LAPOR_PYTHON" "$here/openapi.py" "http://127.0.0.1:$LAPOR_HTTP_PORT" > "$dir/openapi.json"
  chmod 644 "$dir/openapi.json"
  {
    echo "worker_processes 1;"
    echo "pid $pidfile;"
    echo "error_log $dir/logs/error.log warn;"
    echo "events { worker_connections 1024; }"
    echo "http {"
    echo "  access_log $dir/logs/access.log;"
    echo "  client_body_temp_path $dir/tmp/body; proxy_temp_path $dir/tmp/proxy;"
    echo "  fastcgi_temp_path $dir/tmp/fastcgi; uwsgi_temp_path $dir/tmp/uwsgi; scgi_temp_path $dir/tmp/scgi;"
    echo "  client_max_body_size 25m;"
    echo "  server_tokens off;"
    echo "  server {"
    echo "    listen 127.0.0.1:$LAPOR_HTTP_PORT;"
    echo "    proxy_http_version 1.1;"
    echo "    proxy_set_header Host \$host;"
    echo "    proxy_set_header X-Forwarded-For \$remote_addr;"
    echo "    proxy_set_header X-Forwarded-Proto \$scheme;"
    echo "    proxy_set_header Connection \"\";"
    echo "    location = /openapi.json { default_type application/json; alias $dir/openapi.json; }"
    echo "    location = /api { default_type application/json; return 200 '{\"name\": \"LAPOR-Hub\", \"hub\": \"$LAPOR_HUB_CODE\", \"openapi\": \"/openapi.json\"}'; }"
    grep -v '^#' "$here/routes.txt" | while read -r prefix svc; do
      [ -n "$prefix" ] || continue
      if [ "$prefix" = "/" ]; then  # the home page only: unknown paths keep the JSON 404 below
        echo "    location = / { proxy_pass http://127.0.0.1:$(port_of "$svc"); }"; continue
      fi
      echo "    location ^~ $prefix { proxy_pass http://127.0.0.1:$(port_of "$svc"); }"
    done
    echo "    location / { default_type application/json; return 404 '{\"errors\": [{\"field\": null, \"code\": \"not_found\", \"message\": \"No such endpoint; see /openapi.json.\", \"message_id\": \"Alamat tidak dikenal; lihat /openapi.json.\"}]}'; }"
    echo "    error_page 502 503 504 = @unavailable;"
    echo "    location @unavailable { default_type application/json; return 503 '{\"errors\": [{\"field\": null, \"code\": \"unavailable\", \"message\": \"The service is temporarily unavailable.\", \"message_id\": \"Layanan sedang tidak tersedia.\"}]}'; }"
    echo "  }"
    echo "}"
  } > "$dir/nginx.conf"
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

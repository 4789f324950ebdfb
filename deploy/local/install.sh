#!/usr/bin/env bash
# Install what is missing: Debian packages (rabbitmq-server, nginx-light, prometheus, and chromium
# with chromium-driver, which the tests use to render the printable reports and drive the web
# pages) and the project's virtual environment with pinned Python packages. Safe to run again.
set -euo pipefail
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"

need_apt=()
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need_apt+=(rabbitmq-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)  # 113 MB download, +413 MB on disk
# Prometheus for `make run` (a plain loopback process, deploy/local/prometheus.sh) and promtool for
# the alert-rule tests; the package's own systemd unit (0.0.0.0:9090) is left alone.
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
# Debian's WebDriver for that chromium: the browser tests of the web pages (Selenium never downloads one)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)  # axe-core for the accessibility scans (tests/e2e/browser.py)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install: apt-get install ${need_apt[*]}"
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

stamp="$LAPOR_VENV/.requirements.sha"
want=$(cat "$LAPOR_ROOT/requirements.txt" "$LAPOR_ROOT/requirements-dev.txt" | sha256sum | cut -d' ' -f1)
if [ ! -x "$LAPOR_VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "install: virtual environment $LAPOR_VENV"
  python3 -m venv --clear "$LAPOR_VENV"  # from scratch: an install cut short leaves a broken pip behind
  "$LAPOR_VENV/bin/pip" install -q --upgrade pip 'setuptools<82' 2>&1 | grep -v '^WARNING: Location' || true
  "$LAPOR_VENV/bin/pip" install -q -r "$LAPOR_ROOT/requirements-dev.txt" 2>&1 | grep -v '^WARNING: Location' || true
  "$LAPOR_VENV/bin/python" -c "import nameko, pymongo, marshmallow, prometheus_client, secantus" 2>/dev/null \
    || "$LAPOR_VENV/bin/python" -c "import nameko, pymongo, marshmallow, prometheus_client"
  echo "$want" > "$stamp"
fi

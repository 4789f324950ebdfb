"""Prometheus: the scrape configuration and the alert rules, checked by Prometheus' own promtool
(Debian's `prometheus` package, installed by `make install`): `promtool check config`, and
`promtool test rules` unit tests in which every alert rule both fires and stays silent."""
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*_test.yml"))


@pytest.fixture(scope="module")
def promtool():
    path = shutil.which("promtool")
    assert path, "promtool not found: install Debian's prometheus package (make install does)"
    return path


def promtool_run(promtool, *args):
    done = subprocess.run([promtool, *args], capture_output=True, text=True, timeout=120, cwd=PROMETHEUS)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def alert_names():
    """Every alert of every rule file Prometheus loads (prometheus.yml's rule_files)."""
    names = set()
    for name in yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())["rule_files"]:
        rules = yaml.safe_load((PROMETHEUS / name).read_text())
        names |= {rule["alert"] for group in rules["groups"] for rule in group["rules"] if "alert" in rule}
    return names


def test_the_scrape_configuration_and_its_rule_files_are_valid(promtool):
    promtool_run(promtool, "check", "config", "prometheus.yml")


def test_every_alert_rule_has_a_firing_and_a_silent_promtool_test(promtool):
    assert RULE_TESTS, "no promtool rule tests in deploy/prometheus/tests/"
    firing, silent = set(), set()
    for path in RULE_TESTS:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                (firing if case["exp_alerts"] else silent).add(case["alertname"])
    names = alert_names()
    assert len(names) >= 8
    assert names - firing == set(), "alerts never shown firing"
    assert names - silent == set(), "alerts never shown silent"
    promtool_run(promtool, "test", "rules", *[str(p) for p in RULE_TESTS])


def test_the_queue_backlog_alert_names_the_queue_from_per_queue_metrics():
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    rabbit, = [job for job in config["scrape_configs"] if job["job_name"] == "rabbitmq"]
    assert rabbit["metrics_path"] == "/metrics/per-object"
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    backlog, = [r for g in rules["groups"] for r in g["rules"] if r.get("alert") == "LaporQueueBacklog"]
    assert "{{ $labels.queue }}" in backlog["annotations"]["summary"]

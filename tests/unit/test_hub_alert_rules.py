"""The hub-link alert rules (deploy/prometheus/hubs-alerts.yml), tested by Prometheus' own
promtool (Debian's `prometheus` package): every rule fires in one case and stays silent in another."""
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
RULES, TEST = PROMETHEUS / "hubs-alerts.yml", PROMETHEUS / "tests" / "hubs_alerts_test.yml"


@pytest.fixture(scope="module")
def promtool():
    path = shutil.which("promtool")
    assert path, "promtool not found: install Debian's prometheus package (deploy/local/install.sh does)"
    return path


def test_hub_alert_rules_pass_their_promtool_tests(promtool):
    done = subprocess.run([promtool, "test", "rules", str(TEST)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_hub_alert_is_shown_firing_and_silent():
    names = {r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]}
    firing, silent = set(), set()
    for test in yaml.safe_load(TEST.read_text())["tests"]:
        for case in test["alert_rule_test"]:
            (firing if case["exp_alerts"] else silent).add(case["alertname"])
    assert {"LaporHubLinkDown", "LaporHubOutboundBacklogGrowing"} <= names
    assert {"LaporHubForwardsUnacknowledged", "LaporHubReportsHandedBack"} <= names  # issue 18
    assert names == firing == silent


def test_the_holder_alerts_read_metrics_intake_exports():
    """The rules of issue 18 read what intake's hub metrics are named (a renamed metric would
    leave an alert that never fires)."""
    from intake import hub_metrics
    rules = RULES.read_text()
    for metric in (hub_metrics.UNACKNOWLEDGED, hub_metrics.HANDED_BACK):
        assert metric._name in rules


def test_a_hubs_prometheus_loads_the_hub_rules_and_scrapes_the_link_metrics(promtool):
    """What a hub of deploy/hubs adds to the single stack's prometheus.yml (deploy/local/prometheus_conf.py)."""
    config = yaml.safe_load((PROMETHEUS / "hub-links.yml").read_text())
    assert "hubs-alerts.yml" in config["rule_files"]
    assert "lapor-hub-links" in {job["job_name"] for job in config["scrape_configs"]}
    done = subprocess.run([promtool, "check", "config", "hub-links.yml"], capture_output=True, text=True,
                          timeout=120, cwd=PROMETHEUS)
    assert done.returncode == 0, done.stdout + done.stderr

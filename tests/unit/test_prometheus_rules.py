"""Prometheus: the scrape configuration and the alert rules, checked by Prometheus' own promtool
(Debian's `prometheus` package, installed by `make install`): `promtool check config`, and
`promtool test rules` unit tests in which every alert rule both fires and stays silent. A single
stack scrapes only what it runs; a hub of deploy/hubs adds its link metrics (issue 21)."""
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*_test.yml"))
SINGLE_STACK_JOBS = {"lapor-intake", "lapor-routing", "lapor-followup", "lapor-notification", "lapor-assessment",
                     "rabbitmq"}


def load_prometheus_conf():
    spec = importlib.util.spec_from_file_location("prometheus_conf", ROOT / "deploy" / "local" / "prometheus_conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


prometheus_conf = load_prometheus_conf()


def targets(config: dict) -> dict[str, list[str]]:
    return {job["job_name"]: [t for group in job["static_configs"] for t in group["targets"]]
            for job in config["scrape_configs"]}


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
    """Every alert of every rule file Prometheus loads, on a single stack or a hub."""
    names = set()
    for name in prometheus_conf.build(8780, 15702, hub_links=True)["rule_files"]:
        rules = yaml.safe_load((PROMETHEUS / name).read_text())
        names |= {rule["alert"] for group in rules["groups"] for rule in group["rules"] if "alert" in rule}
    return names


def test_the_scrape_configuration_and_its_rule_files_are_valid(promtool):
    promtool_run(promtool, "check", "config", "prometheus.yml")


@pytest.mark.parametrize("hub_links", [False, True], ids=["single-stack", "hub"])
def test_the_configuration_a_stack_runs_is_valid(promtool, tmp_path, hub_links):
    for rules in PROMETHEUS.glob("*alerts.yml"):
        shutil.copy(rules, tmp_path)
    written = tmp_path / "prometheus.yml"
    written.write_text(yaml.safe_dump(prometheus_conf.build(11480, 16370, hub_links=hub_links)))
    done = subprocess.run([promtool, "check", "config", str(written)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_single_stack_scrapes_only_what_it_runs_on_its_own_ports():
    """`make run` starts the five services and RabbitMQ, and nothing on HTTP port + 6: a scrape of
    anything else would be a target down and LaporServiceDown from the first start."""
    config = prometheus_conf.build(11480, 16370)
    assert targets(config) == {
        "lapor-intake": ["127.0.0.1:11481"], "lapor-routing": ["127.0.0.1:11482"],
        "lapor-followup": ["127.0.0.1:11483"], "lapor-notification": ["127.0.0.1:11484"],
        "lapor-assessment": ["127.0.0.1:11485"], "rabbitmq": ["127.0.0.1:16370"]}
    assert config["rule_files"] == ["alerts.yml"]
    shipped = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    assert set(targets(shipped)) == SINGLE_STACK_JOBS


def test_a_hub_also_scrapes_its_link_metrics_and_loads_their_alerts():
    config = prometheus_conf.build(10780, 16300, hub_links=True)
    assert set(targets(config)) == SINGLE_STACK_JOBS | {"lapor-hub-links"}
    assert targets(config)["lapor-hub-links"] == ["127.0.0.1:10786"]  # contract.hubmetrics, as hubs.sh runs it
    assert config["rule_files"] == ["alerts.yml", "hubs-alerts.yml"]


def test_prometheus_sh_scrapes_link_metrics_on_a_hub_of_make_run_hubs_only(tmp_path):
    """The configuration deploy/local/prometheus.sh writes, in `make run`'s environment and in a
    hub's (deploy/hubs/hubs.sh env)."""
    base = {"PATH": "/usr/bin:/bin", "LAPOR_WEB_SECRET": "unused", "LAPOR_PYTHON": sys.executable}
    hub = subprocess.run([str(ROOT / "deploy" / "hubs" / "hubs.sh"), "env", "5108"], capture_output=True,
                         text=True, timeout=60, env={**base, "LAPOR_HUBS_DIR": str(tmp_path / "hubs")})
    assert hub.returncode == 0, hub.stderr
    hub_env = dict(word.split("=", 1) for line in hub.stdout.splitlines() for word in line.split()[1:])
    written = {}
    for name, env in {"make run": {"LAPOR_HTTP_PORT": "11480", "LAPOR_RABBIT_PROM_PORT": "16370"},
                      "hub": hub_env}.items():
        env = {**base, **env, "LAPOR_RUN_DIR": str(tmp_path / name.replace(" ", "-"))}
        done = subprocess.run([str(ROOT / "deploy" / "local" / "prometheus.sh"), "conf"], capture_output=True,
                              text=True, timeout=60, env=env)
        assert done.returncode == 0, done.stderr
        written[name] = targets(yaml.safe_load(Path(done.stdout.strip()).read_text()))
    assert written["make run"]["lapor-intake"] == ["127.0.0.1:11481"]
    assert set(written["make run"]) == SINGLE_STACK_JOBS
    assert set(written["hub"]) == SINGLE_STACK_JOBS | {"lapor-hub-links"}
    assert written["hub"]["lapor-hub-links"] == [f"127.0.0.1:{int(hub_env['LAPOR_HTTP_PORT']) + 6}"]


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

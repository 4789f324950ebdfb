"""Monitoring is true from the first start (issue 21): on a freshly started stack, once Prometheus
has scraped every target and evaluated its rules, every target is up and no alert is active
(pending or firing); every Prometheus page that `make run`, the scripts and the docs print opens
on the Prometheus the project installs (Debian's, whose UI is under /classic/).

tests/e2e/conftest.py runs this module first in the session, right after the stack started, so
that what it sees is the fresh stack and not the aftermath of other tests; its Prometheus evaluates
the rules every 2 s until this module ends (conftest ``FIRST_LOOK``), then every 15 s as shipped."""
import re
from datetime import datetime
from pathlib import Path

import pytest
import requests

from tests.conftest import run_script
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
NEVER = datetime.fromisoformat("0001-01-01T00:00:00+00:00")


@pytest.fixture(scope="module", autouse=True)
def shipped_intervals_afterwards(stack):
    """The stack's Prometheus back on prometheus.yml's intervals (reloaded) once this module is done."""
    yield
    run_script("prometheus.sh", "start", {**stack["env"], "LAPOR_PROMETHEUS_EVALUATION_INTERVAL": ""})


def prometheus(stack) -> str:
    return f"http://127.0.0.1:{int(stack['env']['LAPOR_HTTP_PORT']) + 9}"  # LAPOR_PROMETHEUS_PORT of env.sh


def api(stack, path: str):
    answer = requests.get(f"{prometheus(stack)}/api/v1/{path}", timeout=5)
    answer.raise_for_status()
    return answer.json()["data"]


def moment(text: str) -> datetime:
    """Prometheus' RFC 3339 times (nanoseconds; 0001-01-01 for never) as aware datetimes."""
    text = re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00")
    return datetime.fromisoformat(text)


def scraped_targets(stack):
    """The active targets once each has been scraped at least once, else None."""
    active = api(stack, "targets")["activeTargets"]
    return active if active and all(moment(t["lastScrape"]) > NEVER for t in active) else None


def evaluated_after(stack, when: datetime):
    """The rule groups once each has been evaluated after ``when``, else None."""
    groups = api(stack, "rules")["groups"]
    return groups if groups and all(moment(g["lastEvaluation"]) > when for g in groups) else None


def test_a_fresh_stack_has_every_target_up_and_no_alert(stack):
    targets = wait_for(lambda: scraped_targets(stack), timeout=90, interval=1)
    health = {t["labels"]["job"]: (t["health"], t["lastError"]) for t in targets}
    assert {job for job, (state, _) in health.items() if state != "up"} == set(), health
    assert set(health) == {"lapor-intake", "lapor-routing", "lapor-followup", "lapor-notification",
                           "lapor-assessment", "rabbitmq"}

    # the rules see these scrapes only at an evaluation after the latest of them
    latest_scrape = max(moment(t["lastScrape"]) for t in targets)
    groups = wait_for(lambda: evaluated_after(stack, latest_scrape), timeout=90, interval=1)
    assert "LaporServiceDown" in {rule["name"] for group in groups for rule in group["rules"]}
    alerts = api(stack, "alerts")["alerts"]
    assert [(a["labels"]["alertname"], a["state"], a["labels"].get("job")) for a in alerts] == []


def printed_prometheus_paths() -> set[str]:
    """The Prometheus pages `make run` prints (Makefile, prometheus.sh) and the docs name."""
    makefile = (ROOT / "Makefile").read_text()
    line, = [line for line in makefile.splitlines() if "Prometheus:" in line]
    paths = set(re.findall(r"PROMETHEUS_PORT(/[\w/.-]+)", line)) | set(re.findall(r"[ (](/[\w/.-]+)", line))
    script = (ROOT / "deploy" / "local" / "prometheus.sh").read_text()
    paths |= set(re.findall(r"\$url(/[\w/.-]+)", script)) - {"/-/ready"}
    for doc in ("README.md", "docs/operations.md"):
        paths |= set(re.findall(r"`(/(?:classic/)?(?:targets|alerts|rules|graph|config|flags|status)\b[\w/]*)`",
                                (ROOT / doc).read_text()))
    return paths


def test_every_prometheus_page_printed_opens(stack):
    paths = printed_prometheus_paths()
    answers = {path: requests.get(prometheus(stack) + path, timeout=10).status_code for path in sorted(paths)}
    assert {path: code for path, code in answers.items() if code != 200} == {}
    assert {"/classic/alerts", "/classic/targets"} <= paths

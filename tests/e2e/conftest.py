"""The whole stack, started by the project's own scripts, reached through its front door."""
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from contract import localstack
from tests.conftest import LOCAL, PATIENT_FRONT_DOOR, run_script


def pytest_collection_modifyitems(items):
    """tests/e2e/test_monitoring.py first: it asserts what Prometheus shows on a freshly started
    stack (no alert), which other tests' load and refusals could change."""
    first = [item for item in items if item.path.name == "test_monitoring.py"]
    items[:] = first + [item for item in items if item.path.name != "test_monitoring.py"]


# Prometheus evaluates its rules every 2 s at first, so that tests/e2e/test_monitoring.py (the
# session's first module) sees the evaluation after a fresh stack's first scrapes within 2 s rather
# than up to 15 s; that module then reloads it with the shipped 15 s for the rest of the session. The
# scrapes stay at 15 s: at 2 s, rates over a second scrape would show the stack's start on a loaded
# machine as a slow entrypoint (LaporSlowEntrypoint pending), which a first look at 15 s cannot see.
FIRST_LOOK = {"LAPOR_PROMETHEUS_EVALUATION_INTERVAL": "2s"}


# Each service's database in a store process of its own, as `make run` and the demo hubs run them
# (tests/e2e/test_store_per_service.py proves it on this stack): one stack for the lane rather than a
# second one for that test. The session's shared store (tests/conftest.py ``servers``) serves no service.
STORE_PER_SERVICE = {"LAPOR_STORE_PER_SERVICE": "1"}


@pytest.fixture(scope="session")
def stack(servers):
    env = {**servers["env"], **PATIENT_FRONT_DOOR, **FIRST_LOOK, **STORE_PER_SERVICE}
    fresh_service_stores(env)  # a fresh demo hub for every session
    try:
        subprocess.run([str(LOCAL / "stack.sh"), "start"], env=env, check=True, timeout=300)
    except Exception:
        # a half-started stack must not outlive the session (its stores: the servers fixture stops them)
        stop_stack_processes(env)
        raise
    http = int(env["LAPOR_HTTP_PORT"])
    yield {"base": f"http://127.0.0.1:{http}", "env": env, "stores": localstack.store_uris(env),
           "service_ports": {name: http + i for i, name in enumerate(
               ("intake", "routing", "followup", "notification", "assessment"), start=1)}}
    stop_stack_processes(env)


def fresh_service_stores(env):
    """No store of a service holds what an earlier session left: its folder goes (and its process,
    if a crashed session left it running: the one its pid file names, if it is that store)."""
    top = Path(env["LAPOR_RUN_DIR"]) / "store"
    for service in localstack.STORE_SERVICES:
        folder = top / service
        try:
            pid = int((folder / "secantusd.pid").read_text().split()[0])
            if str(folder) in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def stack_stores(stack):
    """service -> a client of the store holding its database (``stack_stores["routing"]["lapor_routing"]``)."""
    from contract.store import acquire_client, release_client
    clients = {service: acquire_client(uri) for service, uri in stack["stores"].items()}
    yield clients
    for uri in stack["stores"].values():
        release_client(uri)


def stop_stack_processes(env):
    """What stack.sh started on top of the session's RabbitMQ and store (which the servers fixture stops)."""
    for script in ("prometheus.sh", "frontdoor.sh", "services.sh", "sinks.sh"):
        run_script(script, "stop", env)


@pytest.fixture(scope="session")
def browsers():
    """The session's Chromium instances (tests/e2e/browser.py ``Browsers``), closed at its end."""
    from tests.e2e.browser import Browsers
    pool = Browsers()
    yield pool
    pool.close()


@pytest.fixture
def open_browser(browsers):
    """``open_browser(size=..., javascript=..., accept_language=...)``: a browser lent to this test,
    reset as a fresh profile (phone width unless told)."""
    with browsers.lending() as start:
        yield start


@pytest.fixture(scope="session")
def official_headers(stack):
    """``headers(official_id)``: Authorization headers for a demo official, issued the way an
    operator does (``make token``: routing's CLI on routing's store, tests.credentials); one token
    per official and session."""
    from tests.credentials import bearer
    issued = {}

    def headers(official_id):
        if official_id not in issued:
            issued[official_id] = bearer({"MONGODB_URI": stack["stores"]["routing"]}, official_id)
        return issued[official_id]
    return headers


@pytest.fixture(scope="session")
def officials_scan(stack, official_headers):
    """The reports of tests/e2e/test_every_page.py (one of every kind) and the canaries of
    tests/e2e/test_intake_canaries.py, filed once, and what every official role and the public open
    over them (tests/e2e/scan.py): both tests scan the same answers for their own rule."""
    from tests.e2e import scan
    from tests.e2e.test_every_page import every_kind
    from tests.e2e.test_intake_canaries import canary_reports, paths_to_read, wait_acted_on
    base = stack["base"]
    receipts = every_kind(base, stack, official_headers)
    canaries = canary_reports(base, {channel: gateway_headers(stack, channel) for channel in ("sms", "social")})
    wait_acted_on(base, canaries)
    return scan.officials_scan(base, official_headers, receipts, canaries, lambda ids: paths_to_read(base, ids))


def gateway_headers(stack: dict, channel: str) -> dict:
    """How the local stack's demo gateway of ``channel`` (sms, social) authenticates (services.sh
    keeps the generated secrets in $LAPOR_RUN_DIR/channel-gateways.env)."""
    from pathlib import Path
    line = (Path(stack["env"]["LAPOR_RUN_DIR"]) / "channel-gateways.env").read_text().strip()
    items = dict(item.split(":", 1) for item in line.split("=", 1)[1].split(","))
    return {"Authorization": f"Bearer {items[channel].split('=', 1)[1]}"}

"""Three hubs on this machine (national ID, Bali 51, Buleleng 5108), started by deploy/hubs.

``hub_brokers``: only their RabbitMQ nodes, linked (contract.hublink) -- enough for the link
tests. ``hub_stacks``: the whole three stacks (deploy/hubs/hubs.sh start). Ports: offset
LAPOR_TEST_HUBS_OFFSET (default 100) and +10, +20. LAPOR_TEST_KEEP_SERVERS=1 leaves them running.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from contract import hublink, localstack
from tests.conftest import ONE_STORE, PATIENT_FRONT_DOOR, ROOT

HUBS = ROOT / "deploy" / "hubs"

def pytest_collection_modifyitems(items):
    """tests/hubs/test_links.py before the hub tests that start the session's stacks: it takes messages
    off ``lapor.hubs.in`` and so runs on the brokers alone (with an intake consuming it skips). The
    five_hubs package (its own network, tests/hubs/network.py) stays first, where its name puts it."""
    places = [i for i, item in enumerate(items) if item.path.parent.name == "hubs"]
    hubs = [items[i] for i in places]
    ordered = [item for item in hubs if item.path.name == "test_links.py"] + \
        [item for item in hubs if item.path.name != "test_links.py"]
    for place, item in zip(places, ordered):
        items[place] = item

OFFSET = int(os.environ.get("LAPOR_TEST_HUBS_OFFSET", "100"))
RUN_DIR = ROOT / ".run" / f"test-hubs-{OFFSET}"
CODES = ("ID", "51", "5108")
# How long a broker restarted in a test (Hub.local) may take to be ready (LAPOR_START_TIMEOUT; the
# scripts' default is 150 s). Two brokers restarted together, one rebuilding the index of a backlog
# on disk, in the niced hubs lane beside the other lanes and two CPU burners, took about 153 s: the
# start gave up 3 s before the node was ready (session 13). A node that exits still fails at once.
RESTART_PATIENCE = 300


def hubs_env() -> dict:
    return {**os.environ, "PYTHONWARNINGS": "ignore", "LAPOR_HUBS_DIR": str(RUN_DIR),
            "LAPOR_HUBS_OFFSET": str(OFFSET), **PATIENT_FRONT_DOOR, **ONE_STORE}


def hub_env(code: str) -> dict:
    """The deploy/local environment of one hub (as deploy/hubs/hubs.sh env prints it)."""
    out = subprocess.run([str(HUBS / "hubs.sh"), "env", code], env=hubs_env(), check=True,
                         capture_output=True, text=True).stdout
    env = dict(os.environ)
    for line in out.splitlines():
        for pair in line.removeprefix("export ").split():
            key, value = pair.split("=", 1)
            env[key] = value
    return env


class Hub:
    def __init__(self, code: str):
        self.code = code
        self.env = hub_env(code)
        self.run_dir = Path(self.env["LAPOR_RUN_DIR"])
        uris = localstack.env_uris(self.env)
        self.amqp_uri, self.api_uri, self.mongodb_uri = uris["amqp"], uris["api"], uris["mongodb"]
        self.url = f"http://127.0.0.1:{self.env['LAPOR_HTTP_PORT']}"

    @property
    def secrets_file(self) -> Path:
        return self.run_dir / "secrets" / "links.yml"

    def secrets(self) -> dict:
        return hublink.load_secrets(self.secrets_file.read_text())

    def directory(self) -> list[dict]:
        return hublink.load_directory((RUN_DIR / "directory.yml").read_text())

    def management(self) -> hublink.Management:
        return hublink.Management(self.api_uri)

    def local(self, action: str, script: str = "rabbitmq.sh") -> None:
        """A hub's part stopped or started mid-test; a start is given RESTART_PATIENCE seconds."""
        subprocess.run([str(ROOT / "deploy" / "local" / script), action],
                       env={**self.env, "LAPOR_START_TIMEOUT": str(RESTART_PATIENCE)}, check=True,
                       timeout=RESTART_PATIENCE + 60, stdout=subprocess.DEVNULL)

    def link(self, directory_file: Path | None = None) -> dict:
        return hublink.apply(hublink.load_directory((directory_file or RUN_DIR / "directory.yml").read_text()),
                             self.code, self.secrets())


def _prepare() -> None:
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), str(HUBS / "prepare.py"), str(RUN_DIR), str(OFFSET)],
                   env={**hubs_env(), "PYTHONPATH": str(ROOT / "services" / "contract")}, check=True,
                   stdout=subprocess.DEVNULL)


@pytest.fixture(scope="session")
def hub_brokers():
    _prepare()
    hubs = {code: Hub(code) for code in CODES}
    procs = [subprocess.Popen([str(ROOT / "deploy" / "local" / "rabbitmq.sh"), "start"], env=hub.env,
                              stdout=subprocess.DEVNULL) for hub in hubs.values()]
    assert all(proc.wait(timeout=180) == 0 for proc in procs)
    for hub in hubs.values():
        hub.link()
    yield hubs
    if not os.environ.get("LAPOR_TEST_KEEP_SERVERS"):
        subprocess.run([str(HUBS / "hubs.sh"), "stop"], env=hubs_env(), timeout=300, stdout=subprocess.DEVNULL)


@pytest.fixture(scope="session")
def hub_stacks(hub_brokers):
    subprocess.run([str(HUBS / "hubs.sh"), "start"], env=hubs_env(), check=True, timeout=400,
                   stdout=subprocess.DEVNULL)
    yield hub_brokers


def directory_without(code: str, tmp_path: Path) -> Path:
    data = yaml.safe_load((RUN_DIR / "directory.yml").read_text())
    data["hubs"] = [hub for hub in data["hubs"] if hub["code"] != code]
    path = tmp_path / f"directory-without-{code}.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def submit_report(base_url: str, report: dict, attempts: int = 6):
    """POST /reports as a client should: with an Idempotency-Key, sent again after ``Retry-After`` while
    the hub answers 503 (the front door's deadline on a loaded machine); the last answer."""
    import time
    import uuid

    import requests

    headers = {"Idempotency-Key": f"hubs-{uuid.uuid4().hex}"}
    for _ in range(attempts):
        response = requests.post(f"{base_url}/reports", json=report, headers=headers, timeout=10)
        if response.status_code != 503:
            return response
        time.sleep(min(5.0, float(response.headers.get("Retry-After") or 1)))
    return response

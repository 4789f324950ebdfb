"""The five-hub network the tests start on their own (deploy/hubs/network.yml, make run-network), beside
the session's three hubs: national ID, provinces Bali 51 and Sulawesi Selatan 73, districts Buleleng
5108 and Luwu 7317, every hub on message version 2, each a whole stack started by
deploy/hubs/hubs.sh and linked by RabbitMQ shovels.

One network serves every test of tests/hubs/five_hubs/ (its conftest's package fixture ``network``:
the longest path both ways, the links, and the erasure across ID -> 51 -> 5108), started once and
stopped after the last of them. Ports: offsets ``LAPOR_TEST_NETWORK_OFFSET`` (default
LAPOR_TEST_HUBS_OFFSET + 1, i.e. 101..105: clear of the three-hub tests' 100/110/120) + 0..4, each
hub with one store (tests.conftest.ONE_STORE). LAPOR_TEST_KEEP_SERVERS=1 leaves them running.
"""
from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from pathlib import Path

import requests
from bson import json_util
from nameko.standalone.rpc import ClusterRpcProxy

from contract import localstack
from contract.store import acquire_client, release_client
from tests.conftest import ONE_STORE, PATIENT_FRONT_DOOR, ROOT

BASE = int(os.environ.get("LAPOR_TEST_NETWORK_OFFSET", int(os.environ.get("LAPOR_TEST_HUBS_OFFSET", "100")) + 1))
HUBS_FILE = ROOT / "deploy" / "hubs" / "network.yml"
RUN_DIR = ROOT / ".run" / f"test-network-{BASE}"
CODES = ("ID", "51", "5108", "73", "7317")


def hubs_env(run_dir: Path) -> dict:
    return {**os.environ, "PYTHONWARNINGS": "ignore", "LAPOR_HUBS_DIR": str(run_dir),
            "LAPOR_HUBS_OFFSET": str(BASE), **PATIENT_FRONT_DOOR, **ONE_STORE}


def hubs_sh(run_dir: Path, *args: str, check: bool = True, timeout: float = 400) -> str:
    return subprocess.run([str(ROOT / "deploy" / "hubs" / "hubs.sh"), *args], env=hubs_env(run_dir), check=check,
                          timeout=timeout, stdout=subprocess.PIPE, text=True).stdout


def hub_env(run_dir: Path, code: str, hubs_file: Path) -> dict:
    """The environment hubs.sh gives hub ``code`` of ``hubs_file`` (its ports, run folder, URIs)."""
    return dict(pair.split("=", 1) for line in hubs_sh(run_dir, "env", code, str(hubs_file)).splitlines()
                for pair in line.removeprefix("export ").split())


class Hub:
    """One hub of the network, as its tests reach it: the front door, the broker, the store."""

    def __init__(self, code: str):
        env = hub_env(RUN_DIR, code, HUBS_FILE)
        uris = localstack.env_uris(env)
        self.code, self.amqp_uri, self.mongodb_uri = code, uris["amqp"], uris["mongodb"]
        self.http_port = int(env["LAPOR_HTTP_PORT"])
        self.url = f"http://127.0.0.1:{self.http_port}"

    def view(self, tracking_id: str) -> requests.Response:
        return requests.get(f"{self.url}/reports/{tracking_id}", timeout=10, allow_redirects=False)

    def links_up(self) -> set[str]:
        """The neighbours whose ``lapor_hub_link_up`` is 1 in the hub's link metrics (hubs.sh runs
        them on HTTP + 6): one scrape."""
        try:
            text = requests.get(f"http://127.0.0.1:{self.http_port + 6}/metrics", timeout=10).text
        except requests.ConnectionError:
            return set()
        prefix = f'lapor_hub_link_up{{hub="{self.code}",neighbour="'
        return {line[len(prefix):].split('"', 1)[0] for line in text.splitlines()
                if line.startswith(prefix) and line.endswith("} 1.0")}

    def holds(self, tracking_id: str) -> bool:
        with ClusterRpcProxy({"AMQP_URI": self.amqp_uri}, timeout=10) as rpc:
            found = rpc.routing.disposition(tracking_id)
        return found is not None and found["status"] != "forwarded"

    def stored_text(self) -> str:
        """Every document of every database of this hub's store, as text (evidence chunks aside)."""
        client = acquire_client(self.mongodb_uri)
        try:
            texts = []
            for name in client.list_database_names():
                if not name.startswith("lapor"):
                    continue
                for collection in client[name].list_collection_names():
                    if not collection.endswith(".chunks"):
                        texts += [json_util.dumps(doc) for doc in client[name][collection].find()]
            return "\n".join(texts)
        finally:
            release_client(self.mongodb_uri)


@contextmanager
def running_network():
    """The five hubs started (hubs.sh start network.yml), and stopped on leaving."""
    try:
        hubs_sh(RUN_DIR, "start", str(HUBS_FILE))
        yield {code: Hub(code) for code in CODES}
    finally:
        if not os.environ.get("LAPOR_TEST_KEEP_SERVERS"):
            hubs_sh(RUN_DIR, "stop", str(HUBS_FILE), check=False, timeout=300)

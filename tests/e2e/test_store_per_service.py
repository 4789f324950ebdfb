"""A store per service (issue 23): with ``LAPOR_STORE_PER_SERVICE=1`` (`make run`, the demo hubs, the
benches) each service's database lives in its own SecantusDB process, and a report still flows.

On the e2e lane's stack (tests/e2e/conftest.py runs it with a store per service: deploy/local/stack.sh,
RabbitMQ, five stores, sinks, services, demo region, front door), not on a stack of its own (issue 24:
that second stack cost the lane ~35 CPU-seconds and 3 minutes). The session's shared store, which
tests/conftest.py starts for the integration fixtures, is there too and serves no service.
"""
import subprocess
from pathlib import Path

import pytest
import requests

from contract import localstack
from tests.conftest import LOCAL
from tests.factories import make_report
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

SERVICES = localstack.STORE_SERVICES
# where each service keeps a report's trace, by tracking ID: (collection, field)
TRACES = {"intake": ("reports", "_id"), "routing": ("audit", "tracking_id"), "followup": ("cases", "tracking_id"),
          "notification": ("notifications", "tracking_id"), "assessment": ("facts", "_id")}


@pytest.fixture(scope="module")
def stores_stack(stack):
    """The stack's environment (LAPOR_STORE_PER_SERVICE=1, its run folder, ports)."""
    assert stack["env"]["LAPOR_STORE_PER_SERVICE"] == "1"
    return stack["env"]


def pid_of(env: dict, relative: str) -> int:
    return int((Path(env["LAPOR_RUN_DIR"]) / relative).read_text().split()[0])


def cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def environ(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace").split("\0")
    return dict(pair.split("=", 1) for pair in pairs if "=" in pair)


def test_each_service_has_a_store_process_of_its_own(stores_stack):
    env, run = stores_stack, Path(stores_stack["LAPOR_RUN_DIR"])
    pids = {}
    for service in SERVICES:
        pids[service] = pid_of(env, f"store/{service}/secantusd.pid")
        args = cmdline(pids[service])
        assert "secantusd" in " ".join(args[:2])
        assert args[args.index("--port") + 1] == localstack.store_port(env, service)
        assert args[args.index("--storage-path") + 1] == str(run / "store" / service / "data")
        # the service itself is configured with its own store, and nothing else
        service_env = environ(pid_of(env, f"services/{service}.pid"))
        assert service_env["MONGODB_URI"] == localstack.store_uri(env, service)
        assert f":{env['LAPOR_STORE_PORT']}/" not in service_env["MONGODB_URI"]  # not the shared store
    assert len(set(pids.values())) == len(SERVICES)
    assert len({localstack.store_port(env, s) for s in SERVICES} | {env["LAPOR_STORE_PORT"]}) == len(SERVICES) + 1


def test_a_report_flows_and_each_database_is_only_in_its_own_store(stores_stack):
    from pymongo import MongoClient

    base = f"http://127.0.0.1:{stores_stack['LAPOR_HTTP_PORT']}"
    response = requests.post(f"{base}/reports", json=make_report(), timeout=15)
    assert response.status_code == 201, response.text
    tracking_id = response.json()["tracking_id"]

    def complete():
        view = requests.get(f"{base}/reports/{tracking_id}", timeout=5).json()
        steps = [h["step"] for h in view["history"]]
        templates = {h["detail"].get("template") for h in view["history"] if h["step"] == "notification_queued"}
        return view if "case_opened" in steps and {"report_dispositioned", "new_report_in_queue"} <= templates else None

    assert wait_for(complete, timeout=90, interval=0.5)["status"] == "in_follow_up"
    clients = {service: MongoClient(localstack.store_uri(stores_stack, service), serverSelectionTimeoutMS=5000)
               for service in SERVICES}
    try:
        for service, client in clients.items():
            collection, field = TRACES[service]
            database = client[f"lapor_{service}"]
            # the report's trace in the service's own store (assessment's fact may follow the tracking page)
            try:
                wait_for(lambda: database[collection].find_one({field: tracking_id}), timeout=30, interval=0.5)
            except AssertionError:
                pytest.fail(f"{service}: no {collection} document of {tracking_id} in its own store")
            lapor = {name for name in client.list_database_names() if name.startswith("lapor_")}
            assert lapor == {f"lapor_{service}"}, f"{service}'s store holds {sorted(lapor)}"
    finally:
        for client in clients.values():
            client.close()
    # an operator's CLI finds its service's store: a token issued with deploy/local/cli.sh opens the report
    token = subprocess.run([str(LOCAL / "cli.sh"), "routing", "token", "adm-buleleng", "--days", "1"],
                           env=stores_stack, check=True, timeout=120, capture_output=True, text=True).stdout.split()[-1]
    admin = requests.get(f"{base}/admin/reports/{tracking_id}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert admin.status_code == 200, admin.text

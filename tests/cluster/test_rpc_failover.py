"""An RPC is answered after the broker node holding its queue is killed (issue 22).

nameko 2.14 declares ``rpc-<service>`` (and its reply queues) as classic queues, which live on one
node: in the three-node cluster run every RPC to a service failed while that node was down
(``NOT_FOUND - home node ... is down``). The cluster mirrors them on every node (policy
``lapor-rpc-mirrors``, ``contract.brokeracl apply --rpc-mirrors``, as ``rabbitmq-users-job.yaml``
does), so the mirror on a surviving node takes over.

Three clustered RabbitMQ nodes of their own (``deploy/local/cluster.sh brokers``, offset
``LAPOR_TEST_CLUSTER_OFFSET``, default LAPOR_TEST_PORT_OFFSET + 20, and the next two), no store or
services: a small RPC service in this process, connected like the services (a failover URI to the
three nodes).
"""
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
from nameko.containers import ServiceContainer
from nameko.rpc import rpc
from nameko.standalone.rpc import ClusterRpcProxy

from contract import localstack
from tests.conftest import OFFSET as TEST_OFFSET
from tests.conftest import ROOT

pytestmark = pytest.mark.cluster

CLUSTER = ROOT / "deploy" / "local" / "cluster.sh"
OFFSET = int(os.environ.get("LAPOR_TEST_CLUSTER_OFFSET", TEST_OFFSET + 20))


class RpcProbe:
    name = "rpcprobe"

    @rpc
    def echo(self, value):
        return value


@pytest.fixture(scope="module")
def cluster():
    """A fresh three-node cluster; nodes 2 and 3 join node 1 while booting (peer discovery, as on
    Kubernetes: ``LAPOR_CLUSTER_JOIN=discovery``), not by rabbitmqctl after booting."""
    run_dir = ROOT / ".run" / f"test-cluster-{OFFSET}"
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "LAPOR_CLUSTER_OFFSET": str(OFFSET),
           "LAPOR_CLUSTER_RUN_DIR": str(run_dir), "LAPOR_CLUSTER_JOIN": "discovery"}

    def run(*args):
        subprocess.run([str(CLUSTER), *args], env=env, check=True, timeout=300, stdout=subprocess.DEVNULL)

    run("stop")
    shutil.rmtree(run_dir, ignore_errors=True)
    try:
        run("brokers")
        nodes = localstack.cluster_node_ports(OFFSET)
        yield {"run": run, "run_dir": run_dir, "nodes": nodes,
               "amqp": localstack.amqp_uri(run_dir, ",".join(n["LAPOR_AMQP_PORT"] for n in nodes))}
    finally:
        # kill -9 first: a graceful stop of the survivors, one after the other, takes a node
        # shutdown each (and the last ones pause, in a minority); the folder is thrown away at the next setup
        for i in range(1, len(localstack.cluster_node_ports(OFFSET)) + 1):
            subprocess.run([str(CLUSTER), "kill", str(i)], env=env, timeout=60,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        run("stop")


def queue_info(cluster, name: str) -> dict:
    """The queue as the management API of the first node that answers sees it."""
    creds = localstack.credentials(cluster["run_dir"])
    for node in cluster["nodes"]:
        try:
            answer = requests.get(f"http://127.0.0.1:{node['LAPOR_RABBIT_MGMT_PORT']}/api/queues/%2F/{name}",
                                  auth=(creds["user"], creds["password"]), timeout=3)
            if answer.ok:
                return answer.json()
        except requests.RequestException:
            continue
    return {}


def node_of(name: str) -> int:
    """1..3 from a node name ``lapor<port>n<i>@localhost``."""
    return int(name.split("@")[0].rsplit("n", 1)[1])


def answered_within(amqp_uri: str, seconds: float) -> tuple[bool, float]:
    """Call ``rpcprobe.echo`` with a fresh proxy (2 s per call) until it answers or ``seconds`` pass."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=2) as proxy:
                if proxy.rpcprobe.echo("halo") == "halo":
                    return True, time.monotonic() - started
        except Exception:  # the node is gone, the queue is down, the call timed out: try again
            time.sleep(0.5)
    return False, time.monotonic() - started


def test_rpc_is_answered_after_the_node_holding_its_queue_is_killed(cluster):
    container = ServiceContainer(RpcProbe, {"AMQP_URI": cluster["amqp"]})
    container.start()
    try:
        assert answered_within(cluster["amqp"], 30)[0]
        deadline = time.monotonic() + 30  # until the mirrors on the two other nodes are in sync
        while len((info := queue_info(cluster, "rpc-rpcprobe")).get("synchronised_slave_nodes") or []) < 2 \
                and time.monotonic() < deadline:
            time.sleep(0.5)
        home = node_of(info["node"])

        cluster["run"]("kill", str(home))
        ok, took = answered_within(cluster["amqp"], 30)
        pid_file = Path(cluster["run_dir"]) / f"rabbitmq-n{home}" / "rabbitmq.pid"
        still_down = not Path(f"/proc/{pid_file.read_text().split()[0]}").exists()
        assert ok, f"no answer in {took:.0f} s after node {home}, holding rpc-rpcprobe, was killed"
        assert still_down  # answered by the survivors, not by the node come back
        assert node_of(queue_info(cluster, "rpc-rpcprobe")["node"]) != home
        print(f"RPC answered {took:.1f} s after node {home} (holding rpc-rpcprobe) was killed")
    finally:
        container.kill()

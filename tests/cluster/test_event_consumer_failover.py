"""An event consumer whose broker node dies while a batch is in flight must consume again (issue 22).

Found by the three-node cluster run (bench/cluster_failover.py): after kill -9 of the node the
services were connected to, under 10 reports/s, every service's ``<service>.inbox`` had 0 consumers
for good, and each service held a connection to a surviving node with no channel on it. Cause:
``contract.batch.EventBatches._consume`` waits with ``kombu.Connection.drain_events``, which goes
through ``Connection.connection``; once the old connection is no longer connected (a failed ack or
read of the batch in flight marks it so) kombu silently opens a new one (the next URI of the
failover list) and drains it, without the channel and the consumer, for ever: no error reaches
``_run``, so it never reconnects. One broker node and a failover URI through a TCP proxy
reproduce it without a cluster: the proxy is the node that dies, the broker itself the survivor.
"""
import eventlet
import pytest
from eventlet.event import Event
from nameko.standalone.events import event_dispatcher

from contract import events, ids
from contract.batch import event_batches, handle_batch
from contract.uow import Repository
from contract.unitstore import UnitOfWorkProvider
from tests.fakes.tcp_proxy import TcpProxy
from tests.integration.conftest import wait_for
from tests.unit.intake.event_factories import event_payload

pytestmark = pytest.mark.integration

GATE: dict = {}
TRACKING_ID = ids.new_tracking_id("ID")


class Applied(Repository):
    def count(self, event_id: str) -> None:
        self.db.applied.update_one({"_id": event_id}, {"$inc": {"n": 1}}, upsert=True, session=self.session)


def count(uow, event_type, event):
    gate = GATE.pop(event["event_id"], None)
    if gate is not None:  # hold this batch until the node has died
        gate["reached"].send(True)
        gate["release"].wait()
    uow.applied.count(event["event_id"])


TABLE = {events.CASE_RATED: count}


class FailoverProbeStore(UnitOfWorkProvider):
    repositories = {"applied": Applied}


class FailoverProbe:
    name = "failoverprobe"
    store = FailoverProbeStore()

    @event_batches(TABLE)
    def consume_events(self, batch):
        return handle_batch(self.store, batch, TABLE)


def applied(mongo_client, service_config):
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}failoverprobe"]
    return {d["_id"]: d["n"] for d in db.applied.find()}


def test_consumer_comes_back_after_its_node_dies_with_a_batch_in_flight(container_factory, service_config,
                                                                        mongo_client):
    uri = service_config["AMQP_URI"]  # amqp://user:pw@127.0.0.1:PORT/vhost
    head, vhost = uri.rsplit("/", 1)
    broker_port = int(head.rsplit(":", 1)[1])
    node = TcpProxy("127.0.0.1", broker_port)  # the node the service is connected to
    try:
        failover = f"{head.rsplit(':', 1)[0]}:{node.port}/{vhost};{uri}"
        container_factory(FailoverProbe, {**service_config, "AMQP_URI": failover,
                                          "EVENT_BATCH_MAX_WAIT_SECONDS": 0.5}).start()
        a1, a2, b, c = (event_payload(events.CASE_RATED, TRACKING_ID) for _ in range(4))
        gate = GATE[a1["event_id"]] = {"reached": Event(), "release": Event()}
        dispatch = event_dispatcher(service_config)
        dispatch("followup", events.CASE_RATED, a1)
        dispatch("followup", events.CASE_RATED, a2)  # one batch of two: its second ack is the one that fails
        gate["reached"].wait()
        dispatch("followup", events.CASE_RATED, b)  # buffered: the consumer waits for the batch's slot
        eventlet.sleep(1)
        node.cut()  # kill -9 of the node, the batch still in flight
        eventlet.sleep(0.5)
        gate["release"].send(True)  # the batch commits; its acks fail on the dead connection
        wait_for(lambda: len(applied(mongo_client, service_config)) == 3)
        # no wait for the consumer to drain again: c waits in the durable inbox for a consumer that
        # comes back (the fixed one does, through the surviving node; the old one never did)
        dispatch("followup", events.CASE_RATED, c)
        wait_for(lambda: len(applied(mongo_client, service_config)) == 4, timeout=20)
        assert set(applied(mongo_client, service_config).values()) == {1}
    finally:
        GATE.clear()
        node.stop()

"""A replayed dead letter goes back only to the queue it came from (issue 22).

Two services consume ``case_rated``: the probe, whose handler rejects one event (dead-lettered), and
a bystander queue bound to the same event type on ``followup.events``. Replaying the probe's dead
letter must reach ``probe.inbox`` only: a replay through the source's exchange would give every
consumer the event again (and a poison event would multiply in every dead-letter queue).
"""
import pytest
from kombu import Connection, Exchange, Queue
from nameko.standalone.events import event_dispatcher

from contract import deadletters, events, ids
from contract.batch import EVENT_TYPE_HEADER, event_batches, handle_batch
from contract.consumer import RejectEvent
from contract.uow import Repository
from contract.unitstore import UnitOfWorkProvider
from tests.integration.conftest import handled, wait_for
from tests.unit.intake.event_factories import event_payload

pytestmark = pytest.mark.integration

REJECTED: set = set()
TRACKING_ID = ids.new_tracking_id("ID")


class Applied(Repository):
    def count(self, event_id: str) -> None:
        self.db.applied.update_one({"_id": event_id}, {"$inc": {"n": 1}}, upsert=True, session=self.session)


def count(uow, event_type, event):
    if event["event_id"] in REJECTED:
        raise RejectEvent("rejected until the operator fixes the cause")
    uow.applied.count(event["event_id"])


TABLE = {events.CASE_RATED: count}


class ReplayProbeStore(UnitOfWorkProvider):
    repositories = {"applied": Applied}


class ReplayProbe:
    name = "replayprobe"
    store = ReplayProbeStore()

    @event_batches(TABLE)
    def consume_events(self, batch):
        return handle_batch(self.store, batch, TABLE)


def applied(mongo_client, service_config):
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}replayprobe"]
    return {d["_id"]: d["n"] for d in db.applied.find()}


def depth(conn, name):
    return conn.channel().queue_declare(name, passive=True).message_count


def test_replay_reaches_only_the_dead_letters_own_queue(container_factory, service_config, mongo_client):
    probe = container_factory(ReplayProbe, service_config)
    probe.start()
    exchange = Exchange("followup.events", type="topic", durable=True)
    bystander = Queue("bystander.inbox", exchange=exchange, routing_key=events.CASE_RATED, durable=True,
                      queue_arguments={"x-queue-type": "quorum"})
    with Connection(service_config["AMQP_URI"]) as conn:
        bystander(conn.channel()).declare()

        good, poison = (event_payload(events.CASE_RATED, TRACKING_ID) for _ in range(2))
        REJECTED.add(poison["event_id"])
        dispatch = event_dispatcher(service_config)
        with handled(probe, good):  # (the poison is dead-lettered: not handled)
            dispatch("followup", events.CASE_RATED, poison)
            dispatch("followup", events.CASE_RATED, good)
        assert applied(mongo_client, service_config) == {good["event_id"]: 1}
        # the dead letter is published by the consumer's thread after the batch: polled on the broker
        dead = wait_for(lambda: deadletters.take(service_config["AMQP_URI"], "replayprobe", 10, replay=False))
        assert [d["event_id"] for d in dead] == [poison["event_id"]]
        assert depth(conn, "bystander.inbox") == 2  # its own copies of both events

        REJECTED.clear()  # the cause is fixed: replay
        # the probe applies it (a later step that proves the replay was routed and consumed) ...
        with handled(probe, poison):
            replayed = deadletters.take(service_config["AMQP_URI"], "replayprobe", 10, replay=True)
        assert [(d["event_id"], d.get("replayed")) for d in replayed] == [(poison["event_id"], True)]
        assert applied(mongo_client, service_config) == {good["event_id"]: 1, poison["event_id"]: 1}
        # ... and the bystander got nothing more (confirmed publishes are routed before the ack)
        assert depth(conn, "bystander.inbox") == 2
        assert deadletters.take(service_config["AMQP_URI"], "replayprobe", 10, replay=False) == []

        # the bystander's copies are untouched: the event type still travels as the routing key
        messages = [bystander(conn.channel()).get(no_ack=True) for _ in range(2)]
        assert {m.delivery_info["routing_key"] for m in messages} == {events.CASE_RATED}


def test_replay_keeps_the_event_type_in_a_header(container_factory, service_config, mongo_client):
    """What reaches the inbox through the default exchange carries its type in x-lapor-event-type
    (contract.batch.event_type_of reads it first); the routing key is the queue's name."""
    container = container_factory(ReplayProbe, service_config)
    container.start()
    poison = event_payload(events.CASE_RATED, TRACKING_ID)
    REJECTED.add(poison["event_id"])
    event_dispatcher(service_config)("followup", events.CASE_RATED, poison)
    wait_for(lambda: deadletters.take(service_config["AMQP_URI"], "replayprobe", 10, replay=False))
    container.stop()  # nobody consumes: look at what the replay put into the inbox
    deadletters.take(service_config["AMQP_URI"], "replayprobe", 10, replay=True)
    with Connection(service_config["AMQP_URI"]) as conn:
        inbox = Queue("replayprobe.inbox", channel=conn.channel())
        message = wait_for(lambda: inbox.get(no_ack=True))
    assert message.headers[EVENT_TYPE_HEADER] == events.CASE_RATED
    assert message.delivery_info["exchange"] == "" and message.delivery_info["routing_key"] == "replayprobe.inbox"
    REJECTED.clear()

"""contract.batch on the real broker and store: quorum queue, poison isolated and dead-lettered,
undecodable messages dead-lettered, and exactly-once across a crash in the middle of a batch and a
crash between commit and ack."""
from urllib.parse import quote

import eventlet
import requests
from eventlet.event import Event
from kombu import Connection, Exchange, Producer
from nameko.standalone.events import event_dispatcher
from pymongo import UpdateOne

from contract import deadletters, events, ids, metrics
from contract.batch import event_batches, handle_batch
from contract.uow import Repository
from contract.unitstore import UnitOfWorkProvider
from tests.integration.conftest import wait_for
from tests.waiting import handled as consumed  # (handled below: the probe's outcome metric)
from tests.unit.intake.event_factories import event_payload

HOOKS: dict = {}
TRACKING_ID = ids.new_tracking_id("ID")  # a valid ID: event schemas refuse made-up ones


class Applied(Repository):
    def count(self, event_id: str) -> None:
        """At once, inside the unit's transaction (a crash before the commit must leave no trace)."""
        self.db.applied.update_one({"_id": event_id}, {"$inc": {"n": 1}}, upsert=True, session=self.session)


def count(uow, event_type, event):
    """The probe's handler: counts each application of an event (so a double application shows)."""
    hook = HOOKS.get(event["event_id"])
    if hook == "poison":
        raise ValueError("this event always fails")
    uow.applied.count(event["event_id"])
    if hook == "crash_before_commit":
        HOOKS["reached"].send(True)
        eventlet.sleep(60)  # the container is killed here, the transaction still open
    if hook == "crash_after_commit":
        uow.after_commit(lambda: (HOOKS["reached"].send(True), eventlet.sleep(60)))


TABLE = {events.CASE_RATED: count}


class ProbeStore(UnitOfWorkProvider):
    repositories = {"applied": Applied}


class Probe:
    name = "probe"
    store = ProbeStore()

    @event_batches(TABLE)
    def consume_events(self, batch):
        return handle_batch(self.store, batch, TABLE)


def tally(uow, event_type, event):
    """A handler through the batch's state: the report's tally read ahead, saved once at the end."""
    tracking_id = event["tracking_id"]
    doc = uow.read("tallies", tracking_id, key="tracking_id")
    uow.save("tallies", {"_id": tracking_id, "n": (doc or {}).get("n", 0) + 1}, expect={"n": doc["n"]} if doc else None)
    uow.insert("seen", {"_id": event["event_id"], "tracking_id": tracking_id})


TALLY_TABLE = {events.CASE_RATED: tally}


class TallyProbe:
    name = "tallyprobe"
    store = ProbeStore()

    @event_batches(TALLY_TABLE)
    def consume_events(self, batch):
        return handle_batch(self.store, batch, TALLY_TABLE)


def bump(uow, event_type, event):
    """A handler with a conditional write behind: the counter's new value, if it still holds what was read."""
    tracking_id = event["tracking_id"]
    doc = dict(uow.read("counters", tracking_id, key="tracking_id"))
    if HOOKS.pop("meddle", None):  # another writer changes the counter after this batch read it
        uow.db.counters.update_one({"_id": tracking_id}, {"$set": {"n": 100}})
    if HOOKS.pop("stale", None):  # what a read before another writer's commit would have seen
        doc["n"] -= 1
    uow.update_checked("counters", [UpdateOne({"_id": tracking_id, "n": doc["n"]}, {"$set": {"n": doc["n"] + 1}})])


BUMP_TABLE = {events.CASE_RATED: bump}


class BumpProbe:
    name = "bumpprobe"
    store = ProbeStore()

    @event_batches(BUMP_TABLE)
    def consume_events(self, batch):
        return handle_batch(self.store, batch, BUMP_TABLE)


def start_probe(container_factory, service_config, **settings):
    container = container_factory(Probe, {**service_config, **settings})
    container.start()
    return container


def rated(n):
    return [event_payload(events.CASE_RATED, TRACKING_ID) for _ in range(n)]


def handled(outcome):
    return metrics.EVENTS_HANDLED.labels("probe", events.CASE_RATED, outcome)._value.get()


def applied(mongo_client, service_config):
    return {d["_id"]: d["n"] for d in mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}probe"].applied.find()}


def test_queue_is_quorum_and_a_poison_event_is_dead_lettered_after_the_limit(
        container_factory, service_config, mongo_client, servers):
    probe = start_probe(container_factory, service_config, EVENT_DELIVERY_LIMIT=2)
    api = f"{servers['api_uri']}/api/queues/{quote(service_config['vhost'], safe='')}/probe.inbox"
    queue = requests.get(api, timeout=5).json()
    assert queue["type"] == "quorum" and queue["arguments"]["x-delivery-limit"] == 2
    assert queue["arguments"]["x-dead-letter-exchange"] == "lapor.deadletter"

    payloads = rated(5)
    HOOKS[payloads[2]["event_id"]] = "poison"
    dispatch = event_dispatcher(service_config)
    with consumed(probe, *(p for p in payloads if p is not payloads[2])):  # the poison is requeued, not handled
        for payload in payloads:
            dispatch("followup", events.CASE_RATED, payload)
    assert len(applied(mongo_client, service_config)) == 4
    # the broker dead-letters the poison once it has been delivered the limit's times: polled on the broker
    dead = wait_for(lambda: deadletters.take(service_config["AMQP_URI"], "probe", 10, replay=False))
    assert [(d["event_type"], d["event_id"]) for d in dead] == [("case_rated", payloads[2]["event_id"])]
    assert dead[0]["reason"].startswith("broker:")
    assert set(applied(mongo_client, service_config).values()) == {1}

    # replayed once the cause is fixed: applied, once
    HOOKS.clear()
    with consumed(probe, payloads[2]):
        replayed = deadletters.take(service_config["AMQP_URI"], "probe", 10, replay=True)
    assert replayed[0]["replayed"] is True
    assert len(applied(mongo_client, service_config)) == 5
    assert deadletters.take(service_config["AMQP_URI"], "probe", 10, replay=False) == []


def test_undecodable_message_is_dead_lettered_with_its_reason(container_factory, service_config, mongo_client):
    probe = start_probe(container_factory, service_config)
    payload = rated(1)[0]
    with consumed(probe, payload):
        with Connection(service_config["AMQP_URI"]) as conn:
            Producer(conn.channel()).publish(b"not json at all", exchange=Exchange("followup.events", type="topic",
                                                                                   durable=True),
                                             routing_key=events.CASE_RATED, content_type="application/json",
                                             content_encoding="utf-8")
        event_dispatcher(service_config)("followup", events.CASE_RATED, payload)
    assert applied(mongo_client, service_config) == {payload["event_id"]: 1}
    dead = deadletters.take(service_config["AMQP_URI"], "probe", 10, replay=False)
    assert len(dead) == 1 and dead[0]["reason"].startswith("undecodable")


def store_commands():
    return {name: metrics.STORE_COMMANDS.labels("probe", name)._value.get()
            for name in ("find", "insert", "update", "commitTransaction", "abortTransaction")}


def test_a_new_event_costs_no_marker_read_and_a_republished_one_is_applied_once(
        container_factory, service_config, mongo_client):
    """A batch inserts its processed-event markers without reading them first (one write, one
    commit); an event published again (the relay's re-publication, not flagged redelivered) finds
    its marker, rolls back, and is counted a duplicate: its effect is applied once."""
    start_probe(container_factory, service_config)
    payload = rated(1)[0]
    dispatch = event_dispatcher(service_config)
    before, seen = store_commands(), handled("applied") + handled("duplicate")
    dispatch("followup", events.CASE_RATED, payload)
    wait_for(lambda: handled("applied") + handled("duplicate") - seen == 1)
    cost = {name: count - before[name] for name, count in store_commands().items()}
    assert cost == {"find": 0, "insert": 1, "update": 1, "commitTransaction": 1, "abortTransaction": 0}

    duplicates = handled("duplicate")
    dispatch("followup", events.CASE_RATED, payload)
    wait_for(lambda: handled("duplicate") - duplicates == 1)
    assert applied(mongo_client, service_config) == {payload["event_id"]: 1}


def test_two_consumers_given_every_event_twice_apply_each_once(container_factory, service_config, mongo_client):
    """Two containers of one service share its queue; every event is published twice (as a relay
    that crashed before marking would), so copies of one event are applied side by side: the
    markers (inserted without a read) make each event's effect commit once."""
    for _ in range(2):
        start_probe(container_factory, service_config, EVENT_BATCH_MAX_WAIT_SECONDS=0.05)
    payloads = rated(10)
    dispatch = event_dispatcher(service_config)
    applied_before, seen = handled("applied"), handled("applied") + handled("duplicate")
    for payload in payloads + payloads:
        dispatch("followup", events.CASE_RATED, payload)
    wait_for(lambda: handled("applied") + handled("duplicate") - seen == 20, timeout=60)
    assert applied(mongo_client, service_config) == {p["event_id"]: 1 for p in payloads}
    assert handled("applied") - applied_before == 10


def test_a_batch_reads_ahead_and_writes_behind_in_a_few_commands(container_factory, service_config, mongo_client):
    """Ten events of three reports (one with a stored document): one ``$in`` read and one bulk write
    per collection for the whole batch, whatever number of events, and every event counted once."""
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}tallyprobe"]
    reports = [ids.new_tracking_id("ID") for _ in range(3)]
    db.tallies.insert_one({"_id": reports[0], "n": 5})
    probe = container_factory(TallyProbe, {**service_config, "EVENT_BATCH_MAX_WAIT_SECONDS": 1.0})
    probe.start()
    payloads = [event_payload(events.CASE_RATED, reports[i % 3]) for i in range(10)]
    names = ("find", "insert", "update", "commitTransaction")
    command = {name: metrics.STORE_COMMANDS.labels("tallyprobe", name) for name in names}
    before = {name: c._value.get() for name, c in command.items()}
    dispatch = event_dispatcher(service_config)
    with consumed(probe, *payloads):
        for payload in payloads:
            dispatch("followup", events.CASE_RATED, payload)
    assert db.seen.count_documents({}) == 10
    assert {d["_id"]: d["n"] for d in db.tallies.find()} == {reports[0]: 5 + 4, reports[1]: 3, reports[2]: 3}
    cost = {name: c._value.get() - before[name] for name, c in command.items()}
    batches = cost["commitTransaction"]
    assert 1 <= batches <= 2  # the wait lets the ten events form one batch (two at most on a slow machine)
    assert cost["find"] == batches  # one read-ahead per batch, no marker read
    assert cost["update"] <= batches and cost["insert"] <= 3 * batches  # tallies; seen + tallies, markers


def test_a_conditional_write_behind_that_finds_the_document_changed_runs_the_batch_again(
        container_factory, service_config, mongo_client):
    """``update_checked_later``: written at the commit, and when the document no longer holds what the
    batch read (another writer came between), the whole batch runs again on what is stored now."""
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}bumpprobe"]
    tracking_id = ids.new_tracking_id("ID")
    db.counters.insert_one({"_id": tracking_id, "n": 5})
    probe = container_factory(BumpProbe, service_config)
    probe.start()
    dispatch = event_dispatcher(service_config)
    HOOKS["meddle"] = True  # the store itself sees the conflict (or the filter no longer matches)
    with consumed(probe, first := event_payload(events.CASE_RATED, tracking_id)):
        dispatch("followup", events.CASE_RATED, first)
    assert db.processed_events.count_documents({}) == 1
    assert "meddle" not in HOOKS and db.counters.find_one({"_id": tracking_id})["n"] == 101  # not 6, not 100
    HOOKS["stale"] = True  # no conflict for the store to see: only the filter tells
    with consumed(probe, second := event_payload(events.CASE_RATED, tracking_id)):
        dispatch("followup", events.CASE_RATED, second)
    assert db.processed_events.count_documents({}) == 2
    assert "stale" not in HOOKS and db.counters.find_one({"_id": tracking_id})["n"] == 102  # not left at 101


def crash_and_recover(container_factory, service_config, mongo_client, hook):
    HOOKS.clear()
    HOOKS["reached"] = Event()
    first = start_probe(container_factory, service_config, EVENT_BATCH_MAX_WAIT_SECONDS=1.0)
    payloads = rated(5)
    HOOKS[payloads[2]["event_id"]] = hook
    dispatch = event_dispatcher(service_config)
    for payload in payloads:
        dispatch("followup", events.CASE_RATED, payload)
    with eventlet.Timeout(30):
        HOOKS["reached"].wait()
    first.kill()  # a crash: no ack for anything of the batch
    HOOKS.clear()
    before = handled("applied") + handled("duplicate")
    start_probe(container_factory, service_config)
    wait_for(lambda: handled("applied") + handled("duplicate") - before == 5, timeout=30)
    return applied(mongo_client, service_config)


def test_crash_in_the_middle_of_a_batch_applies_every_event_once(container_factory, service_config, mongo_client):
    counts = crash_and_recover(container_factory, service_config, mongo_client, "crash_before_commit")
    assert sorted(counts.values()) == [1, 1, 1, 1, 1]


def test_crash_between_commit_and_ack_applies_every_event_once(container_factory, service_config, mongo_client):
    counts = crash_and_recover(container_factory, service_config, mongo_client, "crash_after_commit")
    assert sorted(counts.values()) == [1, 1, 1, 1, 1]
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}probe"]
    assert db.processed_events.count_documents({}) == 5


def test_migrate_moves_what_a_per_handler_queue_still_holds(container_factory, service_config, mongo_client,
                                                           servers):
    probe = start_probe(container_factory, service_config)
    legacy = "evt-followup-case_rated--probe.on_case_rated"
    payload = rated(1)[0]
    with Connection(service_config["AMQP_URI"]) as conn:
        channel = conn.channel()
        channel.queue_declare(legacy, durable=True, auto_delete=False)
        Producer(channel).publish(payload, exchange="", routing_key=legacy, serializer="json")
    with consumed(probe, payload):  # moved into the inbox and applied
        moved = deadletters.migrate(service_config["AMQP_URI"], servers["api_uri"], "probe")
    assert moved == [{"queue": legacy, "event_type": "case_rated", "moved": 1}]
    assert applied(mongo_client, service_config) == {payload["event_id"]: 1}
    assert deadletters.legacy_queues(servers["api_uri"], service_config["vhost"], "probe") == []


def test_migrate_moves_what_the_queue_under_its_first_name_still_holds(container_factory, service_config,
                                                                      mongo_client, servers):
    """The batch queue was first named <service>.events, like the service's exchange (issue 13: a
    consumer's read right on that exchange also opened the queue); migrate empties it into the inbox."""
    probe = start_probe(container_factory, service_config)
    old, payload = "probe.events", rated(1)[0]
    with consumed(probe, payload), Connection(service_config["AMQP_URI"]) as conn:  # the inbox's copy applied
        channel = conn.channel()
        channel.queue_declare(old, durable=True, auto_delete=False, arguments={"x-queue-type": "quorum"})
        channel.queue_bind(old, "followup.events", events.CASE_RATED)
        Producer(channel).publish(payload, exchange=Exchange("followup.events", type="topic", passive=True),
                                  routing_key=events.CASE_RATED, serializer="json")
    assert applied(mongo_client, service_config) == {payload["event_id"]: 1}  # the inbox's copy
    duplicates = handled("duplicate")
    moved = deadletters.migrate(service_config["AMQP_URI"], servers["api_uri"], "probe")
    assert moved == [{"queue": old, "event_type": None, "moved": 1}]
    # the old queue's copy reaches the inbox with its event type and is recognised as applied
    wait_for(lambda: handled("duplicate") == duplicates + 1)
    assert applied(mongo_client, service_config) == {payload["event_id"]: 1}
    assert deadletters.legacy_queues(servers["api_uri"], service_config["vhost"], "probe") == []

"""contract.batch's lanes on the real broker and store (issue 23): batches of two reports are in flight
side by side (one waiting on the store does not hold up the other), and one report's events are
applied in the order they were published, one batch at a time."""
import time

import eventlet
from eventlet.event import Event
from nameko.standalone.events import event_dispatcher

from contract import events, ids
from contract.batch import event_batches, handle_batch
from contract.lanes import lane_of
from contract.unitstore import UnitOfWorkProvider
from tests.unit.intake.event_factories import event_payload
from tests.waiting import handled

HOOKS: dict = {}
IN_FLIGHT: dict = {}  # tracking ID -> batches holding its events now


def record(uow, event_type, event):
    """Records each event with the batch's start; an event flagged "hold" keeps its batch open until an
    event flagged "release" (of another report) has been applied, or 15 s."""
    hook = HOOKS.get(event["event_id"])
    if hook == "hold":
        HOOKS["released in time"] = HOOKS["released"].wait(15) is True
    if hook == "release":
        uow.after_commit(lambda: HOOKS["released"].send(True))
    uow.insert("seen", {"_id": event["event_id"], "tracking_id": event["tracking_id"],
                        "n": HOOKS.get(("n", event["event_id"])), "at": time.monotonic()})


TABLE = {events.CASE_RATED: record}


class LaneStore(UnitOfWorkProvider):
    repositories = {}


class LaneProbe:
    name = "laneprobe"
    store = LaneStore()

    @event_batches(TABLE)
    def consume_events(self, batch):
        reports = {payload.get("tracking_id") for _, payload, *_ in batch}
        most = HOOKS.setdefault("most in flight", {})
        for report in reports:
            IN_FLIGHT[report] = IN_FLIGHT.get(report, 0) + 1
            most[report] = max(IN_FLIGHT[report], most.get(report, 0))
        try:
            eventlet.sleep(0.05)  # a batch takes a while: the next events of its lane queue behind it
            return handle_batch(self.store, batch, TABLE)
        finally:
            for report in reports:
                IN_FLIGHT[report] -= 1


def two_reports_on_two_lanes() -> tuple[str, str]:
    first = ids.new_tracking_id("ID")
    while True:
        second = ids.new_tracking_id("ID")
        if lane_of({"tracking_id": second}, 2) != lane_of({"tracking_id": first}, 2):
            return first, second


def seen(mongo_client, service_config):
    return list(mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}laneprobe"].seen.find())


def test_a_batch_waiting_does_not_hold_up_another_reports_batch(container_factory, service_config, mongo_client):
    HOOKS.clear()
    HOOKS["released"] = Event()
    # two lanes; each waits half a second for its batch to fill (one batch at a time without lanes would
    # take both events together, and the held one would wait for an event behind it in its own batch)
    probe = container_factory(LaneProbe, {**service_config, "EVENT_BATCH_CONCURRENCY": 2,
                                          "EVENT_BATCH_MAX_WAIT_SECONDS": 0.5})
    probe.start()
    held, other = two_reports_on_two_lanes()
    hold, release = event_payload(events.CASE_RATED, held), event_payload(events.CASE_RATED, other)
    HOOKS[hold["event_id"]], HOOKS[release["event_id"]] = "hold", "release"
    dispatch = event_dispatcher(service_config)
    with handled(probe, hold, release):
        dispatch("followup", events.CASE_RATED, hold)
        dispatch("followup", events.CASE_RATED, release)
    assert len(seen(mongo_client, service_config)) == 2
    assert HOOKS["released in time"], "the other report's batch waited for the held one"


def test_one_reports_events_are_applied_in_order_one_batch_at_a_time(container_factory, service_config,
                                                                     mongo_client):
    HOOKS.clear()
    probe = container_factory(LaneProbe, {**service_config, "EVENT_BATCH_CONCURRENCY": 4, "EVENT_BATCH_SIZE": 3})
    probe.start()
    reports = [ids.new_tracking_id("ID") for _ in range(3)]
    dispatch = event_dispatcher(service_config)
    payloads = [event_payload(events.CASE_RATED, reports[n % 3]) for n in range(30)]
    for n, payload in enumerate(payloads):
        HOOKS[("n", payload["event_id"])] = n
    with handled(probe, *payloads, timeout=60):
        for payload in payloads:
            dispatch("followup", events.CASE_RATED, payload)
    docs = seen(mongo_client, service_config)
    assert len(docs) == 30
    for report in reports:
        applied = [d["n"] for d in sorted(docs, key=lambda d: d["at"]) if d["tracking_id"] == report]
        assert applied == sorted(applied), f"{report}'s events applied out of order: {applied}"
        assert HOOKS["most in flight"][report] == 1

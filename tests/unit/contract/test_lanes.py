"""contract.lanes without a broker: an event's lane is its report's, each lane runs one batch at a time
in arrival order, and lanes run side by side."""
import time

import eventlet
from eventlet.event import Event

from contract.lanes import Lanes, lane_of


def spawn(fn, identifier=None):
    return eventlet.spawn(fn)


def test_an_event_goes_to_its_reports_lane_and_one_of_no_report_to_lane_zero():
    reports = [f"ID-{n:05d}" for n in range(200)]
    lanes = {r: lane_of({"tracking_id": r, "event_id": f"e{n}"}, 4) for n, r in enumerate(reports)}
    assert all(lane_of({"tracking_id": r, "event_id": "other"}, 4) == lane for r, lane in lanes.items())
    assert set(lanes.values()) == {0, 1, 2, 3}  # spread over every lane
    assert lane_of({"event_id": "registry"}, 4) == lane_of(None, 4) == lane_of({"tracking_id": ""}, 4) == 0
    assert {lane_of({"tracking_id": r}, 1) for r in reports} == {0}


def test_lanes_run_side_by_side_one_batch_at_a_time_each_in_order():
    first = "ID-A"
    second = next(f"ID-{n}" for n in range(100)
                  if lane_of({"tracking_id": f"ID-{n}"}, 2) != lane_of({"tracking_id": first}, 2))
    release, batches = Event(), []

    def run(taken):
        batches.append(list(taken))
        if taken[0] == (first, 0):
            release.wait(5)  # the first report's batch waits for the second report's
        elif taken[0][0] == second:
            release.send(True)

    lanes = Lanes(2, 3, 0.0, run, spawn, "test")
    for n in range(5):
        lanes.put((first, n), {"tracking_id": first})
    lanes.put((second, 0), {"tracking_id": second})
    with eventlet.Timeout(3):
        while sum(len(b) for b in batches) < 6:
            eventlet.sleep(0.01)
    lanes.close()
    assert release.ready()  # the second report's batch ran while the first's waited
    ours = [item for batch in batches for item in batch if item[0] == first]
    assert ours == [(first, n) for n in range(5)]  # in order
    assert [len(b) for b in batches if b[0][0] == first] == [3, 2]  # up to the size, what the lane held


def test_closing_lets_the_batch_in_flight_end_and_drops_what_waits():
    started, done, ran = Event(), Event(), []

    def run(taken):
        ran.append(taken)
        started.send(True)
        eventlet.sleep(0.05)
        done.send(True)

    lanes = Lanes(1, 1, 0.0, run, spawn, "test")
    lanes.put("a", None)
    started.wait()
    lanes.put("b", None)
    lanes.close()
    assert done.ready() and ran == [["a"]]


def test_the_oldest_batch_in_flight_says_when_it_started():
    release = Event()
    lanes = Lanes(2, 1, 0.0, lambda taken: release.wait(), spawn, "test")
    assert lanes.oldest_start() is None
    before = time.monotonic()
    lanes.put("a", None)
    eventlet.sleep(0.05)
    assert before <= lanes.oldest_start() <= time.monotonic()
    release.send(True)
    eventlet.sleep(0.05)
    assert lanes.oldest_start() is None
    lanes.close()

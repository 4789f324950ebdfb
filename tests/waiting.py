"""Waiting for asynchronous outcomes (events are handled after the request that caused them).

Where a service container runs in the test's own process, wait on its event consumer with
:func:`handled` (nameko's ``entrypoint_waiter`` on ``consume_events``: the batch's own results say the
step is done, no polling). :func:`wait_for` polls, for what no in-process event proves: a stack or hub
in processes of its own, a mail catcher's file, a broker's queue, a store written by a timer."""
import time
from collections import Counter
from contextlib import contextmanager

HANDLED = ("applied", "duplicate")  # a batch's outcomes for an event that is done (contract.batch)


@contextmanager
def handled(container, *payloads, event: str | None = None, tracking_id: str | None = None, where=None,
            count: int = 1, timeout: float = 30.0):
    """On leaving the block, wait until ``container``'s event consumer has handled (applied, or left out
    as a duplicate) every event of ``payloads`` (by ``event_id``, each as often as it is given), or
    ``count`` events it selects: of type ``event``, about ``tracking_id``, or for which
    ``where(event_type, payload)`` is true; in batches that ended inside the block, and has acked them.
    Trigger the events inside the block; nameko's ``entrypoint_waiter`` raises on
    ``timeout``.

    A batch's worker ends before its consumer acks its messages (``contract.batch``): a test that killed
    the container at that moment would see the batch delivered again. So the wait ends only once the
    consumer has also counted the batch's events in ``lapor_events_handled_total``, which it does after
    each ack (in this process: no request, a look at the counter every 10 ms)."""
    from nameko.testing.services import entrypoint_waiter
    waiting = Counter(p["event_id"] for p in payloads)
    if where is None and (event or tracking_id):
        def where(event_type, payload):
            return ((event is None or event_type == event)
                    and (tracking_id is None or payload.get("tracking_id") == tracking_id))
    selected = [0]
    ended = Counter()  # (event type, outcome) of every event the block's batches handled
    before = _handled_counts(container.service_name)

    def done(worker_ctx, result, exc_info):
        if exc_info is None:
            for (event_type, body, *_), (outcome, _) in zip(worker_ctx.args[0], result):
                if outcome not in HANDLED:
                    continue
                ended[(event_type, outcome)] += 1
                waiting[body.get("event_id")] -= 1
                if where is not None and where(event_type, body):
                    selected[0] += 1
        return all(n <= 0 for n in waiting.values()) and (where is None or selected[0] >= count)
    deadline = time.monotonic() + timeout
    with entrypoint_waiter(container, "consume_events", callback=done, timeout=timeout):
        yield
    while True:
        now = _handled_counts(container.service_name)
        if all(now.get(key, 0) - before.get(key, 0) >= n for key, n in ended.items()):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{container.service_name}: events handled but not acked within {timeout}s: "
                                 f"{dict(ended)}")
        time.sleep(0.01)


@contextmanager
def hub_received(container, tracking_id: str | None = None, count: int = 1, timeout: float = 60.0):
    """On leaving the block, wait until ``container``'s hub link consumer (intake's ``on_hub_message``)
    has taken ``count`` messages from neighbour hubs (about ``tracking_id``, if given), in workers that
    ended inside the block: whatever their outcome (accepted, duplicate, refused, dead letter), which
    the worker counts itself (``lapor_intake_hub_messages_received_total``)."""
    from nameko.testing.services import entrypoint_waiter
    seen = [0]

    def done(worker_ctx, result, exc_info):
        body = worker_ctx.args[0]
        if tracking_id is None or (isinstance(body, dict) and body.get("tracking_id") == tracking_id):
            seen[0] += 1
        return seen[0] >= count
    with entrypoint_waiter(container, "on_hub_message", callback=done, timeout=timeout):
        yield


def _handled_counts(service: str) -> dict:
    """``lapor_events_handled_total`` of ``service`` in this process: {(event type, outcome): count}."""
    from contract import metrics
    return {(s.labels["event"], s.labels["outcome"]): s.value for family in metrics.EVENTS_HANDLED.collect()
            for s in family.samples if s.name.endswith("_total") and s.labels["service"] == service}


FIRST_GAP, LONGEST_GAP = 0.05, 0.25  # the default polling: 50 ms, growing by half each time up to 250 ms


def wait_for(predicate, timeout=10.0, interval=None):
    """Poll until predicate() returns a truthy value; that value, or AssertionError on timeout.

    By default the gaps grow from 50 ms to 250 ms: an outcome that comes at once is seen at once,
    and a long wait costs a few requests a second (each poll is a request a service and the store
    answer: on a loaded machine the polls of five lanes compete with the work they wait for). A test
    that must catch a moment (kill a process in the middle of a batch) passes a fixed ``interval``."""
    deadline = time.monotonic() + timeout
    gap = interval or FIRST_GAP
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(gap)
        if interval is None:
            gap = min(gap * 1.5, LONGEST_GAP)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


def events_handled(metrics_url: str, service: str, event: str, outcome: str | tuple | None = None) -> float:
    """``lapor_events_handled_total`` of one service and event type (summed over outcomes unless one or
    a tuple of them is named), read from a /metrics page. A redelivered event counts as ``duplicate`` once it has been
    processed: the later signal that proves "nothing happened twice" without sleeping."""
    import requests
    from prometheus_client.parser import text_string_to_metric_families

    total = 0.0
    for family in text_string_to_metric_families(requests.get(metrics_url, timeout=5).text):
        if family.name != "lapor_events_handled":
            continue
        for sample in family.samples:
            labels = sample.labels
            if sample.name.endswith("_total") and labels.get("service") == service and labels.get("event") == event \
                    and (outcome is None or labels.get("outcome") in ((outcome,) if isinstance(outcome, str) else outcome)):
                total += sample.value
    return total


def wait_handled(metrics_url: str, service: str, event: str, at_least: float, outcome: str | tuple | None = None,
                 timeout: float = 10.0) -> float:
    """Wait until ``service`` has handled ``at_least`` events of type ``event`` (see events_handled)."""
    return wait_for(lambda: (n := events_handled(metrics_url, service, event, outcome)) >= at_least and n,
                    timeout=timeout)


def json_lines(path) -> list[dict]:
    """The records of a JSON-lines log that another process appends to (the mail catcher's and the
    recording gateway's ``*.jsonl``): only whole lines, so that a line being written as it is read
    is left for the next poll rather than failing to parse; [] if the file is not there yet."""
    import json
    from pathlib import Path
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n")[:-1] if line.strip()]

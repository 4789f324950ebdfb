"""Polling for asynchronous outcomes (events are handled after the request that caused them)."""
import time


def wait_for(predicate, timeout=10.0, interval=0.05):
    """Poll until predicate() returns a truthy value; that value, or AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
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

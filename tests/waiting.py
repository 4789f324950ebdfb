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

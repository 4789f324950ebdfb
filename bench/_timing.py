"""Timing helpers of the store benches: a read timed as the services run it, in a transaction."""
from __future__ import annotations

import statistics
import time


def timed(fn, rounds: int) -> tuple[float, float]:
    """Median and max milliseconds of ``rounds`` calls of ``fn``."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000, max(samples) * 1000


def in_transaction(client, read) -> None:
    """``read(session)`` in a transaction of its own, as a unit of work runs it."""
    with client.start_session() as session, session.start_transaction():
        read(session)

"""Batches of events in flight side by side, one per lane (``contract.batch``, issue 23).

A service's consumer puts each event it receives into the lane of its report (the ``tracking_id`` of
the payload; events of no report, such as the registry's, all go to lane 0), and each lane runs one
batch at a time, taking what its queue holds (up to the batch size; with a max wait above 0 it waits
that long for a batch to fill).  So ``EVENT_BATCH_CONCURRENCY`` batches of one service are in flight
at once while the store works on another's commit, and still:

- two batches in flight never hold events of the same report (no conflict on a report's documents,
  which once re-ran whole batches when batches were merely run side by side), and
- the events of one report are applied in the order they arrived, as with one batch at a time.

The consumer never waits for a lane: it keeps reading the queue (up to the prefetch) while batches
run, so the next batch of a lane is already there when the one before ends.
"""
from __future__ import annotations

import logging
import time
import zlib
from typing import Any, Callable

from eventlet.queue import Empty, LightQueue

log = logging.getLogger(__name__)


def lane_of(body: Any, lanes: int) -> int:
    """The lane of an event's payload: its report's (tracking ID), else 0."""
    key = body.get("tracking_id") if isinstance(body, dict) else None
    if lanes <= 1 or not isinstance(key, str) or not key:
        return 0
    return zlib.crc32(key.encode()) % lanes


class Lanes:
    """``count`` lanes, each a managed thread running ``run(taken)`` for one batch at a time."""

    def __init__(self, count: int, size: int, max_wait: float, run: Callable[[list], None],
                 spawn: Callable[..., Any], name: str):
        self.size, self.max_wait, self.run = max(1, size), max(0.0, max_wait), run
        self.queues: list[LightQueue] = [LightQueue() for _ in range(max(1, count))]
        self.closed = False
        self._started: dict[int, float] = {}  # lane -> when its batch in flight started
        self._threads = [spawn(lambda queue=queue: self._serve(queue), identifier=f"{name}.lane{index}")
                         for index, queue in enumerate(self.queues)]

    def oldest_start(self) -> float | None:
        """``time.monotonic()`` when the longest-running batch in flight started (None: none in flight)."""
        return min(self._started.values(), default=None)

    def put(self, item: Any, body: Any) -> None:
        self.queues[lane_of(body, len(self.queues))].put(item)

    def close(self) -> None:
        """Let the batches in flight end; what waits in the lanes is dropped (unacked, it returns to the
        queue with the channel)."""
        self.closed = True
        for queue in self.queues:
            while queue.qsize():
                queue.get_nowait()
            queue.put(None)
        for thread in self._threads:
            try:
                thread.wait()
            except Exception:  # a lane that failed has ended too
                log.debug("a lane ended with an error", exc_info=True)

    def _serve(self, queue: LightQueue) -> None:
        while True:
            first = queue.get()
            if first is None or self.closed:
                return
            taken = self._fill([first], queue)
            if taken is None or self.closed:
                return
            self._started[id(queue)] = time.monotonic()
            try:
                self.run(taken)
            except Exception:  # e.g. the connection went while acking: unacked messages come back
                log.warning("a batch could not be settled", exc_info=True)
            finally:
                self._started.pop(id(queue), None)

    def _fill(self, taken: list, queue: LightQueue) -> list | None:
        """What the lane's queue already holds, up to the batch size (None: closed meanwhile)."""
        deadline = time.monotonic() + self.max_wait
        while len(taken) < self.size:
            try:
                if queue.qsize():
                    item = queue.get_nowait()
                elif self.max_wait and time.monotonic() < deadline:
                    item = queue.get(timeout=deadline - time.monotonic())
                else:
                    break
            except Empty:
                break
            if item is None:
                return None
            taken.append(item)
        return taken

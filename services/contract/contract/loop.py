"""A background loop for a DependencyProvider: one managed thread that runs a pass again at once
while the pass says more is waiting, else when woken or after ``interval`` seconds.  A failing pass
is logged and retried; the loop never dies while the container runs.  ``interval`` may be a function
(seconds until the next pass, asked after each pass)."""
from __future__ import annotations

import logging
from typing import Callable, Union

import eventlet
from eventlet.event import Event

log = logging.getLogger(__name__)


class WakeableLoop:
    def __init__(self, name: str, step: Callable[[], bool], interval: Union[float, Callable[[], float]]):
        self.name, self.step, self.interval = name, step, interval
        self._wakeup = Event()
        self._running = False

    def start(self, container) -> None:
        self._running = True
        container.spawn_managed_thread(self._run, identifier=self.name)

    def stop(self) -> None:
        self._running = False
        self.wake()

    def wake(self) -> None:
        if not self._wakeup.ready():
            self._wakeup.send(True)

    def _run(self) -> None:
        while self._running:
            try:
                more = self.step()
            except Exception:
                log.exception("%s: pass failed; retrying", self.name)
                more = False
            if more:
                eventlet.sleep(0)
                continue
            wait = self.interval() if callable(self.interval) else self.interval
            with eventlet.Timeout(wait, False):
                self._wakeup.wait()
            self._wakeup = Event()

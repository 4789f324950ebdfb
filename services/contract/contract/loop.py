"""A background loop for a DependencyProvider: one managed thread that runs a pass again at once
while the pass says more is waiting, else when woken or after ``interval`` seconds.  A failing pass
is logged and retried; the loop never dies while the container runs.  ``interval`` may be a function
(seconds until the next pass, asked after each pass).  A loop whose passes stop ending (a pass
that hangs, a thread starved) is reported stuck by ``contract.progress``."""
from __future__ import annotations

import logging
from typing import Callable, Union

import eventlet
from eventlet.event import Event

from contract import progress

log = logging.getLogger(__name__)
STUCK_AFTER_SECONDS = 120.0  # no pass ended for this long while running: stuck (contract.progress)


class WakeableLoop:
    def __init__(self, name: str, step: Callable[[], bool], interval: Union[float, Callable[[], float]]):
        self.name, self.step, self.interval = name, step, interval
        self._wakeup = Event()
        self._running = False

    def start(self, container) -> None:
        self._running = True
        component = self.name.split(".", 1)[-1]
        self.watch = progress.watch(container.service_name, component, STUCK_AFTER_SECONDS)
        container.spawn_managed_thread(self._run, identifier=self.name)

    def stop(self) -> None:
        self._running = False
        if getattr(self, "watch", None) is not None:
            progress.unwatch(self.watch)
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
            if getattr(self, "watch", None) is not None:
                self.watch.advanced()  # a pass ended (done or failed): the loop is alive
            if more:
                eventlet.sleep(0)
                continue
            wait = self.interval() if callable(self.interval) else self.interval
            with eventlet.Timeout(wait, False):
                self._wakeup.wait()
            self._wakeup = Event()

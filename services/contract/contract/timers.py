"""Timers a service can wake (issue 23: no fixed polling delay on a report's path).

``configured_timer(setting, default)`` is nameko's timer with its interval read from the config at
setup.  Its entrypoint also runs as soon as the service asks for it through the :class:`Wake`
dependency, after a commit that made work for it (notification's courier, woken by the batch that
queued the messages, no longer waits for its next poll)::

    wake = Wake()

    @configured_timer("DELIVERY_POLL_SECONDS", 2.0)
    def deliver_due(self): ...

    @event_batches(EVENTS)
    def consume_events(self, batch):
        outcomes = handle_batch(self.store, batch, EVENTS)
        self.wake("deliver_due")
        return outcomes

The interval stays as the safety net (work due later, such as retries; work made by another
process).  A wake while the entrypoint runs makes it run once more when it ends: none is lost, and
the entrypoint still never runs twice at once.  ``gap`` (or the ``gap_setting``): runs start at least
that far apart, so that under load one run takes what many wakes announced (one courier claim for a
burst of batches, not one each).
"""
from __future__ import annotations

import time

import eventlet
from eventlet import Timeout
from eventlet.event import Event
from nameko.extensions import DependencyProvider
from nameko.timer import Timer


class ConfiguredTimer(Timer):
    """A timer whose interval is a config setting (read at setup, like every other setting), and that
    :meth:`wake` runs at once."""

    def __init__(self, setting: str, default: float, wake_setting: str | None = None,
                 gap_setting: str | None = None, gap: float = 0.0, **kwargs):
        super().__init__(interval=default, **kwargs)
        self.setting, self.wake_setting, self.gap_setting, self.gap = setting, wake_setting, gap_setting, gap
        self.wakeable = True
        self._signal = Event()
        self._stopping = False

    def setup(self):
        config = self.container.config
        self.interval = float(config.get(self.setting, self.interval))
        # wake_setting false: only the interval runs it (a courier held back, as the backlog bench needs)
        self.wakeable = str(config.get(self.wake_setting, True)).lower() not in ("false", "0", "no") \
            if self.wake_setting else True
        if self.gap_setting:
            self.gap = float(config.get(self.gap_setting, self.gap))

    def wake(self) -> None:
        if self.wakeable and not self._signal.ready():
            self._signal.send(True)

    def stop(self):
        self._stopping = True
        if not self._signal.ready():
            self._signal.send(True)
        self.gt.wait()

    def _run(self):
        first, started = True, float("-inf")
        while True:
            with Timeout(0 if first and self.eager else self.interval, False):
                self._signal.wait()
            first = False
            rest = self.gap - (time.monotonic() - started)
            if rest > 0 and not self._stopping:
                eventlet.sleep(rest)  # runs start at least ``gap`` apart: wakes meanwhile join this run
            if self._stopping:
                return
            self._signal = Event()  # a wake from now on runs the entrypoint again after this run
            started = time.monotonic()
            self.handle_timer_tick()
            self.worker_complete.wait()
            self.worker_complete.reset()


configured_timer = ConfiguredTimer.decorator


class Wake(DependencyProvider):
    """``self.wake(method_name)``: run this container's timer entrypoint of that name now."""

    def get_dependency(self, worker_ctx):
        def wake(method_name: str) -> None:
            for entrypoint in self.container.entrypoints:
                if isinstance(entrypoint, ConfiguredTimer) and entrypoint.method_name == method_name:
                    entrypoint.wake()
        return wake

"""Which background part of a service has stopped making progress (issue 22).

A service's background parts (the group committer, the outbox relay and every other wakeable loop,
the event consumer) each register a :class:`Watch` and call ``advanced()`` whenever they finish a
round of work. A part is *stuck* when it has work waiting (``waiting()`` > 0; loops and consumers
always count as busy while they run) and has not advanced for longer than its ``patience``.

``GET /health`` answers 503 naming the stuck parts (``contract.http.HealthAndMetrics``), and
``lapor_component_stuck{service,component}`` is 1 for each (the ``LaporComponentStuck`` alert):
once a killed group committer kept looping on a closed client and starved intake's front door,
while ``/health`` and every metric said nothing was wrong.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

from prometheus_client import Gauge

STUCK = Gauge("lapor_component_stuck",
              "1 while a background part of the service has work waiting and made no progress for longer "
              "than its patience (group commit, outbox relay, event consumer, other loops).",
              ["service", "component"])

_lock = threading.Lock()
_watches: dict[tuple[str, str], "Watch"] = {}


class Watch:
    def __init__(self, service: str, component: str, patience: float,
                 waiting: Callable[[], int] = lambda: 1):
        self.service, self.component, self.patience, self.waiting = service, component, patience, waiting
        self.last = time.monotonic()

    def advanced(self) -> None:
        self.last = time.monotonic()

    def stuck(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        if now - self.last <= self.patience:
            return False
        try:
            return self.waiting() > 0
        except Exception:  # cannot tell: not stuck by this rule
            return False


def watch(service: str, component: str, patience: float, waiting: Callable[[], int] = lambda: 1) -> Watch:
    """Register (or replace) the watch of a service's background part."""
    made = Watch(service, component, patience, waiting)
    with _lock:
        _watches[(service, component)] = made
    return made


def unwatch(found: Watch) -> None:
    with _lock:
        if _watches.get((found.service, found.component)) is found:
            del _watches[(found.service, found.component)]
    STUCK.labels(found.service, found.component).set(0)


def stuck(service: str) -> list[str]:
    """The service's stuck parts, sorted; also sets ``lapor_component_stuck`` for each watched part."""
    now = time.monotonic()
    with _lock:
        mine = [w for (owner, _), w in _watches.items() if owner == service]
    found = []
    for item in mine:
        is_stuck = item.stuck(now)
        STUCK.labels(service, item.component).set(1 if is_stuck else 0)
        if is_stuck:
            found.append(item.component)
    return sorted(found)

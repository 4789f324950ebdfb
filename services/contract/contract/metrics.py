"""Prometheus metrics shared by every service, and the per-entrypoint metrics provider.

Names follow Prometheus conventions (``_total`` counters, ``_seconds`` histograms, base units).
The provider never makes a worker fail: its work is wrapped and logged.
"""
from __future__ import annotations

import functools
import logging
import time
import weakref

from marshmallow import ValidationError
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from nameko.web.handlers import HttpRequestHandler
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from contract import redact
from contract.errors import ApiError

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

ENTRYPOINT_CALLS = Counter(
    "lapor_entrypoint_calls_total", "Entrypoint calls (RPC, HTTP, event, timer).",
    ["service", "entrypoint"])
ENTRYPOINT_ERRORS = Counter(
    "lapor_entrypoint_errors_total", "Entrypoint calls that raised an exception.",
    ["service", "entrypoint"])
ENTRYPOINT_LATENCY = Histogram(
    "lapor_entrypoint_duration_seconds", "Entrypoint latency, by kind (http, rpc: requests; timer, message).",
    ["service", "entrypoint", "kind"], buckets=LATENCY_BUCKETS)
OUTBOX_BACKLOG = Gauge(
    "lapor_outbox_pending_events", "Events staged in the outbox and not yet published.", ["service"])
EVENTS_PUBLISHED = Counter(
    "lapor_events_published_total", "Events published from the outbox.", ["service", "event"])
EVENT_PUBLISH_FAILURES = Counter(
    "lapor_event_publish_failures_total", "Failed publish attempts (broker unreachable).",
    ["service", "event"])
EVENTS_UNROUTED = Counter(
    "lapor_events_unrouted_total", "Publish attempts returned because no queue was bound.",
    ["service", "event"])
EVENT_RELAY_DELAY = Histogram(
    "lapor_event_relay_delay_seconds", "Time from staging an event to publishing it.", ["service"],
    buckets=LATENCY_BUCKETS + (30, 60, 300))
EVENTS_HANDLED = Counter(
    "lapor_events_handled_total",
    "Events consumed, by outcome (applied, duplicate, rejected, dead_lettered, requeued).",
    ["service", "event", "outcome"])
EVENTS_DEAD_LETTERED = Counter(
    "lapor_events_dead_lettered_total", "Events a service put in its dead-letter queue (poison or invalid).",
    ["service", "event"])

STORE_COMMANDS = Counter(
    "lapor_store_commands_total", "Store commands sent (pymongo command monitoring), by command name.",
    ["service", "command"])
STORE_TRANSACTIONS = Counter(
    "lapor_store_transactions_total", "Store transactions ended, by outcome (committed, failed, aborted).",
    ["service", "outcome"])


def never_fails(fn):
    """Wrap a metric-recording function so that a failure in it is logged, never raised: metrics never
    make a worker fail."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            fn(*args, **kwargs)
        except Exception:
            log.warning("metrics: %s.%s failed", fn.__module__, fn.__name__, exc_info=True)
    return wrapper


def exposition() -> tuple[bytes, str]:
    """The process's metrics in the Prometheus text format, with its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST


def counted_as_error(worker_ctx, exc: BaseException) -> bool:
    """A failure of the service, not the caller's error (bad input, not found, refused: a 4xx, or
    an exception the entrypoint declares expected, e.g. a page's NotFoundPage)."""
    if isinstance(exc, ApiError):
        return exc.status >= 500
    if isinstance(exc, ValidationError):
        return False
    return not isinstance(exc, getattr(worker_ctx.entrypoint, "expected_exceptions", ()) or ())


def entrypoint_kind(entrypoint) -> str:
    """``http`` or ``rpc`` for an entrypoint a caller waits on (a request), ``timer`` for a timer,
    ``message`` for the rest (event batches, hub consumers): the slow-request alert reads the first two."""
    if isinstance(entrypoint, HttpRequestHandler):
        return "http"
    if isinstance(entrypoint, Rpc):
        return "rpc"
    return "timer" if isinstance(entrypoint, Timer) else "message"


class Metrics(DependencyProvider):
    """Call count, error count and latency per entrypoint, labelled by service; at start, the
    service's logs are made to mask every password of a failover URI list (``contract.redact``)."""

    def setup(self):
        redact.install()
        self._started = weakref.WeakKeyDictionary()

    def worker_setup(self, worker_ctx):
        try:
            self._started[worker_ctx] = time.perf_counter()
        except Exception:
            log.warning("metrics: worker_setup failed", exc_info=True)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        try:
            labels = (self.container.service_name, worker_ctx.entrypoint.method_name)
            ENTRYPOINT_CALLS.labels(*labels).inc()
            if exc_info is not None and counted_as_error(worker_ctx, exc_info[1]):
                ENTRYPOINT_ERRORS.labels(*labels).inc()
            started = self._started.pop(worker_ctx, None)
            if started is not None:
                kind = entrypoint_kind(worker_ctx.entrypoint)
                ENTRYPOINT_LATENCY.labels(*labels, kind).observe(time.perf_counter() - started)
        except Exception:
            log.warning("metrics: worker_result failed", exc_info=True)

    def get_dependency(self, worker_ctx):
        return self

    def event_handled(self, event: str, outcome: str) -> None:
        try:
            EVENTS_HANDLED.labels(self.container.service_name, event, outcome).inc()
        except Exception:
            log.warning("metrics: event_handled failed", exc_info=True)

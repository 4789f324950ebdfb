"""One transaction run to its end, retried while the server says it may be, but not for long.

pymongo's ``ClientSession.with_transaction`` retries a transient error (a write conflict, a
``StaleWrite`` of ``contract.uow``) at once and without pause for up to 120 s, a limit it does not
let a caller change. Inside a service that is two minutes of a worker (and of a front-door request)
spent on a conflict that does not clear, with nothing logged. :func:`run_transaction` follows the
same rules (the Convenient API for Transactions specification: run the callback again on
``TransientTransactionError``, commit again on ``UnknownTransactionCommitResult``) but waits a
little between attempts (so the other writer can commit), gives up after ``limit`` seconds with
the last error, logs every retry with its cause and counts it
(``lapor_store_transaction_retries_total``).
"""
from __future__ import annotations

import logging
import random
import time
from typing import Any, Callable

from prometheus_client import Counter
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

DEFAULT_LIMIT_SECONDS = 15.0
FIRST_PAUSE, LONGEST_PAUSE = 0.005, 0.25

RETRIES = Counter(
    "lapor_store_transaction_retries_total",
    "Transactions run again (conflict: a transient error; commit: the commit's result unknown).",
    ["service", "reason"])
GAVE_UP = Counter(
    "lapor_store_transaction_retries_exhausted_total",
    "Transactions given up after retrying for the retry limit (the caller got the last error).",
    ["service"])


def _max_time_expired(exc: PyMongoError) -> bool:
    return getattr(exc, "code", None) == 50 or getattr(exc, "timeout", False)


def run_transaction(session, callback: Callable[[Any], Any], *, write_concern=None,
                    limit: float = DEFAULT_LIMIT_SECONDS, service: str = "cli",
                    clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> Any:
    """``callback(session)`` in a transaction on ``session``, committed; transient errors retried
    for at most ``limit`` seconds (then the last error is raised)."""
    started = clock()
    attempt = 0

    def again(reason: str, exc: PyMongoError) -> bool:
        nonlocal attempt
        if clock() - started >= limit:
            GAVE_UP.labels(service).inc()
            log.error("%s: a transaction gave up after %d attempts in %.1f s: %s", service, attempt + 1,
                      clock() - started, exc)
            return False
        attempt += 1
        RETRIES.labels(service, reason).inc()
        log.info("%s: transaction attempt %d failed (%s: %s); running it again", service, attempt, reason, exc)
        pause = min(LONGEST_PAUSE, FIRST_PAUSE * 2 ** min(attempt, 10))
        sleep(pause * (0.5 + random.random() / 2))
        return True

    while True:
        session.start_transaction(write_concern=write_concern)
        try:
            result = callback(session)
        except BaseException as exc:
            if session.in_transaction:
                session.abort_transaction()
            if isinstance(exc, PyMongoError) and exc.has_error_label("TransientTransactionError") \
                    and again("conflict", exc):
                continue
            raise
        if not session.in_transaction:
            return result  # the callback ended the transaction itself
        while True:
            try:
                session.commit_transaction()
                return result
            except PyMongoError as exc:
                if exc.has_error_label("UnknownTransactionCommitResult") and not _max_time_expired(exc) \
                        and again("commit", exc):
                    continue
                if exc.has_error_label("TransientTransactionError") and again("conflict", exc):
                    break
                raise

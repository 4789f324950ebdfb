"""Submission limits by sliding window: a burst straddling a window boundary gets the limit, not twice it.

The store keeps one counter per key and fixed window; the estimate for the last
``window_seconds`` is this window's count plus the previous window's, weighted by the share of
it still inside the sliding window (the "sliding window counter" of rate limiters).
Plain functions: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

import math


def retry_after(previous: int, current: int, limit: int, window_seconds: int, now: float) -> int | None:
    """Seconds to wait, or None when ``current`` (this one included) keeps the estimate within ``limit``."""
    elapsed = now % window_seconds
    if previous * (1 - elapsed / window_seconds) + current <= limit:
        return None
    if current <= limit and previous > 0:  # wait until enough of the previous window slides out
        wait = window_seconds * (1 - (limit - current) / previous) - elapsed
    else:  # this window alone is over: into the next one, until enough of this one slides out
        wait = window_seconds - elapsed + window_seconds * (1 - limit / current)
    return max(1, math.ceil(wait))


def window_of(now: float, window_seconds: int) -> int:
    return int(now // window_seconds)

"""Near-duplicates: same category and region, similar text, within a window (linked, not dropped).

Plain functions: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

from intake.registry import normalise

DEFAULT_WINDOW_HOURS = 72
DEFAULT_THRESHOLD = 0.6


def shingles(text: str) -> set[str]:
    """Word pairs of the normalised text (order-aware, tolerant of small edits)."""
    words = normalise(text or "").split()
    if len(words) < 2:
        return set(words)
    return {f"{a} {b}" for a, b in zip(words, words[1:])}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of two texts' word pairs, 0..1."""
    left, right = shingles(a), shingles(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def earlier_duplicate(description: str, candidates: list[dict], threshold: float = DEFAULT_THRESHOLD) -> str | None:
    """The tracking ID of the most similar earlier report at or above ``threshold``, if any."""
    best, best_score = None, threshold
    for candidate in candidates:
        score = similarity(description, candidate.get("description") or "")
        if score >= best_score:
            best, best_score = candidate["tracking_id"], score
    return best

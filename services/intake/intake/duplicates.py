"""Near-duplicates: same category and region, similar text, within a window (linked, not dropped).

The candidates come from one small document per category and region (``recent_reports``,
``_id`` ``"<category>:<region>"``) holding the last ``RECENT_KEPT`` complete reports' fingerprints,
written in the transaction that stores each complete report. Checking a submission is therefore one
read of one document, whatever the number of similar reports stored (issue 23: the index-range read it
replaces decoded every similar report of the window, about 40 us each on the local store).

Plain functions: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

from intake.registry import normalise

DEFAULT_WINDOW_HOURS = 72
DEFAULT_THRESHOLD = 0.6
RECENT = "recent_reports"
RECENT_KEPT = 50            # fingerprints kept per category and region (the newest)
DESCRIPTION_KEPT = 2000     # characters of a description kept for the comparison


def recent_key(category_code: str, region_code: str) -> str:
    return f"{category_code}:{region_code}"


def recent_entry(report: dict) -> dict:
    """What is remembered of a complete report as a near-duplicate candidate."""
    return {"tracking_id": report["_id"] if "_id" in report else report["tracking_id"],
            "description": (report.get("description") or "")[:DESCRIPTION_KEPT],
            "received_at": report["received_at"]}


def recent_update(report: dict) -> tuple[dict, dict]:
    """The filter and update (for an upserting UpdateOne on ``RECENT``) that remember a complete
    report as a candidate for later near-duplicates: newest last, the oldest beyond RECENT_KEPT dropped."""
    return ({"_id": recent_key(report["category_code"], report["region_code"])},
            {"$push": {"entries": {"$each": [recent_entry(report)], "$slice": -RECENT_KEPT}}})


def recent_keys(kind: str, command: dict) -> list[str]:
    """The ``RECENT`` document a submission of a group commit will read (``kind``: its handler; the
    group's documents are read at once, ``contract.uow.UnitOfWork.read``)."""
    form = command.get("form") if isinstance(command, dict) else None
    if isinstance(form, dict) and form.get("category_code") and form.get("region_code"):
        return [recent_key(form["category_code"], form["region_code"])]
    return []


def candidates(recent: dict | None, since, added: list[dict] = ()) -> list[dict]:
    """The remembered reports of a category and region received at or after ``since``, newest first:
    those stored, then ``added`` (remembered earlier in the same transaction, not yet written)."""
    entries = [*((recent or {}).get("entries") or []), *added][-RECENT_KEPT:]
    return [e for e in reversed(entries) if _aware(e["received_at"], since) >= since]


def _aware(at, like):
    """The store may hand back naive UTC datetimes; compare them as the aware ``like`` is."""
    if at.tzinfo is None and like.tzinfo is not None:
        return at.replace(tzinfo=like.tzinfo)
    return at


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

"""Handlers of the events assessment consumes, and of the KPI compactor that folds their moves."""
from __future__ import annotations

from assessment import cells, domain, kpi
from contract import events

LEGACY = (events.REPORT_RECEIVED, events.REPORT_DISPOSITIONED)  # also counted per hub, region and agency


def fold_event(uow, event_type: str, event: dict) -> None:
    """Fold the event into the report's fact and journal the KPI cell moves it causes (the batch
    consumer applies each event once)."""
    old = uow.facts.get(event["tracking_id"])
    new = kpi.fold(old, event_type, event)
    new["rev"] = (old or {}).get("rev", 0) + 1
    uow.facts.save(new, old)
    zone = uow.settings.timezone
    moves = kpi.delta(kpi.contributions(old, zone), kpi.contributions(new, zone))
    legacy = domain.counter_increments(event_type, event) if event_type in LEGACY else []
    if moves or legacy:  # hot counters are moved by the compactor, never by concurrent events
        uow.kpi.journal(event["event_id"], moves, legacy)


def pending_journal(uow, limit: int) -> list[dict]:
    """The compactor's next journal entries (up to ``limit``)."""
    return uow.kpi.pending(limit)


def fold_journal(uow, entries: list[dict]) -> int:
    """Fold journal entries into the grouped cells and the exact counters, then delete them (one
    unit of work: an entry is folded exactly once); returns how many events they held."""
    uow.kpi.fold_into_groups(cells.group_increments(cells.sum_moves(e["moves"] for e in entries)))
    uow.kpi.add_legacy(cells.sum_moves(e.get("legacy") or [] for e in entries))
    uow.kpi.discard([e["_id"] for e in entries])
    return sum(e.get("events", 1) for e in entries)


def journal_pending(uow) -> int:
    """Applied events whose moves are not folded into the cells yet."""
    return uow.kpi.journal_pending()


def health(uow) -> dict:
    return {"facts": uow.facts.count(), "events_processed": uow.facts.events_processed(),
            "kpi_journal_pending": uow.kpi.journal_pending()}

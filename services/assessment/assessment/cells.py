"""How KPI cells are laid out in the store: a journal of moves, folded into grouped documents.

Reading side. A KPI query asks for one dimension of one scope over one period (``*|unit|2025``:
every unit hub-wide in 2025).  Its cells live in ONE *group* document, as
``dims.<dim>.<value>.<counter>``, so the hub-wide breakdown by unit is one document read, not a
thousand (the store reads documents one by one, and the tail latency followed the number of
documents).  Hub-wide groups hold one dimension each (``*|unit|2025``: they are the large
ones, bounded by the number of units or regions); an agency's groups hold all its dimensions
(``AG1|@|2025``: an agency has few units), so an event touches few documents.

Writing side. Updating groups per event would rewrite large documents at the event rate.
Instead the event's transaction (fact + processed marker) also inserts one small *journal*
entry with the event's moves (``cell id -> counter increments``, from ``kpi.delta``).  A
compactor folds a batch of journal entries into the groups and deletes them, in one
transaction: increments of the same cell from many events are summed first, so a hot group is
written once per batch instead of once per event.  A journal entry is either still pending or
already folded, never both (it is deleted in the transaction that folds it), so every event
counts once.  Queries read the groups, so they lag the events by about one compaction.

This module is pure (no store): escaping of values used as field names, grouping of moves into
``$inc`` documents, and expanding group documents back into per-value rows.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from assessment import kpi

CELL_FIELDS = ("scope", "dim", "value", "month")


def escape(value: str) -> str:
    """A dimension value as a field name: no '.' (a path separator) and no leading '$'."""
    return value.replace("%", "%25").replace(".", "%2E").replace("$", "%24")


def unescape(key: str) -> str:
    return key.replace("%2E", ".").replace("%24", "$").replace("%25", "%")


ALL_DIMS = "@"  # the part of an agency's group: every dimension in one document


def part_of(scope: str, dim: str) -> str:
    """Hub-wide groups hold one dimension; an agency's group holds all of them."""
    return dim if scope == "*" else ALL_DIMS


def group_id(scope: str, part: str, month: str) -> str:
    return f"{scope}|{part}|{month}"


def group_of(scope: str, dim: str, month: str) -> str:
    return group_id(scope, part_of(scope, dim), month)


def parse_group_id(gid: str) -> dict:
    scope, part, month = gid.split("|")
    return {"scope": scope, "part": part, "month": month}


def sum_moves(entries: Iterable[Iterable[tuple[str, dict[str, int]]]]) -> dict[str, dict[str, int]]:
    """cell id -> summed increments over many events' moves (zeros dropped)."""
    total: dict[str, dict[str, int]] = {}
    for moves in entries:
        for cid, inc in moves:
            kpi.accumulate(total, {cid: inc})
    return {cid: nonzero for cid, counters in total.items() if (nonzero := {k: v for k, v in counters.items() if v})}


def group_increments(moves: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """group id -> ``$inc`` document (``dims.<dim>.<escaped value>.<counter>: n``)."""
    groups: dict[str, dict[str, int]] = defaultdict(dict)
    for cid, inc in moves.items():
        cell = kpi.parse_cell_id(cid)
        prefix = f"dims.{cell['dim']}.{escape(cell['value'])}."
        target = groups[group_of(cell["scope"], cell["dim"], cell["month"])]
        for key, value in inc.items():
            target[prefix + key] = target.get(prefix + key, 0) + value
    return dict(groups)


def group_documents(cells: dict[str, dict[str, int]]) -> list[dict]:
    """Whole group documents for a table of cells (what a rebuild writes)."""
    groups: dict[str, dict] = {}
    for cid, counters in cells.items():
        cell = kpi.parse_cell_id(cid)
        gid = group_of(cell["scope"], cell["dim"], cell["month"])
        doc = groups.setdefault(gid, {"_id": gid, **parse_group_id(gid), "dims": {}})
        doc["dims"].setdefault(cell["dim"], {})[escape(cell["value"])] = {k: v for k, v in counters.items() if v}
    return list(groups.values())


def cell_count(doc: dict) -> int:
    return sum(len(values) for values in doc.get("dims", {}).values())


def rows(doc: dict, dim: str, value: str | None = None) -> list[dict]:
    """One dimension of a group document as a row per value: ``{scope, dim, value, month, counters...}``."""
    base = {"scope": doc["scope"], "dim": dim, "month": doc["month"]}
    out = []
    for key, counters in ((doc.get("dims") or {}).get(dim) or {}).items():
        name = unescape(key)
        if value is None or name == value:
            out.append({**base, "value": name, **counters})
    return out


def cell_table(docs: Iterable[dict]) -> dict[str, dict[str, int]]:
    """cell id -> non-zero counters, for whole group documents (what ``--check`` compares)."""
    out = {}
    for doc in docs:
        for dim in doc.get("dims") or {}:
            for row in rows(doc, dim):
                counters = {k: v for k, v in row.items() if k not in CELL_FIELDS and v}
                if counters:
                    out[kpi.cell_id(row["scope"], row["dim"], row["value"], row["month"])] = counters
    return out

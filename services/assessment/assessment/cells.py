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
entry with the moves (``cell id -> counter increments``, from ``kpi.delta``; a batch of events
consumed together journals one entry with their summed moves).  A compactor folds a batch of
journal entries into the groups and deletes them, in one transaction: increments of the same
cell from many events are summed first, then each touched group is read once and written once
(``group_write``), so a hot group is written once per batch instead of once per event.  A
journal entry is either still pending or already folded, never both (it is deleted in the
transaction that folds it), so every event counts once.  Queries read the groups, so they lag
the events by about one compaction.

Why read-and-write instead of ``$inc``: on the local store (SecantusDB 0.7) an update's cost
grows with the square of the number of paths it names (it checks every path against every
other one) and an ``$inc`` of a large document cost several times a ``$set`` or a replacement
of it (bench/RESULTS.md, Assessment), so a batch's ``$inc`` of hundreds of counters took
seconds.  The compactor therefore sets whole cells (``dims.<dim>.<value>``: a few paths) or,
when many cells of a group changed, replaces the group; both carry the group's ``rev`` read in
the same transaction, so a concurrent writer makes the batch run again instead of being lost.
On MongoDB the same writes are standard and small (``$set`` of the changed cells).

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


class BatchEntry:
    """The one journal entry of a batch of events consumed together: their moves and legacy
    counter increments summed per cell, and how many events it holds.  ``doc`` is the document
    to store; adding an event updates it in place (its lists hold the same counter dicts as the
    sums), so a batch costs what its events' moves cost, not its cells times its events."""

    def __init__(self, first_event_id: str, at):
        self.doc = {"_id": first_event_id, "moves": [], "legacy": [], "events": 0, "at": at}
        self._cells: dict[str, dict[str, dict[str, int]]] = {"moves": {}, "legacy": {}}

    def add(self, moves: dict[str, dict[str, int]], legacy: Iterable[tuple[str, dict[str, int]]]) -> None:
        for part, items in (("moves", moves.items()), ("legacy", legacy)):
            sums = self._cells[part]
            for key, inc in items:
                cell = sums.get(key)
                if cell is None:
                    cell = sums[key] = {}
                    self.doc[part].append([key, cell])
                for counter, n in inc.items():
                    cell[counter] = cell.get(counter, 0) + n
        self.doc["events"] += 1


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


# a group with at most this many changed cells is written with ``$set`` of those cells (small writes on
# MongoDB when traffic is light); with more, replaced whole: on the local store a replacement costs
# less than any update of the same document (no path checks, no diff for its oplog)
SET_CELLS_MAX = 8


def fold_group(doc: dict | None, gid: str, increments: dict[str, int]) -> tuple[dict, dict[str, dict]]:
    """The group document after ``increments`` (``dims.<dim>.<escaped value>.<counter>: n``, as
    from ``group_increments``), with its ``rev`` advanced, and the changed cells by path
    (``dims.<dim>.<escaped value>``).  ``doc`` (the stored group, or None) is not changed."""
    new = {"_id": gid, **parse_group_id(gid), "dims": {}} if doc is None else {**doc, "dims": dict(doc.get("dims") or {})}
    new["rev"] = (new.get("rev") or 0) + 1
    changed: dict[str, dict] = {}
    for path, n in increments.items():
        _, dim, value, counter = path.split(".")
        cell_path = f"dims.{dim}.{value}"
        cell = changed.get(cell_path)
        if cell is None:
            dims = new["dims"][dim] = dict(new["dims"].get(dim) or {})
            cell = changed[cell_path] = dims[value] = dict(dims.get(value) or {})
        cell[counter] = cell.get(counter, 0) + n
    return new, changed


def group_write(doc: dict | None, gid: str, increments: dict[str, int]) -> tuple[str, dict | None, dict]:
    """How to store one group after ``increments``: ``("insert", None, document)`` for a new group,
    ``("set", filter, update)`` of the changed cells, or ``("replace", filter, document)``; the
    filter holds the ``rev`` that was read, so a group changed meanwhile matches nothing."""
    new, changed = fold_group(doc, gid, increments)
    if doc is None:
        return "insert", None, new
    expect = {"_id": gid, "rev": doc.get("rev")}  # rev None also matches a group without one (a rebuild's)
    if len(changed) <= SET_CELLS_MAX:
        return "set", expect, {"$set": {**changed, "rev": new["rev"]}}
    return "replace", expect, new


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

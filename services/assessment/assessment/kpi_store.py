"""Storage of the KPIs: report facts, the journal of cell moves, the grouped cells (assessment.cells).

``Facts`` and ``Kpi`` are repositories of assessment's unit of work (``uow.facts``, ``uow.kpi``):

- an event's handler reads the report's fact (read ahead for every event of the batch with one
  ``$in``), saves the new one at the commit (a fact new to the unit is inserted once; a stored one
  replaced once if its ``rev`` is still the one read, else the unit runs again) and journals the
  cell moves: ONE journal entry per unit of work, holding the summed moves of its events;
- the compactor (:func:`compact`) folds journal entries into the groups in its own units of work,
  each group written once, guarded by the ``rev`` it read; a compactor that loses a race to
  another rolls back (:class:`CompactionRace`) and tries again.

:class:`CellMaintenance` is the offline side (the CLI's rebuild and ``--check``, the start-up
migration): whole-collection reads and rewrites, not units of work.
"""
from __future__ import annotations

from typing import Iterator

from bson import ObjectId
from pymongo import InsertOne, ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from assessment import cells, kpi
from contract.uow import DUPLICATE_KEY, Repository

GROUPS = "kpi_cells"     # grouped cells: hub-wide per (dimension, bucket), per agency per bucket
JOURNAL = "kpi_journal"  # cell moves of applied events, not yet folded into the groups
LEGACY = "cells"         # the exact counters per hub, region and agency (``legacy|<kind>:<code>``)
COMPACT_RETRIES = 20

# ids per ``$in`` of the compactor: the local store checks each candidate against the whole list, so
# one ``$in`` of n ids costs n * n (2,000 journal ids: half the compaction; bench/store_update_cost.py);
# pieces of k cost n * k plus a round trip each, least about k = 25
IN_CHUNK = 25


def chunks(ids: list, size: int = IN_CHUNK) -> Iterator[list]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


class CompactionRace(Exception):
    """Another compactor folded some of the same journal entries first; roll back, try again."""


class Facts(Repository):
    """One fact per report (``kpi.fold``), guarded by its ``rev``."""

    def get(self, tracking_id: str) -> dict | None:
        """The report's fact (read ahead for every event of the unit's batch; the unit's own saves win)."""
        return self.uow.read("facts", tracking_id, key="tracking_id")

    def save(self, fact: dict, previous: dict | None) -> None:
        """Insert a new fact, or replace ``previous`` if it is still stored as read (else the unit runs
        again); saved again in the same unit: one write of the latest fact."""
        if previous is None:
            self.uow.insert("facts", fact)
        else:
            self.uow.save("facts", fact, expect={"rev": previous.get("rev", 0)})

    def count(self) -> int:
        return self.db.facts.estimated_document_count()

    def events_processed(self) -> int:
        return self.db.processed_events.estimated_document_count()


class Kpi(Repository):
    """The journal of cell moves, the grouped cells and the exact (legacy) counters."""

    def __init__(self, uow):
        super().__init__(uow)
        self.entry: cells.BatchEntry | None = None  # this unit's one journal entry

    # -- the event side ---------------------------------------------------------------------
    def journal(self, event_id: str, moves: dict[str, dict[str, int]], legacy: list[tuple[str, dict]]) -> None:
        """Add an event's cell moves and legacy increments to the unit's journal entry (inserted at the
        commit as it is then); once committed, the compactor is woken."""
        if self.entry is None:
            # not keyed by the event's id: a redelivered event must fail on its processed-event marker
            # (AlreadyApplied: the batch runs again without it), which the unit writes after its documents
            self.entry = cells.BatchEntry(f"{event_id}:{ObjectId()}", self.uow.now())
            self.uow.insert(JOURNAL, self.entry.doc)
            wake = self.uow.shared.get("wake_compactor")
            if wake is not None:
                self.uow.after_commit(wake)
        self.entry.add(moves, legacy)

    # -- the compactor's side ---------------------------------------------------------------
    def pending(self, limit: int) -> list[dict]:
        """Up to ``limit`` journal entries, oldest first as stored."""
        return list(self.db[JOURNAL].find({}, limit=limit, session=self.session))

    def fold_into_groups(self, groups: dict[str, dict[str, int]]) -> None:
        """Write each touched group once (``cells.group_write``), at once in the unit's transaction:
        guarded by the ``rev`` read in it, so a group another compactor changed raises CompactionRace."""
        if not groups:
            return
        stored = {doc["_id"]: doc for ids in chunks(sorted(groups))
                  for doc in self.db[GROUPS].find({"_id": {"$in": ids}}, session=self.session)}
        requests, guarded = [], 0
        for gid, increments in sorted(groups.items()):
            how, expect, doc = cells.group_write(stored.get(gid), gid, increments)
            if how == "insert":
                requests.append(InsertOne(doc))  # a racing compactor's insert: a duplicate key, retried
                continue
            guarded += 1
            requests.append(UpdateOne(expect, doc) if how == "set" else ReplaceOne(expect, doc))
        try:
            matched = self.db[GROUPS].bulk_write(requests, ordered=False, session=self.session).matched_count
        except BulkWriteError as exc:
            if any(e.get("code") == DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise CompactionRace() from exc
            raise
        if matched != guarded:
            raise CompactionRace()

    def add_legacy(self, legacy: dict[str, dict[str, int]]) -> None:
        """The exact counters' increments (commutative), written at the commit."""
        if legacy:
            self.uow.update(LEGACY, [UpdateOne({"_id": "legacy|" + key}, {"$inc": inc}, upsert=True)
                                     for key, inc in sorted(legacy.items())])

    def discard(self, ids: list[str]) -> None:
        """Delete folded journal entries; all of them, or the compaction raced another and rolls back."""
        deleted = sum(self.db[JOURNAL].delete_many({"_id": {"$in": part}}, session=self.session).deleted_count
                      for part in chunks(ids))
        if deleted != len(ids):
            raise CompactionRace()

    # -- the reading side -------------------------------------------------------------------
    def cells(self, scope: str, dim: str, buckets: list[str], value: str | None = None) -> list[dict]:
        """Cells of one scope and dimension for the given months, quarters or years (one group
        document per bucket), as rows ``{scope, dim, value, month, counters...}``."""
        ids = [cells.group_of(scope, dim, bucket) for bucket in buckets]
        query = {"_id": ids[0] if len(ids) == 1 else {"$in": ids}}
        path = f"dims.{dim}" if value is None else f"dims.{dim}.{cells.escape(value)}"
        return [row for doc in self.db[GROUPS].find(query, {"scope": 1, "month": 1, path: 1}, session=self.session)
                for row in cells.rows(doc, dim, value)]

    def legacy_counters(self) -> list[dict]:
        return [{**doc, "_id": doc["_id"].split("|", 1)[1]}
                for doc in self.db[LEGACY].find({"_id": {"$regex": "^legacy\\|"}}, session=self.session)]

    def agency_seen(self, agency_code: str) -> bool:
        """True once a report held by the agency has been counted (its own scope has cells)."""
        return self.db[GROUPS].find_one({"scope": agency_code}, {"_id": 1}, session=self.session) is not None

    def journal_pending(self) -> int:
        """Applied events whose moves are not folded yet (an entry of a batch counts its events)."""
        result = list(self.db[JOURNAL].aggregate(
            [{"$group": {"_id": None, "n": {"$sum": {"$ifNull": ["$events", 1]}}}}], session=self.session))
        return result[0]["n"] if result else 0


def compact(units, limit: int = 2000) -> int:
    """Fold up to ``limit`` journal entries into the grouped cells; returns how many events.

    One read of the journal (a read-only unit: nothing pending, no transaction), then one unit of
    work (``handlers.fold_journal``) reads the touched groups with one query, writes each once
    (guarded by the ``rev`` it read) and deletes the entries, so an entry is folded exactly once
    even with several compactors: one that loses the race finds a group changed or fewer entries to
    delete than it read, rolls back and tries again."""
    from assessment import handlers
    for _ in range(COMPACT_RETRIES):
        entries = units.read(handlers.pending_journal, limit)
        if not entries:
            return 0
        try:
            return units.run(handlers.fold_journal, entries)
        except (CompactionRace, DuplicateKeyError):
            continue
    raise CompactionRace()


class CellMaintenance:
    """Offline work on the KPI collections (the CLI, the start-up migration): no unit of work."""

    def __init__(self, db):
        self.db = db

    def fact_count(self) -> int:
        return self.db.facts.estimated_document_count()

    def facts(self, batch_size: int = 2000) -> Iterator[dict]:
        return self.db.facts.find({}, batch_size=batch_size)

    def journal_ids(self) -> list[str]:
        return [doc["_id"] for doc in self.db[JOURNAL].find({}, {"_id": 1})]

    def replace_cells(self, table: dict[str, dict[str, int]], discard_journal: list[str] = ()) -> int:
        """Replace every KPI cell by ``table`` (a rebuild), dropping the journal entries it already
        includes; returns the number of cells written."""
        docs = cells.group_documents(table)
        self.db[GROUPS].delete_many({})
        for i in range(0, len(docs), 50):
            self.db[GROUPS].insert_many(docs[i:i + 50], ordered=False)
        ids = list(discard_journal)
        for i in range(0, len(ids), 5000):
            self.db[JOURNAL].delete_many({"_id": {"$in": ids[i:i + 5000]}})
        return sum(cells.cell_count(doc) for doc in docs)

    def all_kpi_cells(self) -> dict[str, dict[str, int]]:
        """Every cell as the queries will see it once the journal is folded (for ``--check``)."""
        table = cells.cell_table(self.db[GROUPS].find({}))
        kpi.accumulate(table, cells.sum_moves(entry["moves"] for entry in self.db[JOURNAL].find({})))
        return {cid: {k: v for k, v in c.items() if v} for cid, c in table.items() if any(c.values())}

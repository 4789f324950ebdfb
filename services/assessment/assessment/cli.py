"""Assessment's command line: rebuild the KPI cells from the stored report facts.

    python -m assessment.cli rebuild [--config services/assessment/config.yml]
                                     [--mongodb-uri URI] [--database NAME] [--check]
    python -m assessment.cli rebuild-surveys [--config ...] [--mongodb-uri URI] [--database NAME]

The rebuild sums ``kpi.contributions`` over every fact (the same function the event handlers
use for their increments), so it gives the same numbers as the live aggregates; it replaces
the grouped cells and drops the journal entries that the facts already include.  ``--check``
only compares (cells plus the journal not yet folded) and exits 1 on a difference.  Run it
with the service stopped (or quiet): events applied during a rebuild may be counted twice or
not at all until the next rebuild.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from assessment import kpi
from contract.config import load_config
from contract.store import DEFAULT_URI, acquire_client, release_client

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "config.yml"


class Progress:
    """A plain progress bar on stderr (no dependency): [#####.....] 50% 500/1000 1234/s."""

    def __init__(self, total: int, stream=sys.stderr, width: int = 30):
        self.total, self.stream, self.width = max(total, 1), stream, width
        self.started = time.monotonic()
        self.last = 0.0

    def update(self, done: int, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        share = min(done / self.total, 1.0)
        filled = int(share * self.width)
        rate = done / max(now - self.started, 1e-9)
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {share:4.0%} {done}/{self.total} "
                          f"{rate:,.0f} facts/s")
        self.stream.flush()

    def close(self, done: int) -> None:
        self.update(done, force=True)
        self.stream.write("\n")


def rebuild_cells(maintenance, timezone: str, progress: bool = True) -> dict[str, dict[str, int]]:
    """The cells as the facts say they should be (in memory); ``maintenance``: a ``kpi_store.CellMaintenance``."""
    total = maintenance.fact_count()
    bar = Progress(total) if progress else None
    cells: dict[str, dict[str, int]] = {}
    done = 0
    for fact in maintenance.facts():
        kpi.accumulate(cells, kpi.contributions(fact, timezone))
        done += 1
        if bar:
            bar.update(done)
    if bar:
        bar.close(done)
    return {cid: {k: v for k, v in values.items() if v} for cid, values in cells.items()}


def differences(live: dict, rebuilt: dict) -> list[str]:
    out = []
    for cid in sorted(set(live) | set(rebuilt)):
        a = {k: v for k, v in live.get(cid, {}).items() if v}
        b = rebuilt.get(cid, {})
        if a != b:
            out.append(f"{cid}: live {a} != facts {b}")
    return out


def main(argv: list[str] | None = None) -> int:
    from assessment.dependencies import AssessmentUnits, parse_settings
    from assessment.kpi_store import CellMaintenance, compact
    parser = argparse.ArgumentParser(prog="assessment.cli", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rebuild = sub.add_parser("rebuild", help="rebuild KPI cells from the report facts")
    rebuild.add_argument("--config", default=str(DEFAULT_CONFIG))
    rebuild.add_argument("--mongodb-uri")
    rebuild.add_argument("--database")
    rebuild.add_argument("--check", action="store_true", help="compare only; exit 1 on a difference")
    surveys = sub.add_parser("rebuild-surveys", help="rebuild the satisfaction survey totals from the responses")
    for option in ("--config", "--mongodb-uri", "--database"):
        surveys.add_argument(option, **({"default": str(DEFAULT_CONFIG)} if option == "--config" else {}))
    args = parser.parse_args(argv)

    config = load_config(args.config)
    uri = args.mongodb_uri or config.get("MONGODB_URI") or DEFAULT_URI
    database = args.database or config.get("MONGODB_DATABASE") or "lapor_assessment"
    settings = parse_settings(config)
    timezone = settings.timezone
    client = acquire_client(uri)
    db = client[database]
    try:
        if args.command == "rebuild-surveys":
            from assessment.survey_store import rebuild_totals, response_count
            started = time.monotonic()
            written = rebuild_totals(db)
            print(f"rebuilt {written} survey totals from {response_count(db)} responses "
                  f"in {time.monotonic() - started:.1f} s")
            return 0
        repository = CellMaintenance(db)
        started = time.monotonic()
        if not args.check:
            units = AssessmentUnits(client, db, settings).units()
            while compact(units, 1000):  # fold what is pending first: its legacy counters too
                pass
        folded_in = repository.journal_ids()  # moves already in the facts we are about to read
        rebuilt = rebuild_cells(repository, timezone)
        if args.check:
            diffs = differences(repository.all_kpi_cells(), rebuilt)
            for line in diffs[:50]:
                print(line)
            print(f"{len(diffs)} cell(s) differ" if diffs else "cells match the facts")
            return 1 if diffs else 0
        written = repository.replace_cells(rebuilt, discard_journal=folded_in)
        print(f"rebuilt {written} cells from {repository.fact_count()} facts in {time.monotonic() - started:.1f} s")
        return 0
    finally:
        release_client(uri)


if __name__ == "__main__":
    sys.exit(main())

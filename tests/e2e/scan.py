"""The officials' side of the two scans (issue 24: done once for both): tests/e2e/test_every_page.py
(no 5xx, no traceback) and tests/e2e/test_intake_canaries.py (no reporter identity, no confidential
text) read the same pages, so each official role walks its pages and reads the API once, over the
reports of both (one of every kind and the canaries), and each test asserts its own rule on what
was opened. tests/e2e/conftest.py's ``officials_scan`` fixture runs it once per session."""
from __future__ import annotations

from dataclasses import dataclass, field

import requests

from tests.e2e.walker import Page, walk

# every official role (the canaries' four, and an official of another agency), role -> official
ROLES = {"national admin": "nas-admin-1", "agency admin": "adm-buleleng", "liaison": "lo-bll-pupr",
         "supervisor": "spv-buleleng", "another agency": "lo-lwu-pupr"}
STARTS = ["/petugas", "/petugas/dasbor", "/petugas/pemantauan", "/admin/inbox", "/cases/inbox"]
REPORT_PAGES = ("/petugas/laporan", "/petugas/kasus", "/petugas/bukti", "/admin/reports", "/cases")


@dataclass
class Scan:
    receipts: dict[str, dict]                                       # every kind -> its receipt (secret)
    ids: dict[str, str]                                             # every report, canaries too -> tracking ID
    pages: dict[str, list[Page]] = field(default_factory=dict)      # role -> the pages its walk opened
    reads: dict[str, list[Page]] = field(default_factory=dict)      # role -> its answers of every API read
    public_reads: list[Page] = field(default_factory=list)          # every API read with no credentials


def officials_scan(base: str, headers_of, receipts: dict[str, dict], canaries: dict[str, str],
                   paths_of) -> Scan:
    """As each role of ROLES (``headers_of(official_id)``: its Authorization header), walk the
    officials' pages from its start pages and every report's pages, then read ``paths_of(ids)``
    (every GET of the API for these reports); and read those as the public. The canaries are named
    "canary <name>"."""
    ids = {name: receipt["tracking_id"] for name, receipt in receipts.items()}
    ids |= {f"canary {name}": tracking_id for name, tracking_id in canaries.items()}
    scan, paths = Scan(receipts, ids), paths_of(ids)
    for role, official in ROLES.items():
        session = requests.Session()
        session.headers.update(headers_of(official))
        starts = STARTS + [f"{prefix}/{t}" for t in ids.values() for prefix in REPORT_PAGES]
        # as many pages beyond the starts as each scan's own walk opened (400 from 45 starts)
        scan.pages[role] = walk(session, base, starts, limit=len(starts) + 355)
        scan.reads[role] = walk(session, base, paths, limit=400, per_route=60)
    scan.public_reads = walk(requests.Session(), base, paths, limit=400, per_route=60)
    return scan

"""No 5xx on any page for any role (issue 20): every kind of report (normal, confidential,
anonymous, a web draft, a social draft, forwarded, closed) is opened on every page that links to
it, through the front door: the citizens' pages with no secret, a wrong secret and the right one;
the public pages; and every officials' page as each role (national admin, agency admin, liaison,
supervisor, an official of another agency), by the one crawler of tests/e2e/walker.py. No answer
may be a 5xx or show a Python traceback.

The officials' walks and API reads are shared with tests/e2e/test_intake_canaries.py (tests/e2e/scan.py,
the ``officials_scan`` fixture: its canary reports are opened here too); the citizens' walks of one kind
of session (no secret, a wrong one, the right one) open a page that names no report once, not once
per report (``walk(seen=...)``)."""
from __future__ import annotations

import pytest
import requests

from contract import sealing

from tests.e2e import scan
from tests.e2e.conftest import gateway_headers
from tests.e2e.walker import csrf_token, server_errors, walk
from tests.factories import make_report
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

PUBLIC_STARTS = ["/", "/lapor", "/lacak", "/publik", "/statistik", "/petugas/masuk"]


def steps(base: str, tracking_id: str) -> set[str]:
    return {h["step"] for h in requests.get(f"{base}/reports/{tracking_id}", timeout=5).json()["history"]}


def every_kind(base: str, stack: dict, bearer) -> dict[str, dict]:
    """One report of every kind; name -> {"tracking_id", "secret"}."""
    made = {}
    for name, flags in (("normal", {}), ("confidential", {"is_confidential": True}),
                        ("anonymous", {"is_anonymous": True}), ("closed", {}),
                        # no rule for health in Makassar: national triage, which may forward it to another hub
                        ("forwarded", {"category_code": "kesehatan", "region_code": "7371"}),
                        ("confidential anonymous", {"is_confidential": True, "is_anonymous": True})):
        receipt = requests.post(f"{base}/reports", json=make_report(**flags), timeout=10)
        assert receipt.status_code == 201, receipt.text
        made[name] = receipt.json()
    draft = requests.post(f"{base}/reports", json={"title": "Draf pendek", "description": "pendek",
                                                   "is_confidential": True}, timeout=10)
    assert draft.status_code == 202, draft.text
    made["draft"] = draft.json()
    social = requests.post(f"{base}/channels/social", headers=gateway_headers(stack, "social"), timeout=10,
                           json={"post_id": "every-page-1", "author_handle": "walker_x",
                                 "text": "@LAPOR1708 lampu mati #lapor"})
    assert social.status_code == 202, social.text
    made["social draft"] = {**social.json(), "secret": None}
    for name in ("normal", "confidential", "anonymous", "closed", "confidential anonymous"):
        wait_for(lambda t=made[name]["tracking_id"]: "case_opened" in steps(base, t), timeout=30, interval=0.2)
    forward(base, made["forwarded"]["tracking_id"], bearer)
    close(base, made["closed"], bearer)
    return made


def forward(base: str, tracking_id: str, bearer) -> None:
    """The national admin forwards a report of their triage queue to another hub (Bukan Wewenang).
    The demo directory's province hub 35 gets a public key first (the national admin's registry
    import, as an operator joining a hub does): a hub without one can take no report."""
    admin = bearer("nas-admin-1")
    hub = {"code": "35", "name": "Simpul Provinsi Jawa Timur", "tier": "province", "parent": "ID",
           "region_code": "35", "public_key": sealing.new_key_pair()[1]}
    imported = requests.post(f"{base}/admin/registry", json={"hubs": [hub]}, headers=admin, timeout=20)
    assert imported.status_code == 200, imported.text
    targets = wait_for(lambda: (r := requests.get(f"{base}/admin/reports/{tracking_id}", headers=admin,
                                                  timeout=10)).status_code == 200 and r.json().get("forward_targets"),
                       timeout=30, interval=0.2)
    done = requests.post(f"{base}/admin/reports/{tracking_id}/forward", headers=admin, timeout=10,
                         json={"target_hub": targets[0], "reason": "Wewenang simpul provinsi"})
    assert done.status_code == 200, done.text


def close(base: str, receipt: dict, bearer) -> None:
    tracking_id, liaison = receipt["tracking_id"], bearer("lo-bll-pupr")
    assert requests.post(f"{base}/admin/reports/{tracking_id}/verify", json={}, headers=liaison,
                         timeout=10).status_code == 200
    wait_for(lambda: requests.get(f"{base}/cases/{tracking_id}", timeout=5).json()["verified_at_unit"], timeout=20)
    answered = requests.post(f"{base}/cases/{tracking_id}/answer", headers=liaison, timeout=10,
                             json={"body": "Sudah ditambal.", "attachments": []})
    assert answered.status_code == 201, answered.text
    rated = requests.post(f"{base}/cases/{tracking_id}/rating", timeout=10,
                          json={"secret": receipt["secret"], "rating": 4})
    assert rated.status_code == 200 and rated.json()["status"] == "closed", rated.text


def citizen_pages(base: str, receipt: dict, seen: dict[str, set]) -> list:
    """A report's citizens' pages with no secret, a wrong secret, and its right secret (``seen``: the
    paths each kind of session opened already, for an earlier report)."""
    tracking_id = receipt["tracking_id"]
    starts = [f"/lacak/{tracking_id}", f"/laporan/{tracking_id}", f"/lapor/{tracking_id}",
              f"/lacak?tracking_id={tracking_id}", f"/reports/{tracking_id}"]
    stranger = requests.Session()
    pages = walk(stranger, base, starts, limit=60, seen=seen.setdefault(None, set()))
    for secret in ("SALAH-SALAH-SALAH", receipt.get("secret")):
        if not secret:
            continue
        session = requests.Session()
        token = csrf_token(session, base, f"/lacak/{tracking_id}")
        if token is None:  # no form to give a secret to: the stranger's walk above shows why
            assert server_errors(pages, "") or receipt.get("secret") is None, f"/lacak/{tracking_id} has no form"
            continue
        unlocked = session.post(f"{base}/lacak/{tracking_id}/kunci", data={"csrf_token": token, "secret": secret},
                                allow_redirects=False, timeout=20)
        assert unlocked.status_code < 500, f"POST /lacak/{tracking_id}/kunci ({secret}): {unlocked.status_code}"
        pages += walk(session, base, starts, limit=60, seen=seen.setdefault(secret == "SALAH-SALAH-SALAH", set()))
    return pages


def test_no_page_answers_5xx_for_any_report_or_role(stack, officials_scan):
    base = stack["base"]
    seen = {None: set()}  # the stranger's walks take up where the public walk ended
    public = walk(requests.Session(), base, PUBLIC_STARTS, limit=200, seen=seen[None])
    walked = {"public": len(public)}
    public += officials_scan.public_reads
    opened, problems = len(public), server_errors(public, "public")
    for name, receipt in officials_scan.receipts.items():
        pages = citizen_pages(base, receipt, seen)
        walked[name] = len(pages)
        opened += len(pages)
        problems += server_errors(pages, f"citizen ({name})")
    for role in scan.ROLES:
        pages = officials_scan.pages[role]
        walked[role] = len(pages)
        assert sum(p.status == 200 for p in pages) >= 5, f"{role}: the walk opened almost nothing"
        # and every GET of the API (admin lists, statistics, Open311...) for these reports
        pages = pages + officials_scan.reads[role]
        opened += len(pages)
        problems += server_errors(pages, role)
    print(f"every page: {opened} answers ({walked}), {len(problems)} problems")
    assert not problems, "\n".join(problems)
    assert opened >= 100, f"only {opened} pages opened"

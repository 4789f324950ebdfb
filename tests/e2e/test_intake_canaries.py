"""Anonymity and confidentiality canaries over every public and official read path of the stack.

Reports are filed through intake's channels with unique markers in every identity field and in
the texts, then every endpoint is read as the public and as each official role:
- no anonymous reporter's identity (name, phone, e-mail) on any endpoint, public or official;
- no reporter's identity (also handles and named reporters) in any other service's database
  (events carry only the pseudonymous reporter reference);
- no text of a confidential report appears on any public endpoint;
- no reporter's contact or handle, and no name of an anonymous or confidential reporter, on any
  page an official of any role can open (issue 20): the officials' pages are walked by the one
  crawler (tests/e2e/walker.py) from each role's start pages, markup, attributes and hidden fields
  included, and every official's JSON read is scanned for the same.

The reads and the officials' walks are done once for this test and tests/e2e/test_every_page.py
(tests/e2e/scan.py, the ``officials_scan`` fixture of tests/e2e/conftest.py, which files these canaries
beside that test's reports of every kind); this test scans what they opened.

To extend: endpoints come from /openapi.json (every GET path), with path parameters filled from
``PATH_VALUES``; add to ``EXTRA_PUBLIC_READS`` any public read that is not in the OpenAPI
document (exports, feeds), and to ``PATH_VALUES`` the value of a new path parameter.
"""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import requests

from tests.e2e import scan
from tests.waiting import wait_for
from tests.factories import make_report

pytestmark = pytest.mark.e2e

RUN = uuid.uuid4().hex[:8].upper()
NAME, PHONE, EMAIL = f"CANARYANON{RUN}", f"+62899{int(RUN, 16) % 10**7:07d}", f"anon{RUN.lower()}@example.com"
ANONYMOUS = (NAME, PHONE, EMAIL)  # identity of anonymous reporters: on no endpoint at all
NAME2, PHONE2, EMAIL2, HANDLE = f"CANARYOPEN{RUN}", f"+62898{int(RUN, 16) % 10**7:07d}", \
    f"open{RUN.lower()}@example.com", f"canary_{RUN.lower()}"
IDENTITY = ANONYMOUS + (NAME2, PHONE2, EMAIL2, HANDLE)  # any reporter: in no other service's store
# NAME2 is a confidential reporter's name (a public report's named reporter is public): officials see none
FOR_NO_OFFICIAL = IDENTITY
SECRET_TEXT = f"CANARYSECRETTEXT{RUN}"

# path parameter -> values to read (every tracking-ID-like parameter gets the canary IDs at run time)
PATH_VALUES = {"agency_code": ["PEMKAB-BULELENG"], "unit_code": ["BLL-PUPR"], "region_code": ["5108"],
               "year": [str(date.today().year)], "official_id": ["lo-bll-pupr"], "category_code": ["infrastruktur"],
               "service_code": ["infrastruktur"], "format": ["json", "xml"]}
TRACKING_PARAMETERS = ("tracking_id", "service_request_id", "token")
# public reads outside the OpenAPI document (exports, feeds); "{tracking_id}" is filled as above
EXTRA_PUBLIC_READS: list[str] = ["/open311/v2/requests.xml?status=open,closed"]


def canary_reports(base: str, gateways: dict[str, dict]) -> dict[str, str]:
    """File the canaries through every public channel and the manual form; name -> tracking ID."""
    anonymous, named = {"name": NAME, "phone": PHONE, "email": EMAIL}, {"name": NAME2, "phone": PHONE2, "email": EMAIL2}
    ids = {}
    for name, flags in (("anonymous_confidential", {"is_anonymous": True, "is_confidential": True}),
                        ("anonymous", {"is_anonymous": True}), ("confidential", {"is_confidential": True})):
        text = SECRET_TEXT if flags.get("is_confidential") else "Teks publik"
        body = make_report(title=f"{text} judul", description=f"{text}: jalan berlubang besar di depan sekolah sejak Senin",
                           reporter=anonymous if flags.get("is_anonymous") else named, **flags)
        response = requests.post(f"{base}/reports", json=body, timeout=10)
        assert response.status_code == 201, response.text
        ids[name] = response.json()["tracking_id"]
    sms = requests.post(f"{base}/channels/sms", timeout=10, headers=gateways["sms"], json={
        "message_id": f"canary-{RUN}", "from": PHONE2,
        "text": f"Buleleng jalan rusak parah di depan pasar sejak Senin, hubungi {PHONE2.replace('+62', '0')}"})
    social = requests.post(f"{base}/channels/social", timeout=10, headers=gateways["social"], json={
        "post_id": f"canary-{RUN}", "author_handle": HANDLE,
        "text": f"@LAPOR1708 RT @{HANDLE}: lampu jalan mati total di Singaraja sejak seminggu #lapor"})
    assert sms.status_code == 201 and social.status_code == 201, (sms.text, social.text)
    ids["sms"], ids["social"] = sms.json()["tracking_id"], social.json()["tracking_id"]
    draft = requests.post(f"{base}/reports", timeout=10, json={
        "title": f"{SECRET_TEXT} draf", "description": "pendek", "is_confidential": True, "is_anonymous": True,
        "reporter": anonymous})
    assert draft.status_code == 202
    ids["draft"] = draft.json()["tracking_id"]
    return ids


def paths_to_read(base: str, ids: dict[str, str]) -> list[str]:
    spec = requests.get(f"{base}/openapi.json", timeout=10).json()
    templates = [p for p, ops in spec["paths"].items() if "get" in ops] + EXTRA_PUBLIC_READS
    values = {**PATH_VALUES, **{name: list(ids.values()) for name in TRACKING_PARAMETERS}}
    urls = []
    for template in templates:
        expanded = [template]
        for name, options in values.items():
            if "{" + name + "}" in template:
                expanded = [u.replace("{" + name + "}", v) for u in expanded for v in options]
        urls += [u for u in expanded if "{" not in u]
    return urls


def leaks(text: str, markers: tuple[str, ...]) -> list[str]:
    return [m for m in markers if m.lower() in text.lower()]


def wait_acted_on(base: str, ids: dict[str, str]) -> None:
    """Until routing, followup and notification have acted on the canaries: the case is opened and the
    receipt queued (the draft waits for its completion)."""
    for tracking_id in (t for name, t in ids.items() if name != "draft"):
        wait_for(lambda t=tracking_id: {"case_opened"} <= {
            h["step"] for h in requests.get(f"{base}/reports/{t}", timeout=5).json()["history"]}, timeout=20,
            interval=0.2)


def test_no_identity_or_confidential_text_leaks(stack, officials_scan, stack_stores):
    read, problems = 0, []
    for answer in officials_scan.public_reads:
        if answer.status == 200:
            read += 1
            if found := leaks(answer.text, ANONYMOUS + (SECRET_TEXT,)):
                problems.append(f"public GET {answer.path}: {found}")
    for role, answers in officials_scan.reads.items():
        for answer in answers:
            if answer.status == 200:
                read += 1
                if found := leaks(answer.text, FOR_NO_OFFICIAL):
                    problems.append(f"{role} GET {answer.path}: {found}")
    assert read >= 20, f"only {read} successful reads: the canary test is not reading the platform"

    problems += officials_pages_leaks(officials_scan)
    assert not problems, "\n".join(problems)

    for client in stack_stores.values():  # every database of every store but intake's
        for database in client.list_database_names():
            if not database.startswith("lapor_") or database == "lapor_intake":
                continue
            for collection in client[database].list_collection_names():
                for doc in client[database][collection].find({}, limit=5000):
                    found = leaks(repr(doc), IDENTITY)
                    assert not found, f"{database}.{collection} holds reporter identity {found}: {doc.get('_id')}"


def officials_pages_leaks(scanned: scan.Scan) -> list[str]:
    """Every officials' page each role's walk opened (the inbox, each canary's report, case and
    evidence pages, dashboard, monitoring and its printable report), scanned for canary identities."""
    problems = []
    for role, pages in scanned.pages.items():
        opened = [p for p in pages if p.status == 200]
        assert len(opened) >= 5, f"{role}: the walk opened almost nothing ({len(pages)} answers)"
        if role == "national admin":  # the scan did read the channel reports' own pages
            reached = {p.path for p in opened}
            assert {f"/petugas/laporan/{scanned.ids['canary social']}",
                    f"/petugas/laporan/{scanned.ids['canary sms']}"} <= reached, sorted(reached)
        problems += [f"{role} page {p.path}: {found}" for p in opened if (found := leaks(p.text, FOR_NO_OFFICIAL))]
    return problems


def test_confidential_reports_are_never_listed_publicly(stack):
    base = stack["base"]
    body = make_report(title=f"{SECRET_TEXT} rahasia", is_confidential=True,
                       incident_date=(date.today() - timedelta(days=1)).isoformat())
    tracking_id = requests.post(f"{base}/reports", json=body, timeout=10).json()["tracking_id"]
    view = requests.get(f"{base}/reports/{tracking_id}", timeout=5).json()
    assert view["title"] is None and view["is_confidential"] is True
    public_id = requests.post(f"{base}/reports", json=make_report(title="Lampu jalan mati di alun-alun"),
                              timeout=10).json()["tracking_id"]
    for routed in (tracking_id, public_id):  # both routed, so both would be listed if confidentiality failed
        wait_for(lambda t=routed: "case_opened" in {h["step"] for h in requests.get(
            f"{base}/reports/{t}", timeout=5).json()["history"]})
    listing = requests.get(f"{base}/open311/v2/requests.json", timeout=5)
    assert listing.status_code == 200, listing.text
    assert public_id in listing.text, "the public report is not listed: the listing proves nothing"
    assert tracking_id not in listing.text and SECRET_TEXT not in listing.text

"""The citizen's tracking page (``/lacak/<id>``) rendered by followup's entrypoint, with intake and
routing answering as fakes and the cases in the fake unit of work: times in the zone of the
report's region (issue 21), and a report forwarded to another hub shows who holds it and links
to the owner hub's page instead of forms it cannot take (issue 19)."""
from __future__ import annotations

import re

import pytest
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contract import registry_names
from contract.rpc import TypedProxy
from contract.web import Web
from followup.service import HERE, FollowupService

from tests.fakes.names import with_names

from .handler_support import TRACKING_ID, units_with_case

ORIGIN_ID = "5108-AAAAA-AAAAM"  # filed at Buleleng (5108), a Luwu (7317) report, held there
REGISTRY = {"agencies": [{"code": "PEMKAB-LUWU", "name": "Pemerintah Kabupaten Luwu"},
                         {"code": "PEMKAB-BULELENG", "name": "Pemerintah Kabupaten Buleleng"}],
            "units": [{"code": "LWU-PUPR", "name": "Dinas PUPR Kab. Luwu"}],
            "hubs": [{"code": "5108", "name": "Simpul Kabupaten Buleleng", "public_url": "http://127.0.0.1:11100"},
                     {"code": "7317", "name": "Simpul Kabupaten Luwu", "public_url": "http://127.0.0.1:11120/"}]}


def page_view(tracking_id, region_code, history, delivery=None, status="in_follow_up", assignment=None):
    """What intake's ``page_view`` answers (PageViewOut), for a report nobody unlocked."""
    return {"tracking_id": tracking_id, "status": status, "status_label": "Ditindaklanjuti", "classification": "complaint",
            "category_code": "infrastruktur", "region_code": region_code, "channel": "web", "title": None,
            "missing": [], "is_anonymous": False, "is_confidential": True, "received_at": "2026-11-16T02:08:00+00:00",
            "assignment": assignment, "case": None, "delivery": delivery, "history": history,
            "reporter_verified": False, "is_public": False, "category_name": "Infrastruktur",
            "region_name": "Kab. Luwu" if region_code == "7317" else "Kab. Buleleng", "attachment_count": 0,
            "full_title": None, "description": None, "location_text": None, "incident_date": None, "reporter_name": None}


def forwarded(state="accepted", with_agency=True):
    detail = {"hub": "7317", "queue": "unit", **({"agency_code": "PEMKAB-LUWU", "unit_code": "LWU-PUPR"} if with_agency else {})}
    history = [{"at": "2026-11-16T02:08:00+00:00", "step": "received", "label": "Laporan diterima", "detail": {}},
               {"at": "2026-11-16T02:08:01+00:00", "step": "hub_waiting", "label": "Menunggu dikirim", "detail": {"hub": "7317"}},
               {"at": "2026-11-16T02:08:02+00:00", "step": "hub_accepted", "label": "Diterima oleh simpul yang berwenang",
                "detail": {"hub": "7317"}},
               {"at": "2026-11-16T16:30:00+00:00", "step": "hub_dispositioned",
                "label": "Didisposisikan di simpul yang berwenang", "detail": detail}]
    return page_view(ORIGIN_ID, "7317", history, {"hub": "7317", "state": state, "since": "2026-11-16T02:08:01+00:00",
                                                  "label": "Ditangani oleh Simpul 7317"})


class Intake:
    def __init__(self, view):
        self.view = view

    def page_view(self, tracking_id, lang, secret):
        return self.view if tracking_id == self.view["tracking_id"] else None


def get(view, units, path, lang="id"):
    with_names(units, registry_names.names_of_registry(REGISTRY))  # the copy registry_updated keeps
    service = worker_factory(FollowupService, store=units, intake=TypedProxy(Intake(view), "intake"),  # as the contract
                             web=Web(HERE / "templates", HERE / "messages.yml", b"k" * 32))
    request = Request(EnvironBuilder(path=path, headers={"Accept-Language": lang}).get_environ())
    response = service.tracking_page(request, view["tracking_id"])
    assert response.status_code == 200
    return response.get_data(as_text=True)


def text_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(dd|section|p)>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split()) if found else ""


def test_a_bali_reports_times_are_in_wita_although_its_case_was_stored_with_wib():
    units, _ = units_with_case()  # region 5108 (Bali), region_timezone Asia/Jakarta as routing sent it
    html = get(page_view(TRACKING_ID, "5108", [{"at": "2026-11-16T02:08:00+00:00", "step": "received",
                                                "label": "Laporan diterima", "detail": {}}]), units, f"/lacak/{TRACKING_ID}")
    assert "16 November 2026, 10:08 WITA" in html  # received at 02:08 UTC
    assert "WIB" not in html


def test_the_heading_keeps_the_tracking_id_whole_in_both_languages():
    units, _ = units_with_case()
    view = page_view(TRACKING_ID, "5108", [])
    assert f'<h1>Laporan <span class="tracking-id">{TRACKING_ID}</span></h1>' in get(view, units, f"/lacak/{TRACKING_ID}")
    assert f'<h1>Report <span class="tracking-id">{TRACKING_ID}</span></h1>' in get(view, units, f"/lacak/{TRACKING_ID}", "en")


def test_at_the_origin_a_forwarded_report_says_who_holds_it_and_links_to_the_owner_hubs_page():
    units, _ = units_with_case()  # a case of another report: none for this one at the origin
    html = get(forwarded(), units, f"/lacak/{ORIGIN_ID}")
    assert text_of(html, "holder") == "Pemerintah Kabupaten Luwu Dinas PUPR Kab. Luwu di Simpul Kabupaten Luwu"
    assert f'href="http://127.0.0.1:11120/lacak/{ORIGIN_ID}"' in html
    assert "Batas waktu ditetapkan setelah laporan didisposisikan" not in html
    assert "ditetapkan oleh Simpul Kabupaten Luwu" in text_of(html, "deadline-elsewhere")
    # the owner's steps, in the region's zone (Luwu: WITA), across the day boundary
    assert "17 November 2026, 00:30 WITA" in html and "16 November 2026, 10:08 WITA" in html and "WIB" not in html


def test_the_reporter_who_unlocked_it_at_the_origin_gets_the_pointer_not_forms_the_origin_cannot_take():
    units, _ = units_with_case()
    html = get({**forwarded(), "reporter_verified": True, "description": "Jalan berlubang."}, units, f"/lacak/{ORIGIN_ID}")
    assert "Jalan berlubang." in html and f'href="http://127.0.0.1:11120/lacak/{ORIGIN_ID}"' in html
    assert 'id="conversation-title"' not in html  # held and answered at the owner hub
    assert 'action="/lapor/' not in html and "/balas" not in html and "/nilai" not in html and "/buka-kembali" not in html


def test_in_english_and_before_the_owner_names_an_agency():
    units, _ = units_with_case()
    html = get(forwarded(with_agency=False), units, f"/lacak/{ORIGIN_ID}", "en")
    assert text_of(html, "holder") == "at Simpul Kabupaten Luwu"
    assert "Open this report at Simpul Kabupaten Luwu" in html
    # the owner's step that names no agency adds nothing for the reporter: passed to the hub, once
    assert text_of(html, "timeline").count("Passed to Simpul Kabupaten Luwu") == 1
    assert "16 November 2026, 10:08 WITA" in html


@pytest.mark.parametrize("state", ["returned", "undeliverable"])
def test_a_report_that_came_back_is_handled_here_with_no_pointer(state):
    units, _ = units_with_case()
    html = get(forwarded(state), units, f"/lacak/{ORIGIN_ID}")
    assert 'id="holder"' not in html and 'id="owner-page"' not in html
    assert "menanggapi, menambah bukti" in html  # the reporter's actions are taken here again


@pytest.mark.parametrize("confidential, anonymous", [(True, False), (True, True), (False, True), (False, False)])
def test_every_kind_of_report_has_a_page_for_anyone_with_or_without_the_secret(confidential, anonymous):
    """Issue 20: the tracking page of every confidential report was a 500 for anyone without the
    secret (the hidden fields were missing from intake's page view, StrictUndefined in the page).
    The view is intake's own answer (its page_view RPC), not a hand-made one."""
    import json as _json

    from intake.dependencies import Settings as IntakeSettings
    from intake.service import IntakeService
    from tests.factories import make_report
    from tests.fakes.intake import intake_units
    intake_registry = {"categories": [{"code": "infrastruktur", "name_id": "Infrastruktur"}],
                       "regions": [{"code": "5108", "name": "Kabupaten Buleleng", "level": "district"}]}
    intake = worker_factory(IntakeService, store=intake_units(IntakeSettings(), registry=intake_registry))
    body = make_report(is_confidential=confidential, is_anonymous=anonymous)
    submitted = Request(EnvironBuilder(method="POST", path="/reports", data=_json.dumps(body),
                                       content_type="application/json").get_environ())
    receipt = _json.loads(intake.submit_report(submitted).get_data())
    units, _ = units_with_case()
    for secret in (None, "WRONG-SECRET", receipt["secret"]):
        view = intake.page_view(receipt["tracking_id"], "id", secret)
        html = get(view, units, f"/lacak/{receipt['tracking_id']}")  # asserts 200
        assert (body["title"] in html) == (secret == receipt["secret"] or not confidential)

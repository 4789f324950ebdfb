"""Issue 19 at followup: the page where the reporter filed shows the owner hub's case (deadline,
indicator, its answer) and takes the reporter's actions, sent on through intake; the owner applies
an action relayed to it once (``reporter_action_relayed``) as if taken on its own page."""
from __future__ import annotations

from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contract import events, registry_names
from contract.web import CSRF_COOKIE, CSRF_FIELD, REPORTER_KEY_COOKIE, Web
from followup import handlers, hub_case
from followup.service import EVENTS, HERE, FollowupService

from .handler_support import TRACKING_ID, units_with_case
from .test_tracking_page import ORIGIN_ID, REGISTRY, forwarded, text_of
from tests.fakes.names import with_names

SECRET = "RAHA-SIA1-2345"
CASE = {"hub": "7317", "case_status": "answered", "stage": "follow_up", "due_at": "2030-11-20T15:59:59+00:00",
        "overall_due_at": None, "indicator": "yellow", "reopen_until": "2030-11-27T15:59:59+00:00", "rating": None,
        "relay_blocked_by": None,
        "messages": [{"kind": "answer", "author_role": "liaison", "body": "Jalan sudah ditambal pada 3 Desember.",
                      "at": "2026-12-03T03:00:00+00:00"},
                     # the reporter's own rating and reopening, kept at the origin when relayed
                     {"kind": "rate", "author_role": "reporter", "body": "Cukup cepat.", "at": "2026-12-03T04:00:00+00:00"},
                     {"kind": "reopen", "author_role": "reporter", "body": "Rusak lagi.", "at": "2026-12-03T05:00:00+00:00"}]}


def view(case=CASE, verified=True):
    return {**forwarded(), "reporter_verified": verified, "hub_case": case}


class Intake:
    def __init__(self, shown, outcome=None):
        self.shown, self.outcome, self.relayed = shown, outcome or {"relayed": True, "hub": "7317"}, []

    def page_view(self, tracking_id, lang, secret):
        return self.shown

    def verify_reporter(self, tracking_id, secret):
        return secret == SECRET

    def relay_reporter_action(self, tracking_id, action, form, secret):
        self.relayed.append((tracking_id, action, form, secret))
        return self.outcome


WEB = Web(HERE / "templates", HERE / "messages.yml", b"k" * 32)


def service(intake):
    units, _ = units_with_case()  # a case of another report: none for this one at the origin
    with_names(units, registry_names.names_of_registry(REGISTRY))  # the copy registry_updated keeps
    return worker_factory(FollowupService, store=units, intake=intake, web=WEB)


def get(intake, lang="id"):
    request = Request(EnvironBuilder(path=f"/lacak/{ORIGIN_ID}", headers={"Accept-Language": lang}).get_environ())
    response = service(intake).tracking_page(request, ORIGIN_ID)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post(intake, path, form):
    token = WEB.csrf.new()
    builder = EnvironBuilder(method="POST", path=f"/lacak/{ORIGIN_ID}/{path}", data={**form, CSRF_FIELD: token},
                             headers={"Cookie": f"{CSRF_COOKIE}={token}; {REPORTER_KEY_COOKIE}{ORIGIN_ID}={SECRET}"})
    worker = service(intake)
    entry = {"balas": worker.reply, "nilai": worker.rate, "buka-kembali": worker.reopen}[path]
    return entry(Request(builder.get_environ()), ORIGIN_ID)


def test_the_origin_page_shows_the_owners_deadline_indicator_answer_and_the_reporters_forms():
    html = get(Intake(view()))
    deadline = text_of(html, "deadline")
    assert "20 November 2030, 23:59 WITA" in html and "Kuning" in html  # the owner's, in Luwu's zone
    assert "ditetapkan setelah" not in html and 'id="deadline-elsewhere"' not in html and deadline is not None
    assert "Jalan sudah ditambal pada 3 Desember." in html  # the owner's answer, for the reporter
    assert "Penilaian Anda" in html and "Permintaan membuka kembali" in html and "Cukup cepat." in html
    assert "/balas" in html and "/nilai" in html and "/buka-kembali" in html
    assert f'action="/lapor/{ORIGIN_ID}/bukti"' in html
    assert "diteruskan ke Simpul Kabupaten Luwu" in text_of(html, "relay-here")


def test_without_the_secret_the_origin_page_shows_the_deadline_but_no_conversation_and_no_forms():
    html = get(Intake(view({**CASE, "messages": []}, verified=False)))
    assert "20 November 2030, 23:59 WITA" in html and "ditambal" not in html
    assert "/balas" not in html and "/nilai" not in html


def test_behind_a_version_1_hub_the_page_says_why_and_offers_no_forms():
    html = get(Intake(view({**CASE, "relay_blocked_by": "7317"})))
    assert "Simpul Kabupaten Luwu belum dapat menerima" in text_of(html, "relay-blocked")
    assert "/balas" not in html and "/nilai" not in html and 'action="/lapor/' not in html
    assert 'id="owner-page"' in html  # the owner hub's page is still linked


def test_a_reply_at_the_origin_goes_to_the_owner_through_intake():
    intake = Intake(view())
    response = post(intake, "balas", {"body": "Lubangnya makin besar."})
    assert response.status_code == 303 and response.headers["Location"].endswith("?notice=replied")
    assert intake.relayed == [(ORIGIN_ID, "reply", {"body": "Lubangnya makin besar.", "attachments": []}, SECRET)]
    response = post(intake, "nilai", {"rating": "5", "comment": ""})
    assert response.status_code == 303 and intake.relayed[-1][1:3] == ("rate", {"rating": 5, "comment": None})


def test_a_refused_action_is_shown_on_the_page_with_the_hub_by_name():
    intake = Intake(view(), outcome={"refused": "version", "hub": "7317"})
    response = post(intake, "buka-kembali", {"reason": "Tambalannya rusak lagi."})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Simpul Kabupaten Luwu belum dapat menerima" in html and "Tidak ada yang dikirim" in html


def relayed(action="reply", **fields):
    return {"event_id": f"rel-{action}", "tracking_id": TRACKING_ID, "origin_hub": "5108", "hub": "7317",
            "occurred_at": "2026-12-01T01:00:00+00:00", "action_id": "a" * 32, "action": action, "from_hub": "5108",
            "body": None, "rating": None, "comment": None, "reason": None, **fields}


def test_the_owner_applies_a_relayed_reply_as_if_taken_on_its_page_and_a_refused_one_changes_nothing():
    assert EVENTS[events.REPORTER_ACTION_RELAYED] is hub_case.relayed_action
    units, _ = units_with_case()
    units.run(hub_case.relayed_action, events.REPORTER_ACTION_RELAYED, relayed(body="Lubangnya makin besar."))
    case = units.read(lambda uow: uow.cases.get(TRACKING_ID))
    messages = units.read(handlers.messages, case, None)
    assert [(m["author_role"], m["body"]) for m in messages] == [("reporter", "Lubangnya makin besar.")]
    assert units.published[-1] == events.REPORTER_REPLIED
    before = list(units.published)
    units.run(hub_case.relayed_action, events.REPORTER_ACTION_RELAYED, relayed("rate", rating=5))  # not answered
    assert units.published == before

"""Issue 19 at followup's JSON API: at the hub where the reporter filed, ``POST /cases/{id}/replies``,
``/rating`` and ``/reopen`` of a report held at another hub go there through intake as the page's
forms do (202 with where they went), with the same validation and errors as for a local case; a
report with a case here is answered here as before."""
from __future__ import annotations

import json

import pytest
from marshmallow import ValidationError
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contract import errors, registry_names
from followup.service import FollowupService

from .handler_support import TRACKING_ID, units_with_case
from .test_hub_case import SECRET, Intake, view
from .test_tracking_page import ORIGIN_ID, REGISTRY
from tests.fakes.names import with_names

ACTION_ID = "c" * 32
ENTRIES = {"replies": "reply_http", "rating": "rating_http", "reopen": "reopen_http"}


class Origin(Intake):
    """intake at the origin: the forwarded report ORIGIN_ID only."""

    def page_view(self, tracking_id, lang, secret):
        return {**self.shown, "reporter_verified": secret == SECRET} if tracking_id == ORIGIN_ID else None


def worker(intake):
    units, _ = units_with_case()  # TRACKING_ID has a case here; ORIGIN_ID has none (held at 7317)
    with_names(units, registry_names.names_of_registry(REGISTRY))
    return worker_factory(FollowupService, store=units, intake=intake), units


def call(intake, path, body, tracking_id=ORIGIN_ID, lang="id"):
    service, _ = worker(intake)
    request = Request(EnvironBuilder(method="POST", path=f"/cases/{tracking_id}/{path}", data=json.dumps(body),
                                     content_type="application/json",
                                     headers={"Accept-Language": lang}).get_environ())
    return getattr(service, ENTRIES[path])(request, tracking_id)


def sent(outcome=None):
    return Origin(view(), outcome or {"relayed": True, "hub": "7317", "action_id": ACTION_ID})


@pytest.mark.parametrize("path, body, action, form", [
    ("replies", {"secret": SECRET, "body": "Lubangnya makin besar."}, "reply",
     {"body": "Lubangnya makin besar.", "attachments": []}),
    ("rating", {"secret": SECRET, "rating": 4, "comment": "Cukup cepat."}, "rate", {"rating": 4, "comment": "Cukup cepat."}),
    ("reopen", {"secret": SECRET, "reason": "Tambalannya rusak lagi."}, "reopen", {"reason": "Tambalannya rusak lagi."}),
])
def test_an_action_on_a_report_held_elsewhere_goes_there_and_answers_202_with_where(path, body, action, form):
    intake = sent()
    with pytest.raises(ValidationError) as bad:  # the local case's validation, before anything is sent
        call(intake, path, {**body, "secret": ""})
    assert "secret" in bad.value.messages and intake.relayed == []
    response = call(intake, path, body)
    assert response.status_code == 202
    assert json.loads(response.get_data()) == {"relayed_to": "7317", "action_id": ACTION_ID}
    assert intake.relayed == [(ORIGIN_ID, action, form, SECRET)]  # the secret checked again by intake


def test_a_wrong_secret_is_403_and_nothing_is_sent():
    intake = sent()
    with pytest.raises(errors.ApiError) as refused:
        call(intake, "replies", {"secret": "SALA-HSEK-RET0", "body": "Lubangnya makin besar."})
    assert refused.value.status == 403 and refused.value.errors[0]["field"] == "secret"
    assert intake.relayed == []


def test_a_refusal_is_409_naming_the_hub_by_name_in_both_languages():
    intake = sent({"refused": "not_open", "hub": "7317"})
    with pytest.raises(errors.ApiError) as refused:
        call(intake, "reopen", {"secret": SECRET, "reason": "Tambalannya rusak lagi."})
    (item,) = refused.value.errors
    assert refused.value.status == 409 and item["code"] == "relay_not_open" and item["field"] == "reason"
    assert "Simpul Kabupaten Luwu" in item["message_id"] and "Tidak ada yang dikirim" in item["message_id"]


def test_a_case_here_is_answered_here_an_unknown_report_is_404_and_only_a_report_held_elsewhere_is_sent():
    intake = sent()
    response = call(intake, "replies", {"secret": SECRET, "body": "Lubangnya makin besar."}, tracking_id=TRACKING_ID)
    assert response.status_code == 201 and json.loads(response.get_data())["body"] == "Lubangnya makin besar."
    with pytest.raises(errors.ApiError) as unknown:
        call(intake, "replies", {"secret": SECRET, "body": "Halo."}, tracking_id="7317-AAAAA-AAAAM")
    assert unknown.value.status == 404 and intake.relayed == []
    with pytest.raises(errors.ApiError) as here:  # filed here, no case yet: intake sends nothing
        call(sent({"refused": "not_forwarded", "hub": "5108"}), "replies", {"secret": SECRET, "body": "Halo."})
    assert here.value.status == 404
    assert call(intake, "replies", {"secret": SECRET, "body": "Halo."}).status_code == 202
    assert [sent_[0] for sent_ in intake.relayed] == [ORIGIN_ID]

"""Both ends of an RPC call go through the contract's schemas (issue 24): the answering side
refuses bad arguments with a ValidationError naming the field, and dumps its reply through the reply
schema; the calling side refuses a reply that breaks its schema (``ReplyRefused``), drops what the
contract does not promise, and refuses to send arguments the contract does not take."""
import json

import pytest
from marshmallow import ValidationError
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contract import rpc as rpc_contract
from contract.rpc import ArgumentsRefused, ReplyRefused, TypedProxy
from intake.dependencies import Settings as IntakeSettings
from intake.service import IntakeService
from notification.directory import DirectoryClient
from notification.exceptions import TransientError
from routing.service import RoutingService
from tests.factories import make_report
from tests.fakes.intake import intake_units

REGISTRY = {"categories": [{"code": "infrastruktur", "name_id": "Infrastruktur", "name_en": "Infrastructure"}],
            "regions": [{"code": "5108", "name": "Kabupaten Buleleng", "level": "district"}]}
TRACKING_ID = "5108-AAAAA-AAAAM"


def intake_with_a_report():
    intake = worker_factory(IntakeService, store=intake_units(IntakeSettings(), registry=REGISTRY))
    request = Request(EnvironBuilder(method="POST", path="/reports", data=json.dumps(make_report()),
                                     content_type="application/json").get_environ())
    return intake, json.loads(intake.submit_report(request).get_data())


class Answering:
    """Stands for a service's ServiceProxy: records the calls, answers what it is given."""

    def __init__(self, **replies):
        self.replies, self.calls = replies, []

    def __getattr__(self, name):
        def call(*args):
            self.calls.append((name, args))
            return self.replies[name]
        call.call_async = lambda *args: type("Reply", (), {"result": lambda _: call(*args)})()
        return call


# --- the answering side -----------------------------------------------------------------------------

def test_the_answering_side_refuses_bad_arguments_naming_the_field():
    intake, receipt = intake_with_a_report()
    with pytest.raises(ValidationError) as refused:
        intake.page_view(receipt["tracking_id"], "fr")
    assert list(refused.value.messages) == ["lang"]
    with pytest.raises(ValidationError) as refused:
        intake.reporter_contacts("rpt_not_a_list")
    assert list(refused.value.messages) == ["reporter_refs"]
    with pytest.raises(ValidationError) as refused:
        intake.verify_reporter({"$ne": None}, receipt["secret"])  # a query where an ID should be
    assert list(refused.value.messages) == ["tracking_id"]
    routing = worker_factory(RoutingService)
    with pytest.raises(ValidationError) as refused:
        routing.authenticate(12345)
    assert list(refused.value.messages) == ["token"]
    assert not routing.auth.lookup.called  # refused before routing looked anything up


def test_the_answering_side_dumps_its_reply_through_the_reply_schema_and_the_caller_reads_it_unchanged():
    intake, receipt = intake_with_a_report()
    view = intake.page_view(receipt["tracking_id"], "id", receipt["secret"])
    assert view["tracking_id"] == receipt["tracking_id"] and view["reporter_verified"] is True
    assert isinstance(view["received_at"], str) and isinstance(view["history"][0]["at"], str)  # ISO text
    assert rpc_contract.load_reply("intake.page_view", view) == view
    assert intake.verify_reporter(receipt["tracking_id"], receipt["secret"]) is True
    assert intake.verify_reporter(receipt["tracking_id"], None) is False
    assert intake.page_view("5108-ZZZZZ-ZZZZZ") is None


# --- the calling side --------------------------------------------------------------------------------

def test_a_reply_breaking_its_schema_is_refused_at_the_calling_side():
    intake = TypedProxy(Answering(page_view={"tracking_id": TRACKING_ID, "status": "lost_in_the_post"},
                                  verify_reporter="yes", reporter_contacts=[{"email": "a@example.com"}],
                                  tracking_page_elsewhere="javascript:alert(1)"), "intake")
    with pytest.raises(ReplyRefused) as refused:
        intake.page_view(TRACKING_ID, "id", None)
    assert refused.value.method == "intake.page_view" and "status" in str(refused.value)
    with pytest.raises(ReplyRefused):
        intake.verify_reporter(TRACKING_ID, "SECRET")
    with pytest.raises(ReplyRefused) as refused:
        intake.reporter_contacts(["rpt_1"])
    assert "reporter_ref" in str(refused.value)
    with pytest.raises(ReplyRefused):  # a redirect's Location must be a web address
        intake.tracking_page_elsewhere(TRACKING_ID)


def test_the_caller_reads_only_what_the_contract_promises():
    principal = {"official_id": "lo-bll-pupr", "role": "liaison", "hub": "5108", "email": "pupr@example.go.id",
                 "password_hash": "x"}
    routing = TypedProxy(Answering(authenticate=principal, authenticate_session=None), "routing")
    assert routing.authenticate("lpr_token") == {"official_id": "lo-bll-pupr", "role": "liaison", "hub": "5108",
                                                 "name": None, "agency_code": None, "unit_code": None, "via": "token"}
    assert routing.authenticate_session("s" * 40) is None


def test_the_caller_sends_every_parameter_in_order_and_refuses_arguments_the_contract_does_not_take():
    answering = Answering(page_view=None)
    intake = TypedProxy(answering, "intake")
    assert intake.page_view(TRACKING_ID) is None
    assert answering.calls == [("page_view", (TRACKING_ID, "id", None))]  # the defaults travel too
    with pytest.raises(ArgumentsRefused) as refused:
        intake.page_view(TRACKING_ID, lang="fr")
    assert "lang" in str(refused.value)
    with pytest.raises(ArgumentsRefused):
        intake.page_view(TRACKING_ID, "id", None, "extra")
    assert len(answering.calls) == 1  # nothing refused was sent
    with pytest.raises(KeyError):  # no schemas, no typed call: intake.get_report is the operator's
        intake.get_report


def test_notifications_directory_takes_a_malformed_contact_as_a_failed_lookup_not_an_address():
    """The courier's asynchronous calls (``call_async``) go through the contract too."""
    intake = TypedProxy(Answering(reporter_contact={"reporter_ref": "rpt_1", "email": ["a@example.com"]}), "intake")
    routing = TypedProxy(Answering(recipients=[{"official_id": "lo-1", "role": "liaison", "email": "lo@example.go.id"}]),
                         "routing")
    directory = DirectoryClient(intake, routing, type("Provider", (), {"timeout": 1, "cache": {}, "ttl": 30})())
    with pytest.raises(TransientError, match="ReplyRefused"):
        directory.reporter("rpt_1")
    assert directory.officials("unit:BLL-PUPR") == [{"official_id": "lo-1", "role": "liaison",
                                                    "email": "lo@example.go.id"}]


def test_a_stored_notification_travels_with_its_id_as_notification_id():
    """``notification.for_report`` (and notification's API, the same schema) dumps a stored
    notification; intake's data-subject export reads ``notification_id`` back."""
    from datetime import datetime, timezone
    stored = {"_id": "ntf_1", "tracking_id": TRACKING_ID, "status": "sent", "attempts": 1,
              "created_at": datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc), "contact": "never on the wire"}
    wire = rpc_contract.dump_reply("notification.for_report", [stored])
    assert wire == [{"notification_id": "ntf_1", "tracking_id": TRACKING_ID, "status": "sent", "attempts": 1,
                     "created_at": "2026-12-01T03:00:00+00:00"}]
    assert rpc_contract.load_reply("notification.for_report", wire) == [{**wire[0], "manual_retries": 0}]

"""followup's calls to intake (``tracking_pages.ask_intake``, through ``contract.rpc.call_within``):
intake not answering, not running, the broker gone, or intake failing is a 503 to try again, on the
tracking page and on the reporter's API, never a 500; intake's failure is logged as an error."""
from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, UnknownService

from contract import errors
from contract.web import UnavailablePage
from followup import tracking_pages

from .test_hub_case import SECRET, Intake, view
from .test_hub_case_api import call
from .test_tracking_page import ORIGIN_ID

FAILURES = [UnknownService("intake"), OperationalError("connection refused"), RemoteError("KeyError", "'hub_case'")]


class Failing(Intake):
    def __init__(self, error: Exception):
        super().__init__(view())
        self.error = error

    def page_view(self, tracking_id, lang, secret):
        raise self.error


@pytest.mark.parametrize("failure", FAILURES, ids=lambda e: type(e).__name__)
def test_the_reporters_api_answers_503_when_intake_cannot(failure, caplog):
    with pytest.raises(errors.ApiError) as raised:
        call(Failing(failure), "replies", {"secret": SECRET, "body": "Lubangnya makin besar."})
    assert raised.value.status == 503 and raised.value.errors[0]["code"] == "unavailable"
    assert "intake.page_view" in caplog.text
    assert [r.levelname for r in caplog.records] == ["ERROR" if isinstance(failure, RemoteError) else "WARNING"]


@pytest.mark.parametrize("failure", FAILURES, ids=lambda e: type(e).__name__)
def test_the_tracking_page_is_unavailable_when_intake_cannot(failure):
    service = type("Worker", (), {"intake": Failing(failure),
                                  "store": type("Store", (), {"settings": type("S", (), {"intake_timeout": 1})})})
    with pytest.raises(UnavailablePage):
        tracking_pages.report_view(service, ORIGIN_ID, "id", None)

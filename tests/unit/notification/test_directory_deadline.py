"""notification's directory (``DirectoryClient._call``, through ``contract.rpc.call_within``): every
way intake or routing cannot give a contact is a ``TransientError`` (retried with backoff, then
dead-lettered) that says why in the notification's ``last_error``, by type names only."""
from __future__ import annotations

import eventlet
import pytest
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, UnknownService

from contract.rpc import TypedProxy
from notification.directory import DirectoryClient
from notification.exceptions import TransientError


class Intake:
    def __init__(self, error=None, wait: float = 0):
        self.error, self.wait = error, wait

    def reporter_contact(self, reporter_ref):
        eventlet.sleep(self.wait)
        if self.error is not None:
            raise self.error
        return {"reporter_ref": reporter_ref, "email": "kadek@example.com"}


def directory(intake: Intake) -> DirectoryClient:
    provider = type("Provider", (), {"timeout": 0.05, "batch_timeout": 0.05, "cache": {}, "ttl": 30})()
    return DirectoryClient(TypedProxy(intake, "intake"), TypedProxy(object(), "routing"), provider)


@pytest.mark.parametrize("intake, why", [
    (Intake(wait=5), "intake.reporter_contact unavailable (timeout): no answer within 0.05 s"),
    (Intake(error=UnknownService("intake")), "intake.reporter_contact unavailable (no_service)"),
    (Intake(error=OperationalError("refused")), "intake.reporter_contact unavailable (broker)"),
    (Intake(error=RemoteError("KeyError", "'kadek@example.com'")), "intake.reporter_contact failed: KeyError"),
])
def test_each_reason_is_a_transient_error_that_says_why(intake, why):
    with pytest.raises(TransientError) as raised:
        directory(intake).reporter("rpt_1")
    assert str(raised.value).startswith(why) and "kadek@example.com" not in str(raised.value)


def test_a_contact_in_time_is_the_contact():
    assert directory(Intake()).reporter("rpt_1")["email"] == "kadek@example.com"

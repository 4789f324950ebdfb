"""``contract.rpc.call_within``: an RPC call with a deadline, on a fake proxy (no broker).

No answer in time, no such service and a failed broker connection are one ``Unavailable`` naming
the service, the method and the reason; the other service's error passes through as itself."""
import eventlet
import pytest
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

from contract.auth import reporter_verified
from contract.errors import ApiError
from contract.rpc import ReplyRefused, TypedProxy, Unavailable, call_within

TRACKING_ID = "5108-K7M4X-9XQ2B"


class Intake:
    """A fake proxy to intake: ``verify_reporter`` answers, waits or fails as it is told."""

    def __init__(self, answer=True, wait: float = 0, error: BaseException | None = None):
        self.answer, self.wait, self.error, self.calls = answer, wait, error, []

    def verify_reporter(self, tracking_id, secret):
        self.calls.append((tracking_id, secret))
        if self.wait:
            eventlet.sleep(self.wait)
        if self.error is not None:
            raise self.error
        return self.answer


def unavailable(intake: Intake, timeout: float = 1) -> Unavailable:
    with pytest.raises(Unavailable) as raised:
        call_within(timeout, intake, "intake.verify_reporter", TRACKING_ID, "secret")
    assert (raised.value.service, raised.value.method) == ("intake", "verify_reporter")
    assert "intake.verify_reporter" in str(raised.value)
    return raised.value


def test_an_answer_in_time_is_the_answer_and_its_deadline_does_not_outlive_the_call():
    intake = Intake(answer=True)
    assert call_within(0.05, intake, "intake.verify_reporter", TRACKING_ID, secret="s") is True
    assert intake.calls == [(TRACKING_ID, "s")]
    eventlet.sleep(0.1)  # the deadline was cancelled: nothing fires after the call


def test_no_answer_in_time_is_unavailable_timeout():
    exc = unavailable(Intake(wait=5), timeout=0.05)
    assert exc.reason == Unavailable.TIMEOUT and "0.05 s" in str(exc)
    assert unavailable(Intake(error=RpcTimeout())).reason == Unavailable.TIMEOUT  # a standalone proxy's timeout


def test_no_such_service_is_unavailable_no_service():
    exc = unavailable(Intake(error=UnknownService("intake")))
    assert exc.reason == Unavailable.NO_SERVICE and "unknown to the broker" in str(exc)


@pytest.mark.parametrize("failure", [OperationalError("connection refused"), ConnectionResetError(104, "reset"),
                                     TimeoutError("timed out")])
def test_a_failed_broker_connection_is_unavailable_broker(failure):
    exc = unavailable(Intake(error=failure))
    assert exc.reason == Unavailable.BROKER and type(failure).__name__ in str(exc)


@pytest.mark.parametrize("remote", [RemoteError("KeyError", "'reporter'"),
                                    RemoteError("ValidationError", "{'secret': ['Longer than maximum length 200.']}")])
def test_the_other_services_error_passes_through_as_itself(remote):
    with pytest.raises(RemoteError) as raised:
        call_within(1, Intake(error=remote), "intake.verify_reporter", TRACKING_ID, "secret")
    assert raised.value is remote


def test_a_reply_the_contract_refuses_and_the_callers_own_bug_pass_through():
    with pytest.raises(ReplyRefused):
        call_within(1, TypedProxy(Intake(answer="yes"), "intake"), "intake.verify_reporter", TRACKING_ID, "secret")
    with pytest.raises(ZeroDivisionError):
        call_within(1, Intake(error=ZeroDivisionError()), "intake.verify_reporter", TRACKING_ID, "secret")


def test_an_enclosing_deadline_reaches_its_owner_not_the_call():
    outer = eventlet.Timeout(0.05)
    with pytest.raises(eventlet.Timeout) as raised:
        try:
            call_within(5, Intake(wait=1), "intake.verify_reporter", TRACKING_ID, "secret")
        finally:
            outer.cancel()
    assert raised.value is outer


def test_a_method_outside_the_rpc_surface_is_refused_before_anything_is_sent():
    intake = Intake()
    with pytest.raises(KeyError, match="intake.verify_reportr"):
        call_within(1, intake, "intake.verify_reportr", TRACKING_ID, "secret")
    assert intake.calls == []


# --- contract.auth.reporter_verified: its answers to each failure ------------------------------------

def verified(intake, secret: str = "ABCD-EFGH-JKMN") -> bool:
    return reporter_verified(TypedProxy(intake, "intake"), TRACKING_ID, secret, timeout=0.05)


@pytest.mark.parametrize("failure, reason", [(None, "timeout"), (UnknownService("intake"), "no_service"),
                                             (OperationalError("refused"), "broker")])
def test_reporter_verified_is_503_naming_the_reason_when_intake_does_not_answer(failure, reason, caplog):
    with pytest.raises(ApiError) as raised:
        verified(Intake(wait=5) if failure is None else Intake(error=failure))
    assert raised.value.status == 503 and raised.value.errors[0]["code"] == "unavailable"
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert f"intake.verify_reporter unavailable ({reason})" in caplog.text


@pytest.mark.parametrize("intake, named", [(Intake(error=RemoteError("KeyError", "'secret_hash'")),
                                             "RemoteError: KeyError 'secret_hash'"),
                                            (Intake(answer="yes"), "ReplyRefused: intake.verify_reporter")])
def test_reporter_verified_is_503_when_intake_fails_and_the_failure_is_logged_as_an_error(intake, named, caplog):
    with pytest.raises(ApiError) as raised:
        verified(intake)
    assert raised.value.status == 503
    assert [r.levelname for r in caplog.records] == ["ERROR"] and named in caplog.text


def test_reporter_verified_lets_the_callers_own_bug_through_and_a_secret_the_contract_cannot_carry_is_not_verified():
    with pytest.raises(ZeroDivisionError):  # a 500, logged and counted, not a 503 that hides it
        verified(Intake(error=ZeroDivisionError()))
    intake = Intake(answer=True)
    assert verified(intake, secret="x" * 201) is False and intake.calls == []  # nothing sent
    assert verified(intake) is True

"""Who a token is, asked of routing with a deadline (contract.auth.Auth through contract.rpc.call_within):
silent, absent or failing routing is a 503 to try again (and the proxy is rebuilt), never a wait
beyond AUTH_TIMEOUT nor a 500; an answer within it is the principal."""
import eventlet
import pytest
from eventlet.semaphore import Semaphore
from nameko.exceptions import RemoteError, UnknownService

from contract import auth as auth_module
from contract.errors import ApiError

PRINCIPAL = {"official_id": "lo-bll-pupr", "role": "liaison"}


class FakeRouting:
    def __init__(self, behaviour):
        self.behaviour, self.calls = behaviour, 0

    def authenticate(self, token):
        self.calls += 1
        return self.behaviour()


class Runner:
    stopped = False

    def stop(self):
        self.stopped = True


def auth_asking(routing) -> auth_module.Auth:
    auth = auth_module.Auth()
    auth.ttl = auth.session_ttl = 0
    auth._cache, auth._lock = {}, Semaphore()
    auth._runner, auth._proxy = Runner(), routing
    return auth


def slow():
    eventlet.sleep(1.0)
    return PRINCIPAL


def refused():
    raise UnknownService("routing")


def failing():
    raise RemoteError("KeyError", "a bug in routing")


def test_an_answer_within_the_deadline_is_the_principal(monkeypatch):
    monkeypatch.setattr(auth_module, "AUTH_TIMEOUT", 0.5)
    assert auth_asking(FakeRouting(lambda: PRINCIPAL)).lookup("t0ken") == PRINCIPAL


@pytest.mark.parametrize("behaviour", [slow, refused, failing], ids=["silent", "absent", "failing"])
def test_routing_silent_absent_or_failing_is_a_quick_503_and_the_proxy_is_rebuilt(monkeypatch, behaviour):
    monkeypatch.setattr(auth_module, "AUTH_TIMEOUT", 0.05)
    routing = FakeRouting(behaviour)
    auth = auth_asking(routing)
    runner = auth._runner
    started = eventlet.hubs.get_hub().clock()
    with pytest.raises(ApiError) as refusal:
        auth.lookup("t0ken")
    assert refusal.value.status == 503
    assert eventlet.hubs.get_hub().clock() - started < 0.5  # not the 1 s routing would take
    assert runner.stopped and auth._proxy is None  # the next call starts a fresh proxy
    assert routing.calls == 1

"""contract.rpc.Rpc: an RPC whose reply meets a dead broker does not kill the service (issue 22).

Under kill -9 of RabbitMQ, an ``intake.reporter_contact`` call in flight finished after the broker
had gone; nameko's reply publish raised out of the worker's ``handle_result`` and nameko killed
intake's container: the process exited, the front door answered 500, then nothing."""
import pytest
from kombu.exceptions import OperationalError
from nameko.rpc import Rpc as NamekoRpc
from nameko.rpc import RpcConsumer

from contract.rpc import Rpc


class Container:
    service_name = "probe"
    config: dict = {}


@pytest.fixture
def broker_gone(monkeypatch):
    def send_reply(self, message, result, exc_info):
        raise OperationalError("[Errno 111] ECONNREFUSED")
    monkeypatch.setattr(RpcConsumer, "handle_result", send_reply)


def entrypoint(cls):
    rpc = cls("answer")
    rpc.container = Container()
    return rpc


def test_a_reply_the_broker_cannot_take_is_given_up_without_raising(broker_gone):
    assert entrypoint(Rpc).handle_result(object(), None, {"ok": 1}, None) == ({"ok": 1}, None)


def test_nameko_s_own_rpc_raises_it_which_kills_the_container(broker_gone):
    with pytest.raises(OperationalError):
        entrypoint(NamekoRpc).handle_result(object(), None, {"ok": 1}, None)

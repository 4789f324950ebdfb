"""The RPC surface: every method a service answers over RPC, which services may call it (the table,
``contract.rpc_table``, re-exported here: ``METHODS``, ``callable_by``, ``targets_of``), and the
nameko entrypoint and proxies that go through its schemas.

``rpc``, the ``@rpc`` every service uses, is nameko's with one change: a reply that meets a dead
broker does not kill the service (:class:`Rpc`).

Every method with callers has the schemas of its arguments and its reply in
``contract.rpcschemas.SIGNATURES``, and both ends go through them here: the answering side with
``@rpc`` over ``@typed("<service>.<method>")``, the calling side with ``TypedRpcProxy("<service>")``
(a nameko ``RpcProxy``) or ``TypedProxy(proxy, "<service>")`` around any other proxy (the standalone
``ClusterRpcProxy``'s, a ``ServiceProxy``).

A call that must be answered within a deadline goes through ``call_within``: no answer in time, no
such service, or no broker becomes one ``Unavailable`` naming the service, the method and the
reason; the other service's own error passes through as itself, for the caller to decide on.
"""
from __future__ import annotations

import functools
import inspect
import logging

import eventlet
from amqp.exceptions import ConnectionError as AmqpConnectionError
from amqp.exceptions import RecoverableConnectionError
from kombu.exceptions import OperationalError
from marshmallow import ValidationError
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.rpc import Rpc as NamekoRpc
from nameko.rpc import RpcProxy

# the table of methods and callers, plain data (contract.brokeracl reads it without nameko)
from contract.rpc_table import AUTH_CLIENTS, METHODS, PERSONAL_DATA, callable_by, targets_of  # noqa: F401
from contract.rpcschemas import SIGNATURES
from contract.schema import Schema

log = logging.getLogger(__name__)


# --- the @rpc entrypoint every service uses ----------------------------------------------------------

BROKER_GONE = (OperationalError, RecoverableConnectionError, AmqpConnectionError, ConnectionError)


class Rpc(NamekoRpc):
    """nameko's ``@rpc`` whose reply may meet a dead broker without killing the service.

    nameko 2.14 sends the reply in the worker's ``handle_result``; when the broker has gone (kill -9,
    a node lost) the publish raises, the worker thread ends with the error and nameko kills the
    whole container: intake's process exited, its front door answered 500 then nothing, and no
    report was routed until it was started by hand (issue 22). Here the reply is given up and
    logged; the request, never acknowledged on the dead connection, is delivered again once the
    consumer has reconnected, and the caller's retry or timeout covers the reply it did not get."""

    def handle_result(self, message, worker_ctx, result, exc_info):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except BROKER_GONE as exc:
            log.warning("%s: the reply to %s could not be sent (broker gone: %s); the call will be "
                        "delivered again", self.container.service_name, self.method_name, exc)
            return result, exc_info


rpc = Rpc.decorator

# --- both ends of a call, through contract.rpcschemas ----------------------------------------------

class RpcRefused(Exception):
    """A call or a reply that breaks the contract: ``method`` and the problems, by field."""

    def __init__(self, method: str, problems: dict):
        self.method, self.problems = method, problems
        super().__init__(f"{method}: {self.what} refused: {_described(problems)}")

    what = "call"


class ArgumentsRefused(RpcRefused):
    """Raised at the calling side before anything is sent: the call is not what the contract takes.
    (The answering side refuses bad arguments with marshmallow's ``ValidationError``, as every API.)"""
    what = "arguments"


class ReplyRefused(RpcRefused):
    """Raised at the calling side: the reply is not what the contract promises."""
    what = "reply"


def _described(problems, prefix: str = "") -> str:
    if isinstance(problems, dict):
        return "; ".join(_described(value, f"{prefix}{key}." if key != "reply" or prefix else prefix)
                         for key, value in problems.items())
    if isinstance(problems, list) and all(isinstance(p, str) for p in problems):
        return f"{prefix.rstrip('.') or 'reply'}: {' '.join(problems)}"
    return f"{prefix.rstrip('.') or 'reply'}: {problems}"


def signature(method: str):
    """The contract's signature of ``method`` (KeyError naming it when the contract has none)."""
    try:
        return SIGNATURES[method]
    except KeyError:
        raise KeyError(f"{method} has no schemas in contract.rpcschemas.SIGNATURES") from None


@functools.cache
def _envelope(method: str) -> Schema:
    return Schema.from_dict({"reply": signature(method).reply_field()}, name=f"Reply[{method}]")()


def load_arguments(method: str, values: dict) -> dict:
    """The arguments of a call to ``method`` loaded by its schema (marshmallow's ``ValidationError``
    naming the field when one is bad: a caller gets a ``RemoteError`` of that name)."""
    return signature(method).arguments().load(values)


def dump_arguments(method: str, args: tuple, kwargs: dict) -> list:
    """A call's arguments as they travel: checked by the schema (``ArgumentsRefused`` before
    anything is sent), positional, every parameter in the order of the schema's fields."""
    schema = signature(method).arguments()
    names = list(schema.fields)
    if len(args) > len(names) or set(kwargs) & set(names[:len(args)]):
        raise ArgumentsRefused(method, {"_schema": [f"takes {', '.join(names)}"]})
    try:
        loaded = load_arguments(method, {**dict(zip(names, args)), **kwargs})
    except ValidationError as exc:
        raise ArgumentsRefused(method, exc.messages_dict) from None
    dumped = schema.dump(loaded)
    return [dumped[name] for name in names]


def dump_reply(method: str, reply) -> object:
    return _envelope(method).dump({"reply": reply})["reply"]


def load_reply(method: str, reply) -> object:
    """The reply as the contract promises it (unpromised fields dropped), or ``ReplyRefused``."""
    try:
        return _envelope(method).load({"reply": reply})["reply"]
    except ValidationError as exc:
        raise ReplyRefused(method, exc.messages_dict) from None


def typed(method: str):
    """The answering side of ``method``, under ``@rpc``: its arguments loaded by the contract's
    schema (``ValidationError`` naming the field when one is bad, as every API refuses input), its
    reply dumped by the reply schema.  nameko still checks the call against the method's own parameters."""
    signature(method)

    def decorate(fn):
        parameters = inspect.signature(fn)

        @functools.wraps(fn)
        def answer(self, *args, **kwargs):
            bound = parameters.bind(self, *args, **kwargs)
            bound.apply_defaults()
            values = dict(list(bound.arguments.items())[1:])
            return dump_reply(method, fn(self, **load_arguments(method, values)))

        answer.__signature__ = parameters  # nameko's IncorrectSignature check sees the real parameters
        answer.rpc_method = method
        return answer
    return decorate


class TypedMethod:
    """One method of a ``TypedProxy``: call it (``proxy.page_view(...)``) or ``call_async(...).result()``."""

    def __init__(self, method_proxy, method: str):
        self._proxy, self.method = method_proxy, method

    def __call__(self, *args, **kwargs):
        return load_reply(self.method, self._proxy(*dump_arguments(self.method, args, kwargs)))

    def call_async(self, *args, **kwargs):
        return TypedReply(self._proxy.call_async(*dump_arguments(self.method, args, kwargs)), self.method)


class TypedReply:
    def __init__(self, reply, method: str):
        self._reply, self.method = reply, method

    def result(self):
        return load_reply(self.method, self._reply.result())


class TypedProxy:
    """A service's RPC methods through the contract: ``TypedProxy(cluster.routing, "routing")``.
    Only methods with schemas can be called."""

    def __init__(self, proxy, service: str):
        self._proxy, self._service = proxy, service

    def __getattr__(self, name: str) -> TypedMethod:
        if name.startswith("_"):
            raise AttributeError(name)
        method = f"{self._service}.{name}"
        signature(method)
        return TypedMethod(getattr(self._proxy, name), method)


class TypedRpcProxy(RpcProxy):
    """nameko's ``RpcProxy`` whose calls go through the contract's schemas (``TypedProxy``)."""

    def get_dependency(self, worker_ctx):
        return TypedProxy(super().get_dependency(worker_ctx), self.target_service)


# --- a call with a deadline ---------------------------------------------------------------------------

class Unavailable(Exception):
    """Another service did not answer a call: ``service``, ``method`` and ``reason``, one of
    ``TIMEOUT`` (no answer within the deadline), ``NO_SERVICE`` (its RPC queue unknown to the broker:
    not running) or ``BROKER`` (the broker connection failed)."""

    TIMEOUT, NO_SERVICE, BROKER = "timeout", "no_service", "broker"

    def __init__(self, service: str, method: str, reason: str, detail: str):
        self.service, self.method, self.reason = service, method, reason
        super().__init__(f"{service}.{method} unavailable ({reason}): {detail}")

    @classmethod
    def broker(cls, service: str, method: str, exc: BaseException) -> "Unavailable":
        """The broker connection failed while calling (or getting ready to call) ``service.method``."""
        return cls(service, method, cls.BROKER, f"the broker connection failed ({type(exc).__name__}: {exc})")


BROKER_UNREACHABLE = BROKER_GONE + (TimeoutError,)  # TimeoutError: a socket to the broker timed out


def call_within(timeout: float, proxy, method: str, *args, **kwargs):
    """``proxy.<name>(*args, **kwargs)`` for ``method`` ("<service>.<name>", a method of ``METHODS``),
    answered within ``timeout`` seconds, or ``Unavailable`` naming the service, the method and why.

    Everything else passes through as itself, for the caller to decide what it becomes: the other
    service's error (nameko's ``RemoteError``: its bug, or its refusal of the arguments, a
    ``ValidationError``; ``MethodNotFound``), a call or reply the contract refuses (``ArgumentsRefused``,
    ``ReplyRefused``) and the caller's own bug. Only the deadline set here counts as "no answer in
    time": an enclosing ``eventlet.Timeout`` (a longer deadline of the caller's) still reaches its owner."""
    service, _, name = method.partition(".")
    if method not in METHODS:
        raise KeyError(f"{method} is not a method of contract.rpc.METHODS")
    deadline = eventlet.Timeout(timeout)
    try:
        return getattr(proxy, name)(*args, **kwargs)
    except eventlet.Timeout as exc:
        if exc is not deadline:
            raise
        raise Unavailable(service, name, Unavailable.TIMEOUT, f"no answer within {timeout:g} s") from None
    except RpcTimeout:  # a standalone proxy's own timeout
        raise Unavailable(service, name, Unavailable.TIMEOUT, "no answer within the proxy's timeout") from None
    except UnknownService:
        raise Unavailable(service, name, Unavailable.NO_SERVICE, "its RPC queue is unknown to the broker") from None
    except BROKER_UNREACHABLE as exc:
        raise Unavailable.broker(service, name, exc) from exc
    finally:
        deadline.cancel()

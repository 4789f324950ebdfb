"""contract.rpc.METHODS is the services' RPC surface as it is: every ``@rpc`` method of every
service is listed (so a new one is the operator's alone until someone names its callers), every
listed method exists, and the callers named are services; every method a service calls has the
schemas of its arguments and reply (``contract.rpcschemas``) and is answered through them."""
import importlib
import inspect

import pytest
from marshmallow import fields
from nameko.rpc import Rpc

from contract import auth, brokeracl, rpcschemas
from contract import rpc as rpc_surface


def rpc_methods(name: str) -> set[str]:
    module = importlib.import_module(f"{name}.service")
    cls = next(c for c in vars(module).values() if inspect.isclass(c) and getattr(c, "name", None) == name)
    return {f"{name}.{attr}" for klass in cls.__mro__ for attr, value in vars(klass).items()
            if any(isinstance(e, Rpc) for e in getattr(value, "nameko_entrypoints", ()))}


@pytest.mark.parametrize("name", brokeracl.SERVICES)
def test_every_rpc_method_is_in_the_surface_and_nothing_else(name):
    listed = {method for method in rpc_surface.METHODS if method.startswith(f"{name}.")}
    assert rpc_methods(name) == listed


def test_callers_are_services_and_credential_minting_has_none():
    for method, callers in rpc_surface.METHODS.items():
        assert set(callers) <= set(brokeracl.SERVICES), method
    for method in ("intake.issue_open311_key",):
        assert rpc_surface.METHODS[method] == ()
    assert rpc_surface.METHODS["intake.reporter_contact"] == ("notification",)


def test_officials_credentials_are_not_rpc_at_all():
    """Issue 20: ``routing.issue_token`` and ``issue_password_link`` answered any caller on the broker;
    only routing's admin HTTP API and the operator's CLI issue (or revoke) officials' credentials now."""
    minting = {"routing.issue_token", "routing.issue_password_link", "routing.revoke_tokens"}
    assert not minting & set(rpc_surface.METHODS)
    assert not minting & rpc_methods("routing")


# --- issue 24: the surface is typed in the contract (contract.rpcschemas) --------------------------

CALLED = sorted(method for method, callers in rpc_surface.METHODS.items() if callers)


def answering(method: str):
    service, name = method.split(".")
    module = importlib.import_module(f"{service}.service")
    cls = next(c for c in vars(module).values() if inspect.isclass(c) and getattr(c, "name", None) == service)
    return getattr(cls, name)


def test_every_method_a_service_calls_has_schemas_of_its_arguments_and_its_reply():
    assert CALLED and set(CALLED) == set(rpcschemas.SIGNATURES)  # and no schemas for a method nobody calls
    for method in CALLED:
        signature = rpcschemas.SIGNATURES[method]
        assert issubclass(signature.arguments, rpcschemas.Arguments), method
        reply = signature.reply_field()
        assert reply.required, method
        item = reply.inner if signature.many else reply
        assert isinstance(item, fields.Field), method
        if isinstance(item, fields.Nested):
            assert issubclass(item.nested, rpcschemas.Reply), method


@pytest.mark.parametrize("method", CALLED)
def test_every_method_a_service_calls_is_answered_through_its_schemas(method):
    """``@typed(method)`` under ``@rpc``, and the argument schema lists the method's parameters in
    their order (the calling side sends them positionally)."""
    answer = answering(method)
    assert getattr(answer, "rpc_method", None) == method
    parameters = list(inspect.signature(answer).parameters)[1:]
    assert list(rpcschemas.SIGNATURES[method].arguments().fields) == parameters
    with pytest.raises(TypeError):  # nameko's IncorrectSignature check still sees the real parameters
        inspect.getcallargs(answer, None, *range(len(parameters) + 1))


def test_the_services_reply_schemas_are_the_contracts():
    """The reply schemas once defined in the services (intake's PageViewOut, ContactOut,
    TrackingOut; notification's NotificationOut; contract.auth's Principal) are the contract's, not copies."""
    from intake import schemas as intake_schemas
    from notification import schemas as notification_schemas
    assert intake_schemas.TrackingOut is rpcschemas.TrackingOut
    assert notification_schemas.NotificationOut is rpcschemas.NotificationOut
    assert not hasattr(intake_schemas, "PageViewOut") and not hasattr(intake_schemas, "ContactOut")
    assert not hasattr(auth, "Principal")

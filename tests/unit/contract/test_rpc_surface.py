"""contract.rpc.METHODS is the services' RPC surface as it is: every ``@rpc`` method of every
service is listed (so a new one is the operator's alone until someone names its callers), every
listed method exists, and the callers named are services."""
import importlib
import inspect

import pytest
from nameko.rpc import Rpc

from contract import brokeracl
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

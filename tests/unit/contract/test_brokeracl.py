"""The broker rules of each service's user match what the service does (contract.brokeracl).

What the services consume and call is read from the services themselves (their event tables,
nameko event handlers, RPC proxies), so a new subscription or call cannot silently be refused by
the broker; the rules themselves are checked the way RabbitMQ applies them (anchored regexes).
"""
import importlib
import inspect
import re
from pathlib import Path

import pytest
from nameko.events import EventHandler
from nameko.rpc import RpcProxy

from contract import brokeracl, events
from contract import rpc as rpc_surface

SERVICES = Path(__file__).resolve().parents[3] / "services"


def service_class(name):
    module = importlib.import_module(f"{name}.service")
    return module, next(c for c in vars(module).values() if inspect.isclass(c) and getattr(c, "name", None) == name)


def members(cls, kind):
    return [v for klass in cls.__mro__ for v in vars(klass).values() if isinstance(v, kind)]


def handler_sources(cls):
    return {entry.source_service for klass in cls.__mro__ for value in vars(klass).values()
            for entry in getattr(value, "nameko_entrypoints", ()) if isinstance(entry, EventHandler)}


@pytest.mark.parametrize("name", brokeracl.SERVICES)
def test_each_user_may_bind_to_what_its_service_consumes(name):
    module, cls = service_class(name)
    consumed = {events.source_of(event_type) for event_type in module.EVENTS} | handler_sources(cls)
    assert consumed == set(brokeracl.CONSUMES[name])
    topics = {rule["exchange"]: rule for rule in brokeracl.topic_permissions(name)}
    for event_type in module.EVENTS:
        assert re.fullmatch(topics[f"{events.source_of(event_type)}.events"]["read"], event_type)


def called_services(name) -> set[str]:
    """Services called through RpcProxy dependencies, or ServiceProxy objects built in providers."""
    _, cls = service_class(name)
    called = {proxy.target_service for proxy in members(cls, RpcProxy)}
    for path in (SERVICES / name / name).glob("*.py"):
        called |= set(re.findall(r'(?:RpcProxy|ServiceProxy)\((?:[a-z_.]+, )?"([a-z]+)"', path.read_text()))
    return called


def test_the_calls_found_include_the_known_ones():
    assert called_services("notification") == {"intake", "routing"}  # reporter_contact, recipients
    assert called_services("followup") == {"intake"}  # names: its copy from registry_updated, not RPC


@pytest.mark.parametrize("name", brokeracl.SERVICES)
def test_each_user_may_call_exactly_the_methods_listed_for_it(name):
    rpc = next(rule for rule in brokeracl.topic_permissions(name) if rule["exchange"] == "nameko-rpc")
    assert called_services(name) <= rpc_surface.targets_of(name) | {name}
    for method, callers in rpc_surface.METHODS.items():
        assert bool(re.search(rpc["write"], method)) == (name in callers), method
        assert not re.search(rpc["write"], method + "x") and not re.search(rpc["write"], "x" + method)
    assert re.search(rpc["write"], "routing.authenticate")  # contract.auth
    assert not re.search(rpc["write"], "routing.issue_token")  # minted credentials: no longer RPC at all
    assert re.search(rpc["write"], "0f8fad5b-d9cb-469f-a165-70867728950e")  # a reply


@pytest.mark.parametrize("name", brokeracl.SERVICES)
def test_a_user_publishes_only_its_own_event_types_and_binds_no_wildcard(name):
    topics = {rule["exchange"]: rule for rule in brokeracl.topic_permissions(name)}
    for event_type, (source, _) in events.CATALOGUE.items():
        for exchange in topics:
            allowed = bool(re.search(topics[exchange]["write"], event_type))
            assert allowed == (exchange == f"{name}.events" == f"{source}.events")
    rpc = topics["nameko-rpc"]
    for key in ("#", "*.*", "*.reporter_contact", "intake.#", "other.*"):
        if key != f"{name}.*":
            assert not re.search(rpc["read"], key)
    assert re.search(rpc["read"], f"{name}.*")
    # no other service's exchange may be written; its own may
    write = brokeracl.vhost_permissions(name)["write"]
    for other in brokeracl.SERVICES:
        assert bool(re.search(write, f"{other}.events")) == (other == name)
        assert not re.search(brokeracl.vhost_permissions(name)["configure"], f"rpc-{other}") or other == name


def test_every_shared_exchange_is_declared_by_the_operator():
    assert {name for name, _ in brokeracl.SHARED_EXCHANGES} >= {f"{s}.events" for s in brokeracl.SERVICES} | {
        "nameko-rpc", "lapor.deadletter"}


def test_no_service_may_read_or_bind_another_services_event_queue():
    """RabbitMQ names resources without their kind: a queue named like an exchange a consumer must
    read (``<source>.events``) would be readable by every consumer of that source (issue 13)."""
    from contract.batch import dead_letter_queue_name, queue_name
    for service in brokeracl.SERVICES:
        permissions = brokeracl.vhost_permissions(service)
        assert re.fullmatch(permissions["read"], queue_name(service))
        for other in brokeracl.SERVICES:
            if other != service:
                for name in (queue_name(other), dead_letter_queue_name(other)):
                    assert not re.fullmatch(permissions["read"], name), (service, name)
                    assert not re.fullmatch(permissions["configure"], name), (service, name)

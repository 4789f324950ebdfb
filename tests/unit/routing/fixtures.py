"""Routing's handlers on the fake unit of work, with the demo registry imported."""
from __future__ import annotations

import copy
import functools
from datetime import datetime, timezone

import yaml

from contract import events, sealing
from routing import handlers
from tests.conftest import ROOT
from tests.fakes.routing import routing_units
from tests.fakes.uow import snapshot
from tests.unit.routing.factories import received_event

DEMO_REGISTRY = ROOT / "deploy" / "demo" / "region.yml"
NATIONAL = {"official_id": "nas-admin-1", "role": "national_admin", "hub": "ID", "agency_code": None,
            "unit_code": None}
BULELENG = {"official_id": "adm-buleleng", "role": "agency_admin", "hub": "ID", "agency_code": "PEMKAB-BULELENG",
            "unit_code": None}
LIAISON = {"official_id": "lo-bll-pupr", "role": "liaison", "hub": "ID", "agency_code": "PEMKAB-BULELENG",
           "unit_code": "BLL-PUPR"}


class Clock:
    def __init__(self, now: datetime | None = None):
        self.now = now or datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now


HUB_KEY = sealing.new_key_pair()[1]


@functools.lru_cache(maxsize=1)
def _demo_registry_file(mtime_ns: int) -> dict:
    with open(DEMO_REGISTRY, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def demo_registry() -> dict:
    """The demo registry, its hubs given a public key as in a network (a hub without one cannot
    receive reports, so no form offers it). A copy of the file parsed once (hundreds of tests
    import it)."""
    registry = copy.deepcopy(_demo_registry_file(DEMO_REGISTRY.stat().st_mtime_ns))
    registry["hubs"] = [{**h, "public_key": h.get("public_key") or HUB_KEY} for h in registry.get("hubs") or []]
    return registry


_IMPORTED: dict = {}  # the demo registry file's version -> the default units' state once it is imported


def demo_units(**settings):
    """Routing's fake units with the demo registry imported (its event left out of ``outbox``).
    Without settings, a copy of units that imported it once (the same documents; hundreds of
    tests start from them)."""
    units = routing_units(clock=Clock(), **settings)
    version = DEMO_REGISTRY.stat().st_mtime_ns
    if settings or version not in _IMPORTED:
        units.run(handlers.import_registry, demo_registry(), {})
        units.outbox.clear()
        if not settings:
            _IMPORTED[version] = snapshot({"state": units.state, "shared": units.shared, "applied": units.applied})
        return units
    imported = snapshot(_IMPORTED[version])
    units.state, units.shared, units.applied, units.commits = imported["state"], imported["shared"], imported["applied"], 1
    return units


def received(**overrides) -> dict:
    """A ``report_received`` event as the batch consumer hands it to a handler (loaded)."""
    return events.load(events.REPORT_RECEIVED, received_event(**overrides))


def routed(units, **overrides) -> str:
    """Route a received report; its tracking id."""
    event = received(**overrides)
    units.run(handlers.route_report, events.REPORT_RECEIVED, event)
    return event["tracking_id"]

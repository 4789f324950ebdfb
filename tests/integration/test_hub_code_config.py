"""A district hub with a numeric code: every service's config.yml, loaded as `nameko run` does
with LAPOR_HUB_CODE=5108, gives the hub code as a string, and submissions succeed (issue 14:
they were all 500 because the YAML made the code an int)."""
import requests

from contract import events
from contract.config import load_config
from intake.service import IntakeService
from routing.service import RoutingService
from tests.conftest import ROOT
from tests.factories import make_report
from tests.integration.conftest import handled, track


def test_a_district_hub_with_a_numeric_code_accepts_and_routes_reports(start_services, service_config, monkeypatch,
                                                                      rpc, demo_registry):
    monkeypatch.setenv("LAPOR_HUB_CODE", "5108")
    configs = {}
    for name in ("intake", "routing"):
        loaded = load_config(str(ROOT / "services" / name / "config.yml"))
        assert loaded["HUB_CODE"] == "5108"
        configs[name] = {**loaded, **{k: v for k, v in service_config.items() if k != "HUB_CODE"},
                         "HUB_CODE": loaded["HUB_CODE"], "RATE_LIMIT_EXEMPT": ""}
        configs[name].pop("MONGODB_DATABASE", None)
        configs[name].pop("LOGGING", None)
    urls = start_services(IntakeService, config=configs["intake"])
    start_services(RoutingService, config=configs["routing"])
    registry = {**demo_registry, "hubs": [{"code": "ID", "name": "Nasional", "tier": "national"},
                                          {"code": "51", "name": "Bali", "tier": "province", "parent": "ID"},
                                          {"code": "5108", "name": "Buleleng", "tier": "district", "parent": "51"}]}
    registry["regions"] = [{**r, "hub": "5108" if r["code"] == "5108" else "ID"} for r in registry["regions"]]
    registry["agencies"] = [{**a, "hub": "5108" if a["code"] == "PEMKAB-BULELENG" else "ID"}
                            for a in registry["agencies"]]
    registry["officials"] = [{**o, "hub": "5108"} if o.get("agency_code") == "PEMKAB-BULELENG" else o
                             for o in registry["officials"]]
    rpc.routing.import_registry(registry)
    # intake -> routing -> intake: the test's only report's disposition
    with handled(start_services.containers["intake"], event=events.REPORT_DISPOSITIONED,
                 timeout=60):
        response = requests.post(f"{urls['intake']}/reports", json=make_report(region_code="5108"), timeout=10)
    assert response.status_code == 201, response.text
    tracking_id = response.json()["tracking_id"]
    assert tracking_id.startswith("5108-")
    view = track(urls["intake"], tracking_id)
    assert view["assignment"]
    assert view["assignment"]["agency_code"] == "PEMKAB-BULELENG"

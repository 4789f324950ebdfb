"""A registry import in routing reaches intake's copy through `registry_updated`: a new category
and a new region (with its SMS keyword) are accepted without restarting intake; an older update
never overwrites a newer copy; a restarted intake keeps routing's copy over its bootstrap file."""
from datetime import datetime, timedelta, timezone

import pytest
import requests
from nameko.exceptions import RemoteError

from contract import events
from intake.cli import CliStore
from intake.service import IntakeService
from routing.service import RoutingService
from tests.factories import make_report
from tests.integration.conftest import handled
from tests.integration.test_intake_submission import GATEWAYS, REGISTRY, SMS_GATEWAY

ADDITION = {
    "regions": [{"code": "5171", "name": "Kota Denpasar", "level": "district", "parent": "51",
                 "timezone": "Asia/Makassar", "hub": "ID", "keywords": ["denpasar"]}],
    "categories": [{"code": "banjir", "name_id": "Banjir dan genangan", "name_en": "Floods"}],
}


def copy_of(mongo_client, service_config) -> dict:
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"]
    return db.registry.find_one({"_id": "current"}) or {}


def codes(copy: dict, kind: str) -> set:
    return {item["code"] for item in copy.get(kind) or []}


def test_an_import_in_routing_reaches_intake_without_a_restart(start_services, service_config, rpc, mongo_client,
                                                             demo_registry):
    config = {**service_config, "REGISTRY_FILE": REGISTRY, "RATE_LIMIT_EXEMPT": "", "CHANNEL_GATEWAYS": GATEWAYS}
    urls = start_services(RoutingService, IntakeService, config=config)
    before = copy_of(mongo_client, service_config)
    assert "banjir" not in codes(before, "categories") and before["source"] == "file"
    draft = requests.post(f"{urls['intake']}/reports", json=make_report(category_code="banjir"), timeout=10)
    assert draft.status_code == 202, draft.text  # unknown category: kept as a draft

    with handled(start_services.containers["intake"], event=events.REGISTRY_UPDATED, count=2):
        rpc.routing.import_registry(demo_registry)
        rpc.routing.import_registry(ADDITION)  # both imports' registry_updated handled by intake
    assert "banjir" in codes(copy_of(mongo_client, service_config), "categories")
    copy = copy_of(mongo_client, service_config)
    assert copy["source"] == "routing" and "5171" in codes(copy, "regions") and "5108" in codes(copy, "regions")

    accepted = requests.post(f"{urls['intake']}/reports", json=make_report(category_code="banjir", region_code="5171"),
                             timeout=10)
    assert accepted.status_code == 201, accepted.text
    sms = requests.post(f"{urls['intake']}/channels/sms", headers=SMS_GATEWAY, json={
        "message_id": "gw-reg-1", "from": "+6281234000099", "text": "denpasar Banjir setinggi lutut di Jl. Gatot Subroto"},
        timeout=10)
    assert sms.status_code == 201 and sms.json()["region_code"] == "5171", sms.text

    # an update older than the copy (events of two imports crossing) changes nothing
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"]
    older = copy["updated_at"] - timedelta(seconds=1)
    assert CliStore(mongo_client, db).units().run(
        lambda uow: uow.registry.apply_update([], [], "old", older)) is False
    assert "banjir" in codes(copy_of(mongo_client, service_config), "categories")

    # a restarted intake keeps routing's copy rather than its bootstrap file
    start_services.kill_all()
    start_services(IntakeService, config=config)
    assert "banjir" in codes(copy_of(mongo_client, service_config), "categories")


def test_the_import_and_its_event_are_one_transaction(start_services, service_config, rpc, mongo_client,
                                                      demo_registry):
    start_services(RoutingService)
    rpc.routing.import_registry(demo_registry)
    routing_db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}routing"]
    staged = list(routing_db.outbox.find({"event_type": "registry_updated"}))
    assert len(staged) == 1
    payload = staged[0]["payload"]
    assert {r["code"] for r in payload["regions"]} == {r["code"] for r in demo_registry["regions"]}
    buleleng = next(r for r in payload["regions"] if r["code"] == "5108")
    assert buleleng["keywords"] == ["buleleng", "singaraja"]
    assert datetime.fromisoformat(payload["updated_at"]) <= datetime.now(timezone.utc)
    bad = {"categories": [{"code": "Bad Code!"}]}
    with pytest.raises(RemoteError):
        rpc.routing.import_registry(bad)
    assert routing_db.outbox.count_documents({"event_type": "registry_updated"}) == 1  # nothing half-applied

"""The names pages show travel with ``registry_updated`` (issue 21/24), on the real broker and store:
followup starts with no names, routing imports the demo registry, followup's copy (its own store,
its unit of work) takes the event's names, and an official's case page then names the agency and
unit instead of showing "PEMKAB-BULELENG · BLL-PUPR"; an older update changes nothing."""
from datetime import timedelta

import requests
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from contract import events
from contract.registry_names import NamesCopy
from contract.unitstore import UnitOfWorkStore
from routing.service import RoutingService
from tests.credentials import issue_token
from tests.integration import test_followup_support as support
from tests.integration.test_followup_support import dispositioned, followup_db, handled

start_followup = support.start_followup  # the fixture

UNIT = "Dinas Pekerjaan Umum dan Penataan Ruang Kab. Buleleng"


def names_arrived(worker_ctx, result, exc_info) -> bool:
    """A batch of followup's consumer applied a ``registry_updated`` with names."""
    return exc_info is None and any(body.get("names") and outcome == "applied"
                                    for (_, body, *_), (outcome, _) in zip(worker_ctx.args[0], result))


def test_routings_import_gives_followup_the_names_its_officials_pages_show(
        start_followup, start_services, service_config, rpc, mongo_client, demo_registry):
    base, = start_followup()
    followup = start_followup.containers[0]
    start_services(RoutingService)
    db = followup_db(mongo_client, service_config)
    assert db.registry_names.find_one({"_id": "current"}) is None  # no file configured: no names yet

    with entrypoint_waiter(followup, "consume_events", callback=names_arrived, timeout=30):
        rpc.routing.import_registry(demo_registry)
    copy = db.registry_names.find_one({"_id": "current"})
    assert copy["source"] == "routing"
    assert [(e["id"], e["en"]) for e in copy["names"]["units"] if e["code"] == "BLL-PUPR"] == [(UNIT, UNIT)]
    assert "@" not in repr(copy)  # names only, no contact

    payload = dispositioned()
    with handled(followup, payload):
        event_dispatcher(service_config)("routing", events.REPORT_DISPOSITIONED, payload)
    token = issue_token(service_config, "adm-buleleng")
    page = requests.get(f"{base}/petugas/kasus/{payload['tracking_id']}", timeout=10,
                        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
    assert page.status_code == 200, page.text[:300]
    assert f"Pemerintah Kabupaten Buleleng · {UNIT}" in page.text
    assert "PEMKAB-BULELENG" not in page.text and "BLL-PUPR" not in page.text

    # an update older than the copy (two imports' events crossing) leaves it as it is
    store = UnitOfWorkStore(mongo_client, db)
    store.repositories = {"names": NamesCopy}
    older = copy["updated_at"] - timedelta(seconds=1)
    assert store.units().run(lambda uow: uow.names.apply_update({}, "old", older)) is False
    assert db.registry_names.find_one({"_id": "current"})["version"] == copy["version"]

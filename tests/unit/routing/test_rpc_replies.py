"""No RPC reply to a service carries an official's e-mail address or phone (issue 21/24): the names
pages show travel with ``registry_updated``, which carries none either; ``routing.export_registry``
(the whole registry, officials' e-mails included, once called by followup and assessment for names)
is no RPC any more. The one exception is named in ``contract.rpc.PERSONAL_DATA``: notification asks
``routing.recipients`` for the addresses it sends to."""
from datetime import datetime, timedelta, timezone

from contract import events
from contract import rpc as rpc_surface
from routing import domain, handlers
from routing.domain import signin
from tests.unit.routing.fixtures import demo_registry, demo_units, routed

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)


def officials_contacts() -> set[str]:
    """Every e-mail address and phone number of the demo registry's officials (admins and liaisons)."""
    found = set()

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("email", "phone") and item:
                    found.add(str(item))
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
    walk(demo_registry())
    return found


def replies_to_services(units) -> dict[str, object]:
    """What routing answers every service allowed to call it (contract.rpc), for a routed report."""
    tracking_id = routed(units, category_code="infrastruktur", region_code="5108")
    official = units.read(lambda uow: uow.registry.official("lo-bll-pupr"))
    token = {"expires_at": NOW + timedelta(days=1), "revoked_at": None}
    session = {"expires_at": NOW + timedelta(hours=8), "last_seen": NOW}
    return {
        "routing.authenticate": domain.principal_for(token, official, NOW),  # what OfficialAuth.lookup answers
        "routing.authenticate_session": signin.session_principal(session, official, NOW, 30),
        "routing.disposition": units.read(handlers.disposition, tracking_id),
        "routing.recipients": units.read(handlers.recipients, "unit:BLL-PUPR"),
    }


def test_every_routing_method_a_service_may_call_is_checked_here():
    called = {m for m, callers in rpc_surface.METHODS.items() if m.startswith("routing.") and callers}
    assert called == set(replies_to_services(demo_units()))
    assert "routing.export_registry" not in rpc_surface.METHODS


def test_no_reply_to_a_service_carries_an_officials_email_but_the_recipients_notification_sends_to():
    contacts = officials_contacts()
    assert "pupr@bulelengkab.example.go.id" in contacts  # the demo's liaison of BLL-PUPR
    for method, reply in replies_to_services(demo_units()).items():
        assert reply, method  # each reply was made (a None would prove nothing)
        leaked = {c for c in contacts if c in repr(reply)}
        if method in rpc_surface.PERSONAL_DATA:
            assert rpc_surface.METHODS[method] == rpc_surface.PERSONAL_DATA[method] == ("notification",)
            assert leaked  # what notification sends to
        else:
            assert not leaked, (method, leaked)


def test_intakes_replies_to_services_hold_no_officials_data():
    """intake keeps no officials (its registry copy: regions, categories, hubs, names): its RPC
    methods callable by a service answer reporters' matters only; notification alone is given a
    reporter's contact (PERSONAL_DATA would name a new one)."""
    called = {m for m, callers in rpc_surface.METHODS.items() if m.startswith("intake.") and callers}
    assert called == {"intake.verify_reporter", "intake.page_view", "intake.tracking_page_elsewhere",
                      "intake.reporter_contact", "intake.reporter_contacts", "intake.completion_link",
                      "intake.relay_reporter_action"}
    assert {rpc_surface.METHODS[m] for m in ("intake.reporter_contact", "intake.reporter_contacts",
                                             "intake.completion_link")} == {("notification",)}


def test_registry_updated_carries_every_name_and_no_officials_contact():
    units = demo_units()
    units.outbox.clear()
    units.run(handlers.import_registry, demo_registry(), {})
    payload, = units.payloads(events.REGISTRY_UPDATED)
    names = payload["names"]
    assert {"code": "BLL-PUPR", "id": "Dinas Pekerjaan Umum dan Penataan Ruang Kab. Buleleng",
            "en": "Dinas Pekerjaan Umum dan Penataan Ruang Kab. Buleleng"} in names["units"]
    assert {"code": "kesehatan", "id": "Kesehatan", "en": "Health"} in names["categories"]
    assert {e["code"] for e in names["agencies"]} >= {"PEMKAB-BULELENG", "PLN"}
    assert {e["code"] for e in names["regions"]} >= {"5108", "9471"} and names["hubs"]
    leaked = {c for c in officials_contacts() if c in repr(payload)}
    assert not leaked and "official_id" not in repr(payload)

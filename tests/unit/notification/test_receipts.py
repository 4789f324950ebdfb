"""Issue 18, one receipt: the reporter of a forwarded report gets the receipt once, from the hub
where it was filed; that hub tells where the report went; the hub it was forwarded to sends no
second receipt (its later steps come from it, the hub that acts)."""
from contract import events
from notification import handlers
from tests.fakes.events import make_event
from tests.fakes.notification import notification_units


def reporter_messages(units) -> list[tuple[str, str, dict]]:
    found = units.state.get("FakeNotifications", {}).get("notifications", {}).values()
    return sorted((n["template"], n["recipient_ref"], n["context"]) for n in found if n["recipient_kind"] == "reporter")


def received(**overrides) -> dict:
    fields = {"reporter_ref": "rpt_a", **overrides}
    return events.load(events.REPORT_RECEIVED, make_event(events.REPORT_RECEIVED, **fields))


def test_the_hub_where_the_report_was_filed_sends_the_receipt_and_tells_where_it_went():
    origin = notification_units()
    report = received()
    origin.run(handlers.plan_notifications, events.REPORT_RECEIVED, report)
    forwarded = events.load(events.REPORT_FORWARDED, events.build(
        events.REPORT_FORWARDED, hub="ID", tracking_id=report["tracking_id"], origin_hub="ID", target_hub="5108",
        reason="region 5108 belongs to hub 5108", report=report)["payload"])
    origin.run(handlers.plan_notifications, events.REPORT_FORWARDED, forwarded)
    (receipt, ref, _), (notice, notice_ref, context) = reporter_messages(origin)
    assert (receipt, notice, ref, notice_ref) == ("receipt", "report_forwarded", "rpt_a", "rpt_a")
    assert context["target_hub"] == "5108"


def test_the_hub_a_report_was_forwarded_to_sends_no_second_receipt():
    owner = notification_units()
    owner.run(handlers.plan_notifications, events.REPORT_RECEIVED,
              received(target_hub="5108", reporter_ref="rpt_owner", forwarded_from="51",
                       hub_path=["ID", "51", "5108"]))
    assert reporter_messages(owner) == []
    assert owner.published == []

"""Personal data across hubs (intake.privacy) on the fake unit of work: at the origin hub a forwarded
report's copy is erased the retention after the owner hub closed it (not after it was forwarded),
and an erasure clears the sealed identity of a transfer already sent."""
from datetime import datetime, timedelta, timezone

from contract import events
from intake import handlers, schemas
from intake.dependencies import Settings
from tests.factories import make_report
from tests.fakes.hub_wire import arrive, signed_directory
from tests.fakes.intake import intake_units
from tests.unit.intake.test_handlers_hubs import filed_at, forward, sent
from tests.unit.intake.test_transfer import DIRECTORY, KEYS

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


class Clock:
    now = T0

    def __call__(self):
        return self.now


def hub(code: str, clock: Clock):
    units = intake_units(Settings(hub_code=code, personal_data_retention_days=30), clock=clock, registry={
        "hubs": signed_directory(DIRECTORY), "categories": [{"code": "infrastruktur"}],
        "regions": [{"code": "7317", "name": "Kabupaten Luwu", "level": "district"}]})
    units.shared["private_key"] = KEYS[code][0]
    return units


def test_the_origins_copy_is_erased_the_retention_after_the_owner_closed_it():
    clock = Clock()
    origin, owner = hub("5108", clock), hub("7317", clock)
    report = filed_at(origin)
    forward(origin, report["_id"])
    (message, _), = sent(origin)
    owner.run(handlers.receive_hub_message, arrive({**message, "hops": ["5108", "51", "ID", "73"]}))
    clock.now = T0 + timedelta(days=20)  # the owner closes it twenty days after the forward
    owner.run(handlers.tell_origin, events.CASE_CLOSED, {"tracking_id": report["_id"], "agency_code": "PEMKAB-LUWU"})
    closed = sent(owner)[-1][0]
    assert origin.run(handlers.receive_hub_message, arrive({**closed, "hops": ["7317", "73", "ID", "51"]})) == "applied"
    copy = origin.state["FakeReports"]["reports"][report["_id"]]
    assert copy["status"] == "closed" and copy["reporter"]["name"] == "Made Wirawan"

    clock.now = T0 + timedelta(days=31)  # past the retention from the forward, not from the closure
    assert origin.run(handlers.erase_expired) == 0
    clock.now = T0 + timedelta(days=50, seconds=1)
    assert origin.run(handlers.erase_expired) == 1 and copy["reporter"] == {}


def test_an_erasure_clears_the_sealed_identity_of_a_transfer_already_sent():
    origin = hub("5108", Clock())
    form = schemas.load_report(make_report(region_code="7317"))
    receipt = origin.run(handlers.accept_report, {"form": form})["receipt"]
    forward(origin, receipt["tracking_id"])
    (message, _), = sent(origin)
    assert message["transfer"]["sealed_reporter"]
    origin.run(handlers.erase_on_request, {"tracking_id": receipt["tracking_id"], "secret": receipt["secret"]})
    (message, _), = sent(origin)
    assert message["transfer"]["sealed_reporter"] is None and message["transfer"]["report"]["title"]

"""Shared helpers for follow-up's integration tests (no tests here): a driven clock, contract events."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from nameko.testing.utils import get_extension

from contract import events
from contract.ids import new_tracking_id
from followup.dependencies import CaseStore
from followup.service import FollowupService
from tests.conftest import free_port
from tests.waiting import handled  # noqa: F401  (the follow-up tests import it from here)


class DrivenClock:
    """The follow-up store's clock (``uow.now()``), set by the test (no sleeping for deadlines)."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def start_followup(container_factory, service_config):
    """Start FollowupService containers sharing one driven clock; returns their urls (``start.clock``:
    the clock, ``start.containers``: the containers started)."""
    clock = DrivenClock(utc(2026, 11, 16, 3))  # Monday 10:00 WIB
    containers = []

    def start(count=1, config=None):
        urls = []
        for _ in range(count):
            cfg = dict(config or service_config)
            port = free_port()
            cfg["WEB_SERVER_ADDRESS"] = f"127.0.0.1:{port}"
            cfg["AUTH_CACHE_SECONDS"] = 0
            container = container_factory(FollowupService, cfg)
            get_extension(container, CaseStore).now = clock
            container.start()
            containers.append(container)
            urls.append(f"http://127.0.0.1:{port}")
        return urls
    start.clock = clock
    start.containers = containers
    return start


def followup_db(mongo_client, service_config):
    return mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}followup"]


def dispositioned(tracking_id: str | None = None, **overrides) -> dict:
    fields = dict(tracking_id=tracking_id or new_tracking_id("ID"), origin_hub="ID", actor="system",
                  region_code="5108", category_code="infrastruktur", classification="complaint", channel="web",
                  reporter_ref="rpt_test", is_anonymous=False, queue="unit", agency_code="PEMKAB-BULELENG",
                  unit_code="BLL-PUPR", rule_id="bll-infra", automatic=True, region_timezone="Asia/Makassar")
    fields.update(overrides)
    return events.build(events.REPORT_DISPOSITIONED, hub="ID", **fields)["payload"]


def received(tracking_id: str, confidential: bool = False) -> dict:
    return events.build(events.REPORT_RECEIVED, hub="ID", tracking_id=tracking_id, origin_hub="ID", target_hub="ID",
                        channel="web", classification="complaint", category_code="infrastruktur",
                        region_code="5108", title="Jalan rusak", description="Jalan berlubang di depan sekolah.",
                        is_anonymous=False, is_confidential=confidential, reporter_ref="rpt_test",
                        received_at=utc(2026, 11, 16, 2))["payload"]


def official_action(event_type: str, tracking_id: str, **overrides) -> dict:
    fields = dict(tracking_id=tracking_id, origin_hub="ID", actor="adm-buleleng", actor_role="agency_admin",
                  agency_code="PEMKAB-BULELENG", unit_code=None, queue="agency")
    fields.update(overrides)
    return events.build(event_type, hub="ID", **fields)["payload"]


def emitted(db, tracking_id: str) -> list[str]:
    """Event types follow-up staged for a report, in order (staged at the driven clock: units at the same
    time are ordered by when their events were built)."""
    return [e["event_type"] for e in db.outbox.find({"payload.tracking_id": tracking_id}).sort(
        [("created_at", 1), ("payload.occurred_at", 1)])]

"""Fixtures for notification's integration tests: the real SMTP server, recording gateways,
a contact directory stand-in, and contract-valid event factories.

Import the fixtures you use into the test module (``from tests.integration.conftest_notification
import smtp, ...``).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from nameko.rpc import rpc

from contract import events
from contract.ids import new_event_id, new_tracking_id
from tests.fakes.recorder import Recorder
from tests.fakes.smtp import SmtpSink

TRACKING_BASE_URL = "https://lapor.example.go.id/lacak/"


@pytest.fixture
def smtp(tmp_path):
    sink = SmtpSink(tmp_path, reject=("rejected@example.com",))
    yield sink
    sink.stop()


@pytest.fixture
def sms_gateway():
    recorder = Recorder()
    yield recorder
    recorder.stop()


@pytest.fixture
def social_hook():
    recorder = Recorder()
    yield recorder
    recorder.stop()


@pytest.fixture
def webhook_receiver():
    recorder = Recorder()
    yield recorder
    recorder.stop()


@pytest.fixture
def notification_config(service_config, smtp, sms_gateway, social_hook):
    """Service config with the local SMTP server and gateways, fast polling and short backoff."""
    return {**service_config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port,
            "SMTP_SENDER": "LAPOR! <no-reply@lapor.example.go.id>",
            "SMS_GATEWAY_URL": f"{sms_gateway.url}/messages", "SMS_GATEWAY_USERNAME": "lapor",
            "SMS_GATEWAY_PASSWORD": "test-only", "SOCIAL_REPLY_URL": f"{social_hook.url}/replies",
            "TRACKING_BASE_URL": TRACKING_BASE_URL, "DELIVERY_POLL_SECONDS": 0.05,
            "DELIVERY_BACKOFF_SECONDS": 0.05, "DELIVERY_MAX_ATTEMPTS": 3, "DIRECTORY_TIMEOUT_SECONDS": 3,
            "AUTH_CACHE_SECONDS": 0, "HTTP_TIMEOUT_SECONDS": 3}


def contact_directory(contacts: dict[str, dict]) -> type:
    """A stand-in for intake's ``reporter_contact`` RPC (intake is outside notification's context)."""

    class ContactDirectory:
        name = "intake"

        @rpc
        def reporter_contact(self, reporter_ref):
            contact = contacts.get(reporter_ref)
            return None if contact is None else {"reporter_ref": reporter_ref, "name": None, "phone": None,
                                                 "email": None, "language": "id", **contact}

    return ContactDirectory


def _now() -> datetime:
    return datetime.now(timezone.utc)


def make_event(event_type: str, tracking_id: str | None = None, **overrides) -> dict:
    """A contract-valid payload of ``event_type`` (validated by contract.events.build)."""
    tracking_id = tracking_id or new_tracking_id("ID")
    soon = _now() + timedelta(days=2)
    case = {"case_id": "case_" + new_event_id()[:10], "agency_code": "PEMKAB-BULELENG", "unit_code": "BLL-PUPR",
            "stage": "follow_up"}
    message = {**case, "message_id": "msg_" + new_event_id()[:10], "author_role": "liaison",
               "excerpt": "Jalan sudah ditambal pada 20 November."}
    action = {"actor": "adm-buleleng", "actor_role": "agency_admin", "agency_code": "PEMKAB-BULELENG"}
    defaults = {
        events.REPORT_RECEIVED: {"target_hub": "ID", "channel": "web", "classification": "complaint",
                                 "category_code": "infrastruktur", "region_code": "5108", "title": "Jalan rusak",
                                 "description": "Jalan berlubang di depan sekolah.", "is_anonymous": False,
                                 "is_confidential": False, "received_at": _now()},
        events.REPORT_DRAFT_SAVED: {"channel": "web", "missing": ["description", "incident_date"],
                                    "saved_at": _now()},
        events.REPORT_DISPOSITIONED: {"actor": "system", "region_code": "5108", "category_code": "infrastruktur",
                                      "classification": "complaint", "channel": "web", "is_anonymous": False,
                                      "queue": "unit", "agency_code": "PEMKAB-BULELENG", "unit_code": "BLL-PUPR",
                                      "automatic": True},
        events.REPORT_RETURNED: {**action, "actor": "lo-bll-pupr", "actor_role": "liaison", "queue": "agency",
                                 "from_unit_code": "BLL-PUPR", "reason": "Bukan wewenang Dinas PUPR."},
        events.REPORT_POSTPONED: {**action, "queue": "agency", "until": soon, "reason": "Menunggu survei lapangan."},
        events.REPORT_ARCHIVED: {**action, "queue": "archive", "reason": "Laporan ganda."},
        events.CASE_OPENED: {**case, "sla_working_days": 5, "due_at": soon, "opened_at": _now()},
        events.CASE_DUE_SOON: {**case, "due_at": soon, "indicator": "yellow"},
        events.CASE_OVERDUE: {**case, "due_at": _now(), "indicator": "red"},
        events.CASE_ESCALATED: {**case, "level": 2, "escalated_to_role": "supervisor",
                                "escalated_to": "supervisor:PEMKAB-BULELENG", "due_at": soon},
        events.CASE_UPDATED: message,
        events.CASE_ANSWERED: message,
        events.REPORTER_REPLIED: {**message, "author_role": "reporter", "excerpt": "Belum diperbaiki di sisi timur."},
        events.CASE_REOPENED: {**case, "reason": "Pelapor menyatakan belum selesai."},
        events.CASE_CLOSED: {**case, "closed_by": "reporter", "on_time": True, "opened_at": _now(),
                             "rating": 5},
    }[event_type]
    fields = {"tracking_id": tracking_id, "origin_hub": "ID", **defaults, **overrides}
    return events.build(event_type, hub="ID", **fields)["payload"]


def bearer(rpc_proxy, official_id: str) -> dict:
    return {"Authorization": f"Bearer {rpc_proxy.routing.issue_token(official_id)['token']}"}


def metric(text: str, name: str, **labels) -> float:
    """The value of one sample in a Prometheus text exposition (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0

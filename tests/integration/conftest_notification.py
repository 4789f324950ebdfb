"""Fixtures for notification's integration tests: the real SMTP server, recording gateways,
a contact directory stand-in, and contract-valid event factories.

Import the fixtures you use into the test module (``from tests.integration.conftest_notification
import smtp, ...``).
"""
from __future__ import annotations

import pytest
from nameko.rpc import rpc

from tests.fakes.events import make_event  # noqa: F401  (re-exported for the tests)
from tests.fakes.recorder import Recorder
from tests.fakes.smtp import SmtpSink

__all__ = ["smtp", "sms_gateway", "social_hook", "webhook_receiver", "notification_config", "contact_directory",
           "make_event", "bearer", "metric", "TRACKING_BASE_URL"]
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
def notification_config(service_config, start_services, smtp, sms_gateway, social_hook):
    """Service config with the local SMTP server and gateways, fast polling and short backoff.

    Kills the test's containers at teardown, before service_config drops the test databases:
    SecantusDB 0.7.0b3 deadlocks when a database is dropped under an open transaction.
    """
    yield {**service_config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port,
           "SMTP_SENDER": "LAPOR! <no-reply@lapor.example.go.id>",
           "SMS_GATEWAY_URL": f"{sms_gateway.url}/messages", "SMS_GATEWAY_USERNAME": "lapor",
           "SMS_GATEWAY_PASSWORD": "test-only", "SOCIAL_REPLY_URL": f"{social_hook.url}/replies",
           "TRACKING_BASE_URL": TRACKING_BASE_URL, "DELIVERY_POLL_SECONDS": 0.05,
           "DELIVERY_BACKOFF_SECONDS": 0.05, "DELIVERY_MAX_ATTEMPTS": 3, "DIRECTORY_TIMEOUT_SECONDS": 3,
           "DIRECTORY_BATCH_TIMEOUT_SECONDS": 3,
           "AUTH_CACHE_SECONDS": 0, "HTTP_TIMEOUT_SECONDS": 3}
    start_services.kill_all()


def contact_directory(contacts: dict[str, dict], calls: list | None = None) -> type:
    """A stand-in for intake's ``reporter_contact`` / ``reporter_contacts`` RPCs (intake is outside
    notification's context); each call is appended to ``calls`` as (method, argument)."""
    calls = [] if calls is None else calls

    def contact_of(reporter_ref):
        contact = contacts.get(reporter_ref)
        return None if contact is None else {"reporter_ref": reporter_ref, "name": None, "phone": None,
                                             "email": None, "language": "id", **contact}

    class ContactDirectory:
        name = "intake"

        @rpc
        def reporter_contact(self, reporter_ref):
            calls.append(("reporter_contact", reporter_ref))
            return contact_of(reporter_ref)

        @rpc
        def reporter_contacts(self, reporter_refs):
            calls.append(("reporter_contacts", list(reporter_refs)))
            return [c for c in map(contact_of, reporter_refs) if c is not None]

    return ContactDirectory


def bearer(config: dict, official_id: str) -> dict:
    """Authorization headers for an official, issued as the operator's CLI does (tests.credentials)."""
    from tests import credentials
    return credentials.bearer(config, official_id)


def metric(text: str, name: str, **labels) -> float:
    """The value of one sample in a Prometheus text exposition (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0

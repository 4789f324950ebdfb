"""Fixtures for notification's integration tests: the real SMTP server, recording gateways,
a contact directory stand-in, and contract-valid event factories.

Import the fixtures you use into the test module (``from tests.integration.conftest_notification
import smtp, ...``).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from nameko.rpc import rpc

from tests.conftest import ROOT

from tests.fakes.events import make_event  # noqa: F401  (re-exported for the tests)
from tests.fakes.recorder import Recorder
from tests.fakes.smtp import SmtpSink

__all__ = ["smtp", "slow_smtp", "notification_process", "sms_gateway", "social_hook", "webhook_receiver",
           "notification_config", "contact_directory", "make_event", "bearer", "metric", "TRACKING_BASE_URL",
           "OFFICIALS_BASE_URL"]
TRACKING_BASE_URL = "https://lapor.example.go.id/lacak/"
OFFICIALS_BASE_URL = "https://lapor.example.go.id/petugas/laporan/"  # beside it: an official's messages


@pytest.fixture
def smtp(tmp_path):
    sink = SmtpSink(tmp_path, reject=("rejected@example.com",))
    yield sink
    sink.stop()


@pytest.fixture
def slow_smtp(tmp_path):
    """A relay that takes 0.5 s to accept each message (a batch is still being sent when it is killed)."""
    sink = SmtpSink(tmp_path, delay=0.5)
    yield sink
    sink.stop()


class NotificationProcess:
    """The notification service as a real process (``nameko run``, as deploy/local/services.sh starts
    it), so that a test can kill -9 it and start it again."""

    def __init__(self, config: dict, folder: Path):
        self.config_path = Path(folder) / "notification.yml"
        self.config_path.write_text(yaml.safe_dump({**config, "LOGGING": {
            "version": 1, "handlers": {"console": {"class": "logging.StreamHandler"}},
            "loggers": {"nameko.rpc": {"level": "INFO"}}, "root": {"level": "INFO", "handlers": ["console"]}}}))
        self.log_path = Path(folder) / "notification.log"
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        env = {**os.environ, "PYTHONWARNINGS": "ignore",
               "PYTHONPATH": f"{ROOT / 'services' / 'contract'}:{ROOT / 'services' / 'notification'}"}
        with open(self.log_path, "a") as log:
            process = subprocess.Popen([str(Path(sys.executable).parent / "nameko"), "run", "--config",
                                        str(self.config_path), "notification.service:NotificationService"],
                                       cwd=str(ROOT), env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """kill -9: no worker finishes, no connection is closed, nothing more is recorded."""
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop_all(self) -> None:
        """Stop what still runs as services.sh does (SIGTERM: nameko finishes its workers), killing
        only what does not stop: a transaction left open by a killed process stalls the local
        store's next database drop (README, Known issues)."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def notification_process(tmp_path):
    """Start notification as its own process with ``notification_process.start(config)``; every
    process started is killed at teardown."""
    started: list[NotificationProcess] = []

    def start(config: dict) -> tuple[NotificationProcess, subprocess.Popen]:
        service = NotificationProcess(config, tmp_path)
        started.append(service)
        return service, service.start()

    yield start
    for service in started:
        service.stop_all()


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

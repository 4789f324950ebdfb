"""No broker password reaches a log from a failover URI list (issue 22's cluster run found nameko's
reconnect message masking only the first of three)."""
from unittest import mock

from nameko import messaging

from contract.metrics import Metrics
from contract.redact import sanitize_urls


def test_every_uri_of_a_failover_list_is_masked_once_a_service_starts(monkeypatch):
    monkeypatch.setattr(messaging, "sanitize_url", messaging.sanitize_url)  # put back after the test
    uris = "amqp://lapor-intake:s3cret1@127.0.0.1:5682/;amqp://lapor-intake:s3cret2@127.0.0.1:5683/"
    metrics = Metrics()
    metrics.container = mock.Mock(service_name="intake")
    metrics.setup()  # every service has this dependency: its start installs the masking
    masked = messaging.sanitize_url(uris)
    assert "s3cret" not in masked and masked.count("lapor-intake:") == 2 and "5683" in masked
    assert sanitize_urls("amqp://127.0.0.1:5682/") == "amqp://127.0.0.1:5682/"

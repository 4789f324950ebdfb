"""The latency histogram says what kind of entrypoint it measured (http, rpc: requests a caller
waits on; timer, message: background work), so that LaporSlowEntrypoint reads requests only
(its promtool test in deploy/prometheus/tests/alerts_test.yml)."""
from types import SimpleNamespace

import pytest
from nameko.rpc import Rpc
from nameko.timer import Timer
from prometheus_client import REGISTRY

from contract import metrics
from contract.batch import EventBatches
from contract.http import ApiEntrypoint
from contract.web import PageEntrypoint
from contract.timers import ConfiguredTimer


@pytest.mark.parametrize("entrypoint, kind", [
    (ApiEntrypoint("GET", "/x"), "http"), (PageEntrypoint("GET", "/lacak"), "http"), (Rpc(), "rpc"),
    (Timer(interval=60), "timer"), (ConfiguredTimer("DIGEST_INTERVAL", 60), "timer"), (EventBatches({}), "message"),
])
def test_each_entrypoint_has_its_kind(entrypoint, kind):
    assert metrics.entrypoint_kind(entrypoint) == kind


class Worker:
    def __init__(self, entrypoint):
        self.entrypoint = entrypoint


def test_a_worker_s_latency_is_labelled_with_its_kind():
    provider = metrics.Metrics()
    provider.container = SimpleNamespace(service_name="kindtest")
    provider.setup()
    for name, entrypoint in (("send_digests", Timer(interval=60)), ("submit", ApiEntrypoint("POST", "/r"))):
        entrypoint.method_name = name
        worker = Worker(entrypoint)
        provider.worker_setup(worker)
        provider.worker_result(worker, result=None)
    count = "lapor_entrypoint_duration_seconds_count"
    assert REGISTRY.get_sample_value(count, {"service": "kindtest", "entrypoint": "send_digests", "kind": "timer"}) == 1
    assert REGISTRY.get_sample_value(count, {"service": "kindtest", "entrypoint": "submit", "kind": "http"}) == 1

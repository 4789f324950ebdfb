"""Fixtures that run the real services in containers against the real broker and store."""

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from assessment.service import AssessmentService
from followup.service import FollowupService
from intake.service import IntakeService
from notification.service import NotificationService
from routing.service import RoutingService
from tests.conftest import ROOT, free_port
from tests.waiting import handled, wait_for  # noqa: F401  (re-exported for the integration tests)

ALL_SERVICES = (IntakeService, RoutingService, FollowupService, NotificationService, AssessmentService)
DEMO_REGISTRY = ROOT / "deploy" / "demo" / "region.yml"


@pytest.fixture
def start_services(container_factory, service_config):
    """Start service classes, each in its own container with its own HTTP port.

    Returns {service name: base URL of its HTTP entrypoints}; ``start_services.containers`` holds
    {service name: its container} (the last one started), for ``tests.waiting.handled``.
    """
    containers = []

    def start(*classes, config=None):
        urls = {}
        for cls in classes:
            cfg = dict(config or service_config)
            port = free_port()
            cfg["WEB_SERVER_ADDRESS"] = f"127.0.0.1:{port}"
            container = container_factory(cls, cfg)
            container.start()
            containers.append(container)
            start.containers[cls.name] = container
            urls[cls.name] = f"http://127.0.0.1:{port}"
        return urls
    start.containers = {}

    def kill_all():
        for container in containers:
            container.kill()

    start.kill_all = kill_all
    return start


@pytest.fixture
def start_probe(container_factory, service_config):
    """Start a probe service class (a test's own) with its own HTTP port; its base URL."""
    def start(cls, **settings):
        port = free_port()
        container = container_factory(cls, {**service_config, **settings, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"})
        container.start()
        return f"http://127.0.0.1:{port}"
    return start


@pytest.fixture
def rpc(service_config):
    with ClusterRpcProxy(service_config, timeout=10) as proxy:
        yield proxy


@pytest.fixture
def demo_registry():
    import yaml
    with open(DEMO_REGISTRY) as handle:  # libyaml's parser: the pure-Python one takes ~0.1 CPU-s a test
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def metric(base: str, sample: str) -> float:
    """The value of one sample line of a service's /metrics (0 when absent): counters are per process."""
    for line in requests.get(f"{base}/metrics", timeout=5).text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def proxy_to_store(servers, delay: float = 0.0):
    """A TCP proxy in front of the store (``delay``: each request reaches it that much later)."""
    from urllib.parse import urlsplit

    from tests.fakes.tcp_proxy import TcpProxy
    address = urlsplit(servers["mongodb_uri"])
    return TcpProxy(address.hostname, address.port, delay=delay)


def through(proxy, mongodb_uri: str) -> str:
    """``mongodb_uri`` with its host and port replaced by ``proxy``'s."""
    import re
    return re.sub(r"//[^/]+/", f"//127.0.0.1:{proxy.port}/", mongodb_uri, count=1)


@pytest.fixture
def store_proxy(servers):
    """A TCP proxy in front of the store, to cut it away from a service (outage tests)."""
    proxy = proxy_to_store(servers)
    yield proxy
    proxy.stop()


def track(base_url, tracking_id):
    response = requests.get(f"{base_url}/reports/{tracking_id}", timeout=5)
    return response.json() if response.status_code == 200 else None


def submit_and_follow(intake_url: str, timeout: float, intake=None) -> dict:
    """POST a demo report and wait until it is in follow-up with its three notifications queued;
    its tracking view. With ``intake``'s container (in this process), the wait is on its event
    consumer having handled the case's opening and the three notifications' steps (the test's only
    report), else a poll of the view."""
    from contract import events
    from tests.factories import make_report

    def post() -> str:
        response = requests.post(f"{intake_url}/reports", json=make_report(), timeout=5)
        assert response.status_code == 201
        return response.json()["tracking_id"]

    def complete(tracking_id):
        view = track(intake_url, tracking_id)
        steps = [h["step"] for h in view["history"]]
        return view if steps.count("notification_queued") == 3 and "case_opened" in steps else None
    if intake is None:
        tracking_id = post()
        return wait_for(lambda: complete(tracking_id), timeout=timeout)
    with handled(intake, where=lambda t, _: t in (events.CASE_OPENED, events.NOTIFICATION_QUEUED), count=4,
                 timeout=timeout):
        tracking_id = post()
    view = complete(tracking_id)
    assert view, track(intake_url, tracking_id)
    return view


def settled(health: dict, events: int) -> bool:
    """Assessment has applied ``events`` events and folded all their moves into the KPI cells."""
    return health["events_processed"] == events and health["kpi_journal_pending"] == 0

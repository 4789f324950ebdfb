"""/health names a background part that stopped making progress (issue 22): a loop whose pass
hangs makes /health a 503 that names it, and lapor_component_stuck 1, instead of "ok"."""
import eventlet
import requests
from nameko.extensions import DependencyProvider

from contract import loop as loop_module
from contract.http import HealthAndMetrics
from contract.loop import WakeableLoop


HANG = {"now": False}


class Hanging(DependencyProvider):
    """A background loop whose passes never end once the test says so (a stand-in for a wedged relay)."""

    def setup(self):
        self.loop = WakeableLoop(f"{self.container.service_name}.sweeper", self.step, 0.05)

    def step(self) -> bool:
        if HANG["now"]:
            eventlet.sleep(3600)
        return False

    def start(self):
        self.loop.start(self.container)

    def stop(self):
        self.loop.stop()

    kill = stop


class StuckProbe(HealthAndMetrics):
    name = "stuckprobe"
    hanging = Hanging()

    def health(self):
        return {"service": self.name, "status": "ok"}


def test_health_names_a_loop_that_stopped_making_progress(start_probe, monkeypatch):
    monkeypatch.setattr(loop_module, "STUCK_AFTER_SECONDS", 0.5)
    base = start_probe(StuckProbe)
    first = requests.get(f"{base}/health", timeout=5)
    assert first.status_code == 200 and first.json()["status"] == "ok"
    HANG["now"] = True
    eventlet.sleep(1.5)
    stuck = requests.get(f"{base}/health", timeout=5)
    assert stuck.status_code == 503 and stuck.json() == {"service": "stuckprobe", "status": "stuck", "stuck": ["sweeper"]}
    metrics = requests.get(f"{base}/metrics", timeout=5).text
    assert 'lapor_component_stuck{component="sweeper",service="stuckprobe"} 1.0' in metrics
    HANG["now"] = False

"""The broker's permissions are applied by a script (deploy/local/rabbitmq.sh, cluster.sh: ``python -m
contract.brokeracl apply``) at every broker start: it reads the RPC table without importing nameko or
eventlet (half a CPU-second a start)."""
import json
import subprocess
import sys

from tests.conftest import ROOT


def test_brokeracl_imports_neither_nameko_nor_eventlet():
    code = ("import json, sys; import contract.brokeracl; "
            "print(json.dumps(sorted(m for m in ('nameko', 'eventlet', 'kombu') if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(ROOT / "services" / "contract"), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []

"""deploy/hubs/hubs.sh knows every hub started from this checkout (issue 19): each start records its
run folder in a registry of started hubs (.run/hubs-started), and stop-all / status-all (make stop,
make status) go through every folder in it, whatever hubs file or offset it was started with."""
import os
import subprocess

from tests.conftest import ROOT

HUBS = ROOT / "deploy" / "hubs" / "hubs.sh"


def run(action: str, registry, *extra) -> subprocess.CompletedProcess:
    env = {**os.environ, "LAPOR_HUBS_REGISTRY": str(registry), "PYTHONWARNINGS": "ignore"}
    env.pop("LAPOR_HUBS_DIR", None)
    return subprocess.run([str(HUBS), action, *extra], env=env, capture_output=True, text=True, timeout=120)


def test_stop_all_goes_through_every_started_run_folder_and_forgets_it(tmp_path):
    registry = tmp_path / "hubs-started"
    three, five = tmp_path / "three", tmp_path / "five"
    registry.write_text(f"{ROOT / 'deploy/hubs/hubs.yml'} {three}\n{ROOT / 'deploy/hubs/network.yml'} {five}\n")
    stopped = run("stop-all", registry)
    assert stopped.returncode == 0, stopped.stderr
    assert f"hubs of hubs.yml in {three}" in stopped.stdout and f"hubs of network.yml in {five}" in stopped.stdout
    assert registry.read_text().strip() == ""
    assert "no hubs started" in run("status-all", registry).stdout

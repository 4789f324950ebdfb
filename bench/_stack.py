"""Start and stop a dedicated stack for a benchmark, through the project's own scripts."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / "deploy" / "local"


def bench_env(name: str, offset: int) -> dict:
    """Environment for deploy/local scripts: a run folder and ports of the benchmark's own."""
    return {**os.environ, "PYTHONWARNINGS": "ignore", "LAPOR_RUN_DIR": str(ROOT / ".run" / f"bench-{name}"),
            "LAPOR_AMQP_PORT": str(5682 + offset), "LAPOR_RABBIT_DIST_PORT": str(25682 + offset),
            "LAPOR_EPMD_PORT": str(4379 + offset), "LAPOR_RABBIT_MGMT_PORT": str(15800 + offset),
            "LAPOR_RABBIT_PROM_PORT": str(15900 + offset), "LAPOR_RABBIT_NODE": f"laporbench{offset}@localhost",
            "LAPOR_STORE_PORT": str(27027 + offset), "LAPOR_HTTP_PORT": str(8780 + offset * 10)}


def script(name: str, action: str, env: dict, *args: str) -> None:
    subprocess.run([str(LOCAL / name), action, *args], env=env, check=True, timeout=180,
                   stdout=subprocess.DEVNULL)


def urls(env: dict) -> dict:
    return {"amqp": f"amqp://guest:guest@127.0.0.1:{env['LAPOR_AMQP_PORT']}/",
            "mongodb": f"mongodb://127.0.0.1:{env['LAPOR_STORE_PORT']}/?retryWrites=false&directConnection=true",
            "http": f"http://127.0.0.1:{env['LAPOR_HTTP_PORT']}"}

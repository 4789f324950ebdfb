"""Start and stop a dedicated stack for a benchmark, through the project's own scripts."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from contract import localstack

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / "deploy" / "local"


def bench_env(name: str, offset: int) -> dict:
    """Environment for deploy/local scripts: a run folder and ports of the benchmark's own."""
    return {**os.environ, "PYTHONWARNINGS": "ignore", "LAPOR_RUN_DIR": str(ROOT / ".run" / f"bench-{name}"),
            **localstack.ports(offset), "LAPOR_RABBIT_NODE": f"laporbench{offset}@localhost"}


def script(name: str, action: str, env: dict, *args: str) -> None:
    subprocess.run([str(LOCAL / name), action, *args], env=env, check=True, timeout=180,
                   stdout=subprocess.DEVNULL)


def urls(env: dict) -> dict:
    """The stack's URIs: ``stores`` maps each service to its store (LAPOR_STORE_PER_SERVICE, default 1:
    each its own; ``mongodb`` is the one shared store of LAPOR_STORE_PER_SERVICE=0)."""
    uris = localstack.env_uris(env)
    return {"amqp": uris["amqp"], "api": uris["api"], "mongodb": uris["mongodb"], "stores": uris["stores"],
            "http": f"http://127.0.0.1:{env['LAPOR_HTTP_PORT']}"}

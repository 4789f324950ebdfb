"""Start and stop a dedicated stack for a benchmark, through the project's own scripts."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from contract import localstack

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / "deploy" / "local"


def bench_env(name: str, offset: int, one_store: bool = False) -> dict:
    """Environment for deploy/local scripts: a run folder and ports of the benchmark's own; a store per
    service (LAPOR_STORE_PER_SERVICE=1, as `make run`) unless ``one_store`` (the benches of one store)."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "LAPOR_RUN_DIR": str(ROOT / ".run" / f"bench-{name}"),
           **localstack.ports(offset), "LAPOR_RABBIT_NODE": f"laporbench{offset}@localhost"}
    env["LAPOR_STORE_PER_SERVICE"] = "0" if one_store else env.get("LAPOR_STORE_PER_SERVICE", "1")
    return env


def script(name: str, action: str, env: dict, *args: str) -> None:
    subprocess.run([str(LOCAL / name), action, *args], env=env, check=True, timeout=180,
                   stdout=subprocess.DEVNULL)


def urls(env: dict) -> dict:
    """The stack's URIs: ``stores`` maps each service to its store (LAPOR_STORE_PER_SERVICE, default 1:
    each its own; ``mongodb`` is the one shared store of LAPOR_STORE_PER_SERVICE=0)."""
    uris = localstack.env_uris(env)
    return {"amqp": uris["amqp"], "api": uris["api"], "mongodb": uris["mongodb"], "stores": uris["stores"],
            "http": f"http://127.0.0.1:{env['LAPOR_HTTP_PORT']}"}

"""The hub networks that tests start on their own (deploy/hubs/hubs.sh with a hubs file), beside the
session's three hubs: the five-hub network and the erasure test's three hubs.

Both take the port offsets ``LAPOR_TEST_NETWORK_OFFSET`` (default LAPOR_TEST_HUBS_OFFSET + 1) and up,
one network at a time (module-scoped fixtures), each hub with one store (tests.conftest.ONE_STORE).
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import ONE_STORE, PATIENT_FRONT_DOOR, ROOT

BASE = int(os.environ.get("LAPOR_TEST_NETWORK_OFFSET", int(os.environ.get("LAPOR_TEST_HUBS_OFFSET", "100")) + 1))


def hubs_env(run_dir: Path) -> dict:
    return {**os.environ, "PYTHONWARNINGS": "ignore", "LAPOR_HUBS_DIR": str(run_dir),
            "LAPOR_HUBS_OFFSET": str(BASE), **PATIENT_FRONT_DOOR, **ONE_STORE}


def hubs_sh(run_dir: Path, *args: str, check: bool = True, timeout: float = 400) -> str:
    return subprocess.run([str(ROOT / "deploy" / "hubs" / "hubs.sh"), *args], env=hubs_env(run_dir), check=check,
                          timeout=timeout, stdout=subprocess.PIPE, text=True).stdout


def hub_env(run_dir: Path, code: str, hubs_file: Path) -> dict:
    """The environment hubs.sh gives hub ``code`` of ``hubs_file`` (its ports, run folder, URIs)."""
    return dict(pair.split("=", 1) for line in hubs_sh(run_dir, "env", code, str(hubs_file)).splitlines()
                for pair in line.removeprefix("export ").split())

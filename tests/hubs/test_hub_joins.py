"""A hub joins with one command (issue 19; docs/hubs.md "A hub joins"), on the three real stacks of
deploy/hubs (national ID -> Bali 51 -> Buleleng 5108) and a fourth started by the command.

The province's operator invites a code (``routing hub-invite``); ``deploy/hubs/join.py`` (``make
hub-join``) at the new hub makes its keys and run folder, joins with the token, starts its stack
and its side of the link; the province's link keeper puts the link user and shovel by itself. A
report filed at the national hub for the new hub's region reaches it within a minute, the link is
up in the province's metrics, and nothing was edited at any other hub.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import pytest
import requests
import yaml

from tests.conftest import ONE_STORE, ROOT
from tests.factories import make_report
from tests.hubs.conftest import OFFSET
from tests.hubs.test_registry_travels import link_metric, stored_hubs
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e
JOIN_OFFSET = int(os.environ.get("LAPOR_TEST_JOIN_OFFSET", str(OFFSET + 54)))  # 237 + 54 = 291
HUBS = ROOT / "deploy" / "hubs"


@pytest.fixture
def joined_hub(hub_stacks, tmp_path):
    """A district invited at 51 and joined with the command; stopped (and forgotten) afterwards."""
    province = hub_stacks["51"]
    code = next(c for c in ("5171", "5172", "5173", "5174") if c not in stored_hubs(province))
    invited = subprocess.run([str(ROOT / "deploy" / "local" / "cli.sh"), "routing", "hub-invite", code],
                             env=province.env, check=True, timeout=120, capture_output=True, text=True).stdout
    root = ROOT / ".run" / f"test-join-{JOIN_OFFSET}-{uuid.uuid4().hex[:6]}"
    started = tmp_path / "hubs-started"
    env = {**os.environ, **ONE_STORE, "PYTHONWARNINGS": "ignore", "LAPOR_HUBS_REGISTRY": str(started),
           "PYTHONPATH": str(ROOT / "services" / "contract")}
    command = [str(ROOT / ".venv" / "bin" / "python"), str(HUBS / "join.py"), "--code", code, "--parent", province.url,
               "--token", invited.split()[0], "--offset", str(JOIN_OFFSET), "--name", "Simpul Kota Denpasar",
               "--region", f"{code}=Kota Denpasar", "--dir", str(root)]
    try:
        answer = subprocess.run(command, env=env, timeout=400, capture_output=True, text=True)
        assert answer.returncode == 0, answer.stdout[-2000:] + answer.stderr[-2000:]
        yield {"code": code, "root": root, "started": started, "output": answer.stdout + answer.stderr}
    finally:
        if (root / "hubs.yml").exists():
            subprocess.run([str(HUBS / "hubs.sh"), "stop", str(root / "hubs.yml")], timeout=300,
                           env={**env, "LAPOR_HUBS_DIR": str(root)}, stdout=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)


def hub_url(root, code) -> str:
    out = subprocess.run([str(HUBS / "hubs.sh"), "env", code, str(root / "hubs.yml")], check=True, text=True,
                         capture_output=True, env={**os.environ, "LAPOR_HUBS_DIR": str(root)}).stdout
    port = next(pair.split("=", 1)[1] for line in out.splitlines() for pair in line.split()
                if pair.startswith("LAPOR_HTTP_PORT="))
    return f"http://127.0.0.1:{port}"


def test_a_district_joins_with_one_command_and_receives_a_report_filed_nationally_within_a_minute(
        hub_stacks, joined_hub):
    hubs, code, root = hub_stacks, joined_hub["code"], joined_hub["root"]
    national, province = hubs["ID"], hubs["51"]
    links = yaml.safe_load((root / code / "secrets" / "links.yml").read_text())
    secret = links["neighbours"]["51"]["amqp_uri"].split(":")[2].split("@")[0]
    assert len(secret) >= 24 and secret not in joined_hub["output"]  # no link password printed
    assert set(links["inbound"]["51"]) == {"user", "password_hash"}  # the parent's login here: only its hash
    # the new hub is recorded where make stop / make status look
    assert f"{root / 'hubs.yml'} {root}" in joined_hub["started"].read_text().splitlines()
    # the province's link keeper put the link user and shovel: the link is up, watched at once
    wait_for(lambda: link_metric(province, code) == 1, timeout=60, interval=0.5)
    assert f"hub-{code}" in province.management().link_users()
    # the new hub's region travelled to the national hub (its own part), and a report filed there
    # for it reaches the new hub within a minute, with no edit at any other hub
    regions = lambda: {r["code"]: r["hub"] for r in requests.get(  # noqa: E731
        f"{national.url}/registry/regions", timeout=10).json()["items"] if "hub" in r}
    wait_for(lambda: regions().get(code) == code, timeout=60, interval=0.5)
    response = requests.post(f"{national.url}/reports", json=make_report(
        region_code=code, location_text="Jl. Gajah Mada, Denpasar"), timeout=10)
    assert response.status_code == 201, response.text
    tracking_id = response.json()["tracking_id"]
    new = hub_url(root, code)
    wait_for(lambda: requests.get(f"{new}/reports/{tracking_id}", timeout=10).status_code == 200,
             timeout=60, interval=0.5)
    delivery = lambda: requests.get(f"{national.url}/reports/{tracking_id}", timeout=10).json().get("delivery") or {}  # noqa: E731
    wait_for(lambda: delivery().get("state") == "accepted", timeout=60, interval=0.5)
    assert delivery()["hub"] == code
    directory = yaml.safe_load((root / "directory.yml").read_text())["hubs"]
    assert next(h for h in directory if h["code"] == code)["parent"] == "51"

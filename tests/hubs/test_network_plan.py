"""What deploy/hubs/prepare.py writes for the five hubs of deploy/hubs/network.yml (make run-network),
without starting anything: a valid tree whose longest path is 5108 -> 51 -> ID -> 73 -> 7317, the
owners the file names in every hub's registry, each link's password in both of its files, and five
hubs on ports no two of them share."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from contract import hublink, hubnet, localstack
from tests.conftest import ROOT

HUBS = ROOT / "deploy" / "hubs"
NETWORK = HUBS / "network.yml"
CODES = ["ID", "51", "5108", "73", "7317"]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("network")
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), str(HUBS / "prepare.py"), str(root), "200", str(NETWORK)],
                   env={**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": str(ROOT / "services" / "contract")},
                   check=True, stdout=subprocess.DEVNULL)
    return root


def test_the_directory_is_a_tree_whose_longest_path_crosses_four_links(prepared):
    directory = hublink.load_directory((prepared / "directory.yml").read_text())
    assert [hub["code"] for hub in directory] == CODES
    assert not hubnet.validate_directory(directory)
    assert all(hub["public_key"] and hub["public_url"].startswith("http://127.0.0.1:") for hub in directory)
    assert hubnet.path(directory, "5108", "7317") == ["5108", "51", "ID", "73", "7317"]
    here, hops = "5108", []
    while here != "7317":
        here = hubnet.next_hop(directory, here, "7317", hops)
        hops.append(here)
    assert hops == ["51", "ID", "73", "7317"]


def test_every_hub_imports_the_same_owners(prepared):
    wanted_regions = {"51": "51", "5108": "5108", "73": "73", "7371": "73", "7317": "7317", "6202": "ID"}
    wanted_agencies = {"PEMPROV-BALI": "51", "PEMKAB-BULELENG": "5108", "PEMKAB-LUWU": "7317", "KEMENPUPR": "ID"}
    for code in CODES:
        registry = yaml.safe_load((prepared / code / "registry.yml").read_text())
        assert [hub["code"] for hub in registry["hubs"]] == CODES
        regions = {r["code"]: r["hub"] for r in registry["regions"]}
        agencies = {a["code"]: a["hub"] for a in registry["agencies"]}
        officials = {o["official_id"]: o["hub"] for o in registry["officials"]}
        assert {c: regions[c] for c in wanted_regions} == wanted_regions
        assert {c: agencies[c] for c in wanted_agencies} == wanted_agencies
        assert officials["adm-luwu"] == "7317" and officials["lo-bll-pupr"] == "5108"
        assert officials["nas-admin-1"] == "ID"


def test_each_link_has_one_password_in_clear_at_the_hub_that_logs_in_and_its_hash_at_the_other(prepared):
    directory = hublink.load_directory((prepared / "directory.yml").read_text())
    secrets = {code: hublink.load_secrets((prepared / code / "secrets" / "links.yml").read_text()) for code in CODES}
    for code in CODES:
        neighbours = hubnet.neighbours(directory, code)
        assert sorted(secrets[code]["neighbours"]) == sorted(neighbours)
        assert sorted(secrets[code]["inbound"]) == sorted(neighbours)
        assert oct((prepared / code / "secrets" / "links.yml").stat().st_mode & 0o777) == "0o600"
        for other in neighbours:
            inbound = secrets[other]["inbound"][code]
            assert "password" not in inbound  # the hub that is logged into keeps only the hash
            login = urlsplit(secrets[code]["neighbours"][other]["amqp_uri"])
            assert login.username == inbound["user"]
            assert hublink.hash_matches(unquote(login.password), inbound["password_hash"])
    assert sum(len(s["neighbours"]) for s in secrets.values()) == 8  # 2 x 4 tree edges


def test_the_five_hubs_share_no_port():
    base = yaml.safe_load(NETWORK.read_text())["base_offset"]
    offsets = [base + int(hub["offset"]) for hub in yaml.safe_load(NETWORK.read_text())["hubs"]]
    seen: dict[int, int] = {}
    for offset in offsets:
        env = localstack.ports(offset)
        http = int(env.pop("LAPOR_HTTP_PORT"))
        for port in [*(int(v) for v in env.values()), *range(http, http + 10)]:
            assert port not in seen, f"offset {offset} and {seen[port]} share port {port}"
            seen[port] = offset

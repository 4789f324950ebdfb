"""Open311 api_keys for operators (issue 13): a CLI and a national admin's API issue, list and
revoke them; an issued key opens POST requests, a revoked one closes it again."""
import re

import requests

from intake import cli
from intake.service import IntakeService
from routing.service import RoutingService
from tests.integration.test_intake_csv_import import cli_config
from tests.integration.test_intake_open311 import POST
from tests.integration.test_intake_submission import REGISTRY
from tests.credentials import issue_token


def test_keys_by_cli_and_admin_api_open_and_close_open311_posts(start_services, service_config, rpc, demo_registry,
                                                                 capsys):
    urls = start_services(RoutingService, IntakeService, config={**service_config, "REGISTRY_FILE": REGISTRY,
                                                                   "RATE_LIMIT_EXEMPT": ""})
    rpc.routing.import_registry(demo_registry)
    base = urls["intake"]

    def post(key):
        return requests.post(f"{base}/open311/v2/requests.json", data={**POST, "api_key": key}, timeout=5)

    assert post("o311_not-issued").status_code == 403  # out of the box: no key works
    config = cli_config(service_config)
    assert cli.open311_keys(config, "issue", "Kota Pintar") == 0
    cli_key = re.search(r"(o311_\S+)", capsys.readouterr().out).group(1)
    assert post(cli_key).status_code == 201

    admin = {"Authorization": f"Bearer {issue_token(service_config, 'nas-admin-1')}"}
    liaison = {"Authorization": f"Bearer {issue_token(service_config, 'lo-bll-pupr')}"}
    keys_url = f"{base}/channels/open311/keys"
    assert requests.post(keys_url, json={"client": "Aplikasi Warga"}, headers=liaison, timeout=5).status_code == 403
    assert requests.post(keys_url, json={"client": ""}, headers=admin, timeout=5).status_code == 400
    issued = requests.post(keys_url, json={"client": "Aplikasi Warga"}, headers=admin, timeout=5)
    assert issued.status_code == 201 and issued.json()["client"] == "Aplikasi Warga"
    api_key = issued.json()["api_key"]
    assert post(api_key).status_code == 201
    listed = requests.get(keys_url, headers=admin, timeout=5).json()["keys"]
    assert {k["client"] for k in listed} == {"Kota Pintar", "Aplikasi Warga"} and api_key not in str(listed)

    assert requests.delete(f"{keys_url}/Aplikasi Warga", headers=admin, timeout=5).json()["revoked"] == 1
    assert post(api_key).status_code == 403 and post(cli_key).status_code == 201
    assert requests.delete(f"{keys_url}/Tidak Ada", headers=admin, timeout=5).status_code == 404
    assert cli.open311_keys(config, "revoke", "Kota Pintar") == 0 and post(cli_key).status_code == 403
    assert cli.open311_keys(config, "list", None) == 0 and "revoked" in capsys.readouterr().out

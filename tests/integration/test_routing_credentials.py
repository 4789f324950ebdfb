"""Officials' credentials are minted only by an admin over HTTP (audited, within the admin's scope)
and by the operator's CLI, never over RPC (issue 20: with any service's broker login,
``routing.issue_token("lo-bll-pupr", 1)`` gave a token that opened the liaison's inbox)."""
import pytest
import requests
import yaml
from nameko.exceptions import MethodNotFound

from routing import cli
from routing.service import RoutingService
from tests.credentials import bearer


@pytest.fixture
def routing(start_services, rpc, service_config, demo_registry):
    urls = start_services(RoutingService)
    rpc.routing.import_registry(demo_registry)
    return urls["routing"]


def audit(base, service_config, official_id, by="nas-admin-1"):
    answer = requests.get(f"{base}/admin/officials/{official_id}/audit", headers=bearer(service_config, by), timeout=5)
    assert answer.status_code == 200, answer.text
    return [(e["action"], e["actor"]) for e in answer.json()["items"]], answer.text


def test_an_admin_issues_tokens_and_links_for_their_own_officials_audited_and_the_next_role_down_is_refused(
        routing, service_config):
    base, admin = routing, bearer(service_config, "adm-buleleng")
    issued = requests.post(f"{base}/admin/officials/lo-bll-pupr/tokens", json={"days": 2}, headers=admin, timeout=5)
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    inbox = requests.get(f"{base}/admin/inbox", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert inbox.status_code == 200
    link = requests.post(f"{base}/admin/officials/lo-bll-pupr/password-links", json={"hours": 2}, headers=admin,
                         timeout=5)
    assert link.status_code == 201
    revoked = requests.delete(f"{base}/admin/officials/lo-bll-pupr/tokens", headers=admin, timeout=5)
    assert revoked.status_code == 200 and revoked.json() == {"revoked": 1}

    # an agency admin: only the agency's officials (another agency's, or the national admin, are not found)
    for other in ("lo-lwu-pupr", "nas-admin-1"):
        for kind in ("tokens", "password-links"):
            refused = requests.post(f"{base}/admin/officials/{other}/{kind}", headers=admin, timeout=5)
            assert refused.status_code == 404, (other, kind)
    # a liaison or a supervisor may not issue at all, not even for themselves
    for official in ("lo-bll-pupr", "spv-buleleng"):
        headers = bearer(service_config, official)
        for kind in ("tokens", "password-links"):
            refused = requests.post(f"{base}/admin/officials/{official}/{kind}", headers=headers, timeout=5)
            assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "forbidden"
        assert requests.get(f"{base}/admin/officials/lo-bll-pupr/audit", headers=headers,
                            timeout=5).status_code == 403

    entries, text = audit(base, service_config, "lo-bll-pupr")
    assert entries == [("token_issued", "adm-buleleng"), ("password_link_issued", "adm-buleleng"),
                       ("tokens_revoked", "adm-buleleng"), ("token_issued", "operator")]
    assert token not in text and link.json()["url"].rsplit("/", 1)[1] not in text
    assert audit(base, service_config, "lo-bll-pupr", by="adm-buleleng")[0] == entries
    assert requests.get(f"{base}/admin/officials/lo-lwu-pupr/audit", headers=admin, timeout=5).status_code == 404


def test_no_one_can_mint_or_revoke_credentials_over_rpc_not_even_the_operator(routing, rpc, service_config,
                                                                               mongo_client):
    for call in (lambda: rpc.routing.issue_token("nas-admin-1", 1), lambda: rpc.routing.issue_password_link("nas-admin-1"),
                 lambda: rpc.routing.revoke_tokens("nas-admin-1")):
        with pytest.raises(MethodNotFound):
            call()
    db = mongo_client[service_config["MONGODB_DATABASE_PREFIX"] + "routing"]
    assert db.tokens.count_documents({}) == 0 and db.password_links.count_documents({}) == 0
    assert rpc.routing.authenticate("lpr_forged") is None  # routing still answers what it should


def test_the_operators_cli_issues_revokes_and_lifts_audited_as_the_operator(routing, service_config, tmp_path,
                                                                            capsys):
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump({"MONGODB_URI": service_config["MONGODB_URI"],
                                    "MONGODB_DATABASE": service_config["MONGODB_DATABASE_PREFIX"] + "routing",
                                    "PUBLIC_BASE_URL": "https://lapor.example.go.id"}))
    assert cli.main(["token", "lo-bll-pupr", "--days", "1", "--config", str(path)]) == 0
    token = capsys.readouterr().out.strip()
    assert requests.get(f"{routing}/admin/inbox", headers={"Authorization": f"Bearer {token}"},
                        timeout=5).status_code == 200
    assert cli.main(["password-link", "lo-bll-pupr", "--config", str(path)]) == 0
    assert capsys.readouterr().out.startswith("https://lapor.example.go.id/petugas/sandi/")
    assert cli.main(["lift-limit", "lo-bll-pupr", "--config", str(path)]) == 0
    assert capsys.readouterr().out.strip() == "cleared: 0"
    assert cli.main(["revoke", "lo-bll-pupr", "--config", str(path)]) == 0
    assert cli.main(["token", "nobody", "--config", str(path)]) == 1
    entries, _ = audit(routing, service_config, "lo-bll-pupr")
    assert entries == [("token_issued", "operator"), ("password_link_issued", "operator"),
                       ("signin_limit_lifted", "operator"), ("tokens_revoked", "operator")]

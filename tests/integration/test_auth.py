"""Officials' tokens: issued by routing, checked by any service through contract.auth."""
import requests

from contract import http as api_http
from contract.auth import Auth
from routing.service import RoutingService
from tests.credentials import bearer, issue_token, revoke_tokens


class GuardedService:
    name = "guarded"
    auth = Auth()

    @api_http.endpoint("GET", "/whoami")
    def whoami(self, request):
        principal = self.auth.principal(request, roles=("liaison", "agency_admin"))
        return api_http.json_response(200, principal)


def test_tokens_authenticate_scope_and_revoke(start_services, rpc, service_config, demo_registry):
    config = {**service_config, "AUTH_CACHE_SECONDS": 0}
    urls = start_services(RoutingService, GuardedService, config=config)
    rpc.routing.import_registry(demo_registry)
    url = f"{urls['guarded']}/whoami"

    assert requests.get(url, timeout=5).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer lpr_forged"}, timeout=5).status_code == 401

    liaison = issue_token(service_config, "lo-bll-pupr")
    response = requests.get(url, headers={"Authorization": f"Bearer {liaison}"}, timeout=5)
    assert response.status_code == 200
    assert response.json() == {"official_id": "lo-bll-pupr", "name": "Pejabat Penghubung Dinas PUPR Buleleng",
                               "role": "liaison", "hub": "ID", "agency_code": "PEMKAB-BULELENG",
                               "unit_code": "BLL-PUPR", "via": "token"}

    supervisor = issue_token(service_config, "spv-buleleng")
    denied = requests.get(url, headers={"Authorization": f"Bearer {supervisor}"}, timeout=5)
    assert denied.status_code == 403 and denied.json()["errors"][0]["code"] == "forbidden"

    revoked = requests.delete(f"{urls['routing']}/admin/officials/lo-bll-pupr/tokens",
                              headers=bearer(service_config, "adm-buleleng"), timeout=5)
    assert revoked.status_code == 200 and revoked.json() == {"revoked": 1}
    assert requests.get(url, headers={"Authorization": f"Bearer {liaison}"}, timeout=5).status_code == 401


def test_recipient_references_resolve_to_officials(start_services, rpc, demo_registry):
    start_services(RoutingService)
    rpc.routing.import_registry(demo_registry)
    assert [o["email"] for o in rpc.routing.recipients("unit:BLL-PUPR")] == ["pupr@bulelengkab.example.go.id"]
    assert [o["official_id"] for o in rpc.routing.recipients("agency:PEMKAB-BULELENG")] == ["adm-buleleng"]
    assert [o["official_id"] for o in rpc.routing.recipients("supervisor:PEMKAB-BULELENG")] == ["spv-buleleng"]
    assert [o["official_id"] for o in rpc.routing.recipients("hub:ID")] == ["nas-admin-1"]
    assert rpc.routing.recipients("nonsense") == [] and rpc.routing.recipients("unit:NOPE") == []


def test_a_revoked_token_stops_working_everywhere_within_a_second(start_services, rpc, service_config,
                                                                   demo_registry):
    """Issue 20: a revoked token worked for up to 30 s in two services (their auth caches)."""
    import time
    urls = start_services(RoutingService, GuardedService)  # the default cache settings
    rpc.routing.import_registry(demo_registry)
    liaison = issue_token(service_config, "lo-bll-pupr")
    headers = {"Authorization": f"Bearer {liaison}"}
    assert requests.get(f"{urls['guarded']}/whoami", headers=headers, timeout=5).status_code == 200  # cached
    assert requests.get(f"{urls['routing']}/admin/inbox", headers=headers, timeout=5).status_code == 200
    assert revoke_tokens(service_config, "lo-bll-pupr") == 1  # the operator's CLI: no process is told
    revoked = time.monotonic()
    time.sleep(1.05)
    assert requests.get(f"{urls['guarded']}/whoami", headers=headers, timeout=5).status_code == 401
    assert requests.get(f"{urls['routing']}/admin/inbox", headers=headers, timeout=5).status_code == 401
    assert time.monotonic() - revoked < 5

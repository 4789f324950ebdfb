"""Open311 GeoReport v2 queries and the Open311 clients' api_keys (creating a request is
``channels.accept_open311``)."""
from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from contract import errors
from contract.auth import token_hash
from contract.ids import parse_tracking_id
from intake import open311
from intake.exceptions import Open311Error


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def service_names(uow, language: str) -> dict[str, str]:
    return {s["service_code"]: s["service_name"]
            for s in open311.services(uow.registry.current()["category_docs"], language)}


def check_jurisdiction(uow, jurisdiction_id: str | None) -> None:
    """404 for a ``jurisdiction_id`` this server does not serve (the standard's answer; it was 200 [])."""
    if not open311.known_jurisdiction(jurisdiction_id, uow.registry.current()["regions"]):
        raise Open311Error(404, f"jurisdiction_id {str(jurisdiction_id)[:40]} was not found")


def services(uow, language: str, jurisdiction_id: str | None = None) -> list[dict]:
    """The categories as Open311 services."""
    check_jurisdiction(uow, jurisdiction_id)
    return open311.services(uow.registry.current()["category_docs"], language)


def service_definition(uow, service_code: str) -> dict:
    if service_code not in uow.registry.current()["categories"]:
        raise Open311Error(404, f"service_code {service_code[:40]} was not found")
    return open311.definition(service_code)


def requests(uow, query: dict) -> list[dict]:
    """The public service requests matching ``query`` (``Open311QueryIn`` loaded, with ``language``)."""
    check_jurisdiction(uow, query.get("jurisdiction_id"))
    ids = None
    if query.get("service_request_id"):
        ids = [t for t in map(parse_tracking_id, _split(query["service_request_id"])) if t]
    end = query.get("end_date")
    start = query.get("start_date") or ((end or uow.now()) - timedelta(days=open311.DEFAULT_DAYS))
    docs = uow.reports.public_requests(ids, open311.platform_statuses(_split(query.get("status"))),
                                       _split(query.get("service_code")), start, end, open311.MAX_RESULTS,
                                       region=open311.region_filter(query.get("jurisdiction_id")))
    names, registry = service_names(uow, query["language"]), uow.names.current()
    return [open311.service_request(d, names, query["language"], registry) for d in docs]


def public_report(uow, request_id: str) -> dict:
    canonical = parse_tracking_id(request_id)
    docs = uow.reports.public_requests([canonical], None, None, None, None, 1) if canonical else []
    if not docs:
        raise Open311Error(404, f"service_request_id {request_id[:40]} was not found")
    return docs[0]


def request(uow, query: dict) -> list[dict]:
    """One public service request (``request_id``, ``language``), as a one-item list."""
    return [open311.service_request(public_report(uow, query["request_id"]), service_names(uow, query["language"]),
                                    query["language"], uow.names.current())]


def token(uow, token: str) -> list[dict]:
    report = public_report(uow, token)
    return [{"service_request_id": report["tracking_id"], "token": token}]


# --- api_keys -------------------------------------------------------------------------------------

def check_api_key(uow, key: str | None) -> None:
    """403 unless ``key`` is a configured key (OPEN311_API_KEYS) or one issued and not revoked."""
    if key and any(hmac.compare_digest(key.encode(), k.encode()) for k in uow.settings.open311_api_keys):
        return
    if not key or len(key) > 200 or not uow.api_keys.valid(token_hash(key)):
        raise Open311Error(403, "api_key was not provided or is invalid")


def issue_key(uow, client: str) -> dict:
    """A new api_key for an Open311 client (shown once; only its hash is stored)."""
    key = "o311_" + secrets.token_urlsafe(24)
    uow.api_keys.add(token_hash(key), client)
    return {"api_key": key, "client": client}


def revoke_keys(uow, client: str) -> int:
    return uow.api_keys.revoke(client)


def revoke_keys_of_known_client(uow, client: str) -> int:
    """``revoke_keys``, 404 when the client has no key to revoke."""
    revoked = uow.api_keys.revoke(client)
    if not revoked:
        raise errors.not_found("client", "Open311 client key")
    return revoked


def list_keys(uow) -> list[dict]:
    return uow.api_keys.listed()

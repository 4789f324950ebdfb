"""Open311 GeoReport v2 under /open311/v2/: services, requests (POST with api_key), tokens.

Errors are the standard's list of ``{code, description}`` with 400/403/404, in the format the
path asks for (``.json`` or ``.xml``).
"""
from __future__ import annotations

import functools
import hmac
import logging
import secrets
from datetime import date, timedelta

from marshmallow import ValidationError
from nameko.rpc import rpc
from nameko.web.handlers import http
from werkzeug.wrappers import Response

from contract import errors, http as api_http
from contract.auth import token_hash
from contract.ids import parse_tracking_id
from contract.store import store_fault, utcnow
from intake import completeness, open311, open311_schemas, registry
from intake.domain import derived_title
from intake.metrics import counted

log = logging.getLogger(__name__)
FMT = "<any(json,xml):fmt>"


class Open311Error(Exception):
    def __init__(self, status: int, *descriptions: str):
        super().__init__(descriptions)
        self.status, self.descriptions = status, descriptions


def respond(kind: str, body, fmt: str, status: int = 200, headers: dict | None = None) -> Response:
    data, content_type = open311.render(kind, body, fmt)
    return Response(data, status=status, content_type=content_type, headers=headers)


def georeport(handler):
    """Answer errors as the standard's error list, in the requested format."""
    @functools.wraps(handler)
    def wrapper(self, request, *args, fmt="json", **kwargs):
        try:
            return handler(self, request, *args, fmt=fmt, **kwargs)
        except Open311Error as exc:
            items = open311.error_list([(exc.status, d) for d in exc.descriptions])
            return respond("errors", items, fmt, exc.status)
        except ValidationError as exc:
            items = [(400, f"{e['field'] or 'request'}: {e['message']}")
                     for e in errors.from_validation_error(exc).errors]
            return respond("errors", open311.error_list(items), fmt, 400)
        except errors.ApiError as exc:
            items = [(exc.status, e["message"]) for e in exc.errors]
            return respond("errors", open311.error_list(items), fmt, exc.status, getattr(exc, "headers", None))
        except Exception as exc:
            fault = store_fault(exc)
            if fault is not None:
                items = [(503, e["message"]) for e in fault.errors]
                return respond("errors", open311.error_list(items), fmt, 503, fault.headers)
            log.exception("open311: unhandled error")
            return respond("errors", open311.error_list([(500, errors.MESSAGES["internal"][0])]), fmt, 500)
    return wrapper


def _language(request) -> str:
    return "en" if request.args.get("lang") == "en" or (request.accept_languages.best or "").startswith("en") else "id"


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


class Open311Entrypoints:
    """Mixed into IntakeService; needs ``self.reports``, ``self.config``, ``self.auth`` and ``self._accept``."""

    @http("GET", f"/open311/v2/services.{FMT}")
    @georeport
    def open311_services(self, request, fmt):
        categories = self.reports.registry()["category_docs"]
        return respond("services", open311.services(categories, _language(request)), fmt)

    @http("GET", f"/open311/v2/services/<string:service_code>.{FMT}")
    @georeport
    def open311_service_definition(self, request, service_code, fmt):
        if service_code not in self.reports.registry()["categories"]:
            raise Open311Error(404, f"service_code {service_code[:40]} was not found")
        return respond("definition", open311.definition(service_code), fmt)

    @http("POST", f"/open311/v2/requests.{FMT}")
    @counted("open311")
    @georeport
    def open311_create(self, request, fmt):
        body = open311_schemas.form_body(request.form)
        self._check_api_key(body.get("api_key"))
        data = open311_schemas.Open311RequestIn().load(body)
        known = self.reports.registry()["categories"]
        if known and data["service_code"] not in known:
            raise Open311Error(400, f"service_code {data['service_code']} was not found")
        form = self._open311_form(data)
        missing = completeness.missing_items(form, "open311", known)
        if missing:
            raise Open311Error(400, *(f"{m['field']}: {m['message']}" for m in missing))
        sender = data.get("device_id") or data.get("account_id") or data.get("email")
        status, receipt, report = self._accept(form, sender=sender, source={
            k: data.get(k) for k in ("device_id", "account_id", "media_url", "address_id")})
        notice = (f"Simpan kode rahasia pelapor: {receipt['secret']} / Keep the reporter secret: {receipt['secret']}"
                  if receipt.get("secret") else None)
        answer = [{"service_request_id": report["tracking_id"], "service_notice": notice,
                   "account_id": data.get("account_id")}]
        return respond("requests", answer, fmt, 201 if status == 201 else 200)

    def _check_api_key(self, key: str | None) -> None:
        keys = [k.strip() for k in str(self.config.get("OPEN311_API_KEYS") or "").split(",") if k.strip()]
        if key and any(hmac.compare_digest(key.encode(), k.encode()) for k in keys):
            return
        if not key or len(key) > 200 or not self.reports.api_key_valid(token_hash(key)):
            raise Open311Error(403, "api_key was not provided or is invalid")

    @rpc
    def issue_open311_key(self, client):
        """A new api_key for an Open311 client (shown once; only its hash is stored)."""
        return self._issue_key(open311_schemas.ApiKeyIn().load({"client": client})["client"])

    @rpc
    def revoke_open311_keys(self, client):
        return {"revoked": self.reports.revoke_api_keys(client)}

    def _issue_key(self, client: str) -> dict:
        key = "o311_" + secrets.token_urlsafe(24)
        self.reports.add_api_key(token_hash(key), client)
        return {"api_key": key, "client": client}

    # --- the operator's API for Open311 keys (national admins; the CLI does the same) ----------
    @http("GET", "/channels/open311/keys")
    @api_http.api
    def list_open311_keys(self, request):
        self.auth.principal(request, roles=("national_admin",))
        return api_http.json_response(200, {"keys": open311_schemas.ApiKeyOut(many=True).dump(self.reports.api_keys())})

    @http("POST", "/channels/open311/keys")
    @api_http.api
    def create_open311_key(self, request):
        self.auth.principal(request, roles=("national_admin",))
        client = open311_schemas.ApiKeyIn().load(api_http.read_json(request))["client"]
        return api_http.json_response(201, self._issue_key(client))

    @http("DELETE", "/channels/open311/keys/<string:client>")
    @api_http.api
    def delete_open311_keys(self, request, client):
        self.auth.principal(request, roles=("national_admin",))
        revoked = self.reports.revoke_api_keys(open311_schemas.ApiKeyIn().load({"client": client})["client"])
        if not revoked:
            raise errors.not_found("client", "Open311 client key")
        return api_http.json_response(200, {"client": client, "revoked": revoked})

    def _open311_form(self, data: dict) -> dict:
        attributes = data["attribute"]
        name = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
        reporter = {k: v for k, v in (("name", name), ("email", data.get("email")), ("phone", data.get("phone"))) if v}
        return {"channel": "open311", "title": derived_title(data["description"]), "description": data["description"],
                "classification": attributes["classification"], "category_code": data["service_code"],
                "region_code": data.get("jurisdiction_id", "").replace(".", "") or registry.NATIONAL_REGION,
                "location_text": data.get("address_string") or data.get("address_id"),
                "latitude": data.get("lat"), "longitude": data.get("long"), "incident_date": date.today(),
                "reporter": reporter, "is_anonymous": attributes["is_anonymous"] == "true",
                "is_confidential": attributes["is_confidential"] == "true", "gesi": sorted(set(attributes["gesi"])),
                "language": "id"}

    @http("GET", f"/open311/v2/requests.{FMT}")
    @georeport
    def open311_requests(self, request, fmt):
        query = open311_schemas.Open311QueryIn().load(request.args.to_dict())
        ids = None
        if query.get("service_request_id"):
            ids = [t for t in map(parse_tracking_id, _split(query["service_request_id"])) if t]
        end = query.get("end_date")
        start = query.get("start_date") or ((end or utcnow()) - timedelta(days=open311.DEFAULT_DAYS))
        docs = self.reports.public_requests(ids, open311.platform_statuses(_split(query.get("status"))),
                                            _split(query.get("service_code")), start, end, open311.MAX_RESULTS,
                                            region=open311.region_filter(query.get("jurisdiction_id")))
        return respond("requests", [open311.service_request(d, self._service_names(request)) for d in docs], fmt)

    @http("GET", f"/open311/v2/requests/<string:request_id>.{FMT}")
    @georeport
    def open311_request(self, request, request_id, fmt):
        report = self._public_report(request_id)
        return respond("requests", [open311.service_request(report, self._service_names(request))], fmt)

    @http("GET", f"/open311/v2/tokens/<string:token>.{FMT}")
    @georeport
    def open311_token(self, request, token, fmt):
        report = self._public_report(token)
        return respond("tokens", [{"service_request_id": report["tracking_id"], "token": token}], fmt)

    def _public_report(self, request_id: str) -> dict:
        canonical = parse_tracking_id(request_id)
        docs = self.reports.public_requests([canonical], None, None, None, None, 1) if canonical else []
        if not docs:
            raise Open311Error(404, f"service_request_id {request_id[:40]} was not found")
        return docs[0]

    def _service_names(self, request) -> dict[str, str]:
        return {s["service_code"]: s["service_name"]
                for s in open311.services(self.reports.registry()["category_docs"], _language(request))}

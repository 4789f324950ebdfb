"""Open311 GeoReport v2: categories as services, reports as service requests, JSON and XML.

What is public here follows the platform's rules: drafts and confidential reports are never
listed, and no reporter field is ever returned (anonymous or not).
Plain functions on plain dicts: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, time, timezone
from typing import Any

from contract import i18n, vocab
from contract.registry_names import Names, name_of
from contract.routes import url_for
from contract.vocab import CLASSIFICATIONS, GESI_MARKERS
from intake.domain import derived_title
from intake.registry import NATIONAL_REGION

CLOSED = ("closed", "archived", "answered")
MESSAGES = i18n.of_service("intake")  # status_notes
MAX_RESULTS = 1000
DEFAULT_DAYS = 90

ATTRIBUTES = [
    {"variable": True, "code": "classification", "datatype": "singlevaluelist", "required": False,
     "datatype_description": "Klasifikasi / classification (default: complaint)", "order": 1,
     "description": "Klasifikasi laporan / classification of the report",
     "values": [{"key": c, "name": c} for c in CLASSIFICATIONS]},
    {"variable": True, "code": "is_anonymous", "datatype": "singlevaluelist", "required": False,
     "datatype_description": "true: identitas pelapor dirahasiakan / reporter's identity hidden", "order": 2,
     "description": "Anonim / anonymous", "values": [{"key": "true", "name": "true"}, {"key": "false", "name": "false"}]},
    {"variable": True, "code": "is_confidential", "datatype": "singlevaluelist", "required": False,
     "datatype_description": "true: laporan tidak tampil untuk publik / not shown to the public", "order": 3,
     "description": "Rahasia / confidential", "values": [{"key": "true", "name": "true"}, {"key": "false", "name": "false"}]},
    {"variable": True, "code": "gesi", "datatype": "multivaluelist", "required": False,
     "datatype_description": "Kelompok rentan / groups concerned (GESI)", "order": 4,
     "description": "GESI", "values": [{"key": g, "name": g} for g in GESI_MARKERS]},
]


def open311_status(status: str) -> str:
    return "closed" if status in CLOSED else "open"


def platform_statuses(open311: list[str]) -> list[str] | None:
    """The platform statuses matching Open311 ``status`` filters (None: no filter)."""
    from intake.history import STATUS_RANK
    if not open311 or set(open311) >= {"open", "closed"}:
        return None
    wanted = [s for s in STATUS_RANK if s != "incomplete" and open311_status(s) in open311]
    return wanted


def discovery(base_url: str, contact: str) -> dict:
    """The service discovery document (wiki.open311.org/Service_discovery): where this server's
    GeoReport v2 endpoint is and which formats it speaks."""
    return {"changeset": CHANGESET, "contact": contact, "key_service": base_url + url_for("open311_keys"),
            "endpoints": [{"specification": SPECIFICATION, "url": f"{base_url}/open311/v2", "changeset": CHANGESET,
                           "type": "production", "formats": ["application/json", "text/xml"]}]}


def known_jurisdiction(jurisdiction_id: str | None, regions: set[str]) -> bool:
    """A ``jurisdiction_id`` this server answers for: none, the national one, a region it knows or a
    district of a province it knows (reports are accepted for those too)."""
    code = (jurisdiction_id or "").replace(".", "")
    return code in ("", NATIONAL_REGION) or code in regions or code[:2] in regions


def region_filter(jurisdiction_id: str | None) -> str | None:
    """The region code prefix a GET ``jurisdiction_id`` asks for (None: every region)."""
    code = (jurisdiction_id or "").replace(".", "")
    return None if code in ("", NATIONAL_REGION) else code


def services(categories: list[dict], language: str) -> list[dict]:
    """The categories as Open311 services, with ``lainnya`` (the text channels' "not yet
    categorised", which SMS and social reports carry) even when the registry does not list it."""
    categories = vocab.with_uncategorised(categories)
    return [{"service_code": c["code"], "service_name": i18n.localized(c, language) or c["code"],
             "description": i18n.localized(c, i18n.other_language(language)),
             "metadata": True, "type": "realtime", "keywords": c["code"], "group": "LAPOR"} for c in categories]


def definition(code: str) -> dict:
    return {"service_code": code, "attributes": ATTRIBUTES}


def status_note(status: str, language: str) -> str:
    """``status_notes``: the report's status as a sentence for the reporter, in ``language``."""
    key = f"open311.note.{status}"
    return MESSAGES.text(key, language) if key in MESSAGES else status


def service_request(report: dict, names: dict[str, str], language: str = "id",
                    registry: Names | None = None) -> dict:
    """A report as an Open311 service request (never a reporter field): ``status_notes`` a sentence
    and ``agency_responsible`` the agency's name (``registry``'s), in ``language``; codes stay in
    ``service_code``. The client's ``media_url`` only for a report that is neither anonymous nor
    confidential: the URL serves the evidence to anyone and may name or picture the reporter (issue 20)."""
    assignment = report.get("assignment") or {}
    private = report.get("is_anonymous") is not False or report.get("is_confidential") is not False  # unknown: private
    updated = max([h["at"] for h in report.get("history") or []] + [report.get("updated_at") or report["received_at"]])
    return {"service_request_id": report["tracking_id"], "status": open311_status(report["status"]),
            "status_notes": status_note(report["status"], language), "service_name": names.get(report["category_code"], report["category_code"]),
            "service_code": report["category_code"], "description": report.get("description"),
            "agency_responsible": name_of(registry, "agencies", assignment.get("agency_code"), language) or None,
            "service_notice": None,
            "requested_datetime": _iso(report["received_at"]), "updated_datetime": _iso(updated),
            "expected_datetime": _iso((report.get("case") or {}).get("due_at")),
            "address": report.get("location_text"), "address_id": None, "zipcode": None,
            "lat": report.get("latitude"), "long": report.get("longitude"), "media_url": None if private else report.get("media_url")}


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    return value


def day_start(value: date) -> datetime:
    return datetime.combine(value, time.min, tzinfo=timezone.utc)


def error_list(items: list[tuple[int, str]]) -> list[dict]:
    return [{"code": code, "description": text} for code, text in items]


# --- rendering ------------------------------------------------------------------------------

_XML_ROOTS = {"services": ("services", "service"), "definition": ("service_definition", None),
              "requests": ("service_requests", "request"), "errors": ("errors", "error"),
              "tokens": ("service_requests", "request"), "discovery": ("discovery", None)}
_ITEM_NAMES = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-06T00:00:00Z"  # when this server's GeoReport v2 interface last changed
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render(kind: str, body: Any, fmt: str) -> tuple[bytes, str]:
    """``body`` as the standard's JSON or XML document, with its content type."""
    if fmt == "json":
        return json.dumps(body, ensure_ascii=False, default=_iso).encode(), "application/json; charset=utf-8"
    root_name, item_name = _XML_ROOTS[kind]
    root = ET.Element(root_name)
    if item_name is None:
        _fill(root, body)
    else:
        for item in body:
            _fill(ET.SubElement(root, item_name), item)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8"), \
        "text/xml; charset=utf-8"


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        name = _ITEM_NAMES.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, name), child)
    elif value is not None:
        text = str(value).lower() if isinstance(value, bool) else str(_iso(value))
        element.text = _NOT_XML.sub("", text)


def report_form(data: dict, today: date) -> dict:
    """The report form of an Open311 ``POST requests`` (loaded by ``Open311RequestIn``)."""
    attributes = data["attribute"]
    name = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
    reporter = {k: v for k, v in (("name", name), ("email", data.get("email")), ("phone", data.get("phone"))) if v}
    return {"channel": "open311", "title": derived_title(data["description"]), "description": data["description"],
            "classification": attributes["classification"], "category_code": data["service_code"],
            "region_code": data.get("jurisdiction_id", "").replace(".", "") or NATIONAL_REGION,
            "location_text": data.get("address_string") or data.get("address_id"),
            "latitude": data.get("lat"), "longitude": data.get("long"), "incident_date": today,
            "reporter": reporter, "is_anonymous": attributes["is_anonymous"] == "true",
            "is_confidential": attributes["is_confidential"] == "true", "gesi": sorted(set(attributes["gesi"])),
            "language": "id"}

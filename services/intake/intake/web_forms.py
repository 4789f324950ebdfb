"""The citizen's report form as plain data: what the HTML form sends -> the API's report body,
and the pickers' options from intake's registry copy. Plain functions: no nameko, no pymongo."""
from __future__ import annotations

from contract import i18n
from contract.vocab import CLASSIFICATIONS, GESI_MARKERS
from contract.webdates import parse_typed_date

TEXT_FIELDS = ("title", "description", "category_code", "region_code", "location_text", "incident_date",
               "classification")
REPORTER_FIELDS = ("name", "email", "phone")
PUBLIC_STATUSES = ("received", "triage", "dispositioned", "in_follow_up", "answered", "closed", "archived",
                   "forwarded")
PUBLIC_PAGE_SIZE = 20


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _typed_date(value: str | None) -> str | None:
    """A date typed on the page (``16/11/2026``, the page's format) as the API takes it (ISO); what
    is not a date is passed on as typed, so that the API's error names the field."""
    typed = parse_typed_date(value)
    return typed.isoformat() if typed else value


def _text_fields(form) -> dict:
    body = {name: _clean(form.get(name)) for name in TEXT_FIELDS}
    if body.get("incident_date"):
        body["incident_date"] = _typed_date(body["incident_date"])
    return {k: v for k, v in body.items() if v is not None}


def report_body(form, lang: str) -> dict:
    """The JSON body ``POST /reports`` would take, from the HTML form (empty fields left out, so
    that a report lacking them is kept as a draft that lists what is missing)."""
    body = _text_fields(form)
    reporter = {name: _clean(form.get(f"reporter_{name}")) for name in REPORTER_FIELDS}
    body["reporter"] = {k: v for k, v in reporter.items() if v is not None}
    body["is_anonymous"] = form.get("is_anonymous") == "1"
    body["is_confidential"] = form.get("is_confidential") == "1"
    body["gesi"] = [g for g in form.getlist("gesi") if g]
    body["language"] = lang if lang in i18n.LANGS else i18n.DEFAULT_LANG
    body["channel"] = "web"
    return body


def completion_body(form) -> dict:
    """The items a reporter adds to a draft (only those filled in)."""
    return _text_fields(form)


def category_options(category_docs: list[dict], lang: str) -> list[tuple[str, str]]:
    options = [(c["code"], i18n.localized(c, lang) or c.get("name_id") or c["code"]) for c in category_docs]
    return sorted(options, key=lambda o: o[1].lower())


def region_options(region_docs: list[dict]) -> list[tuple[str, str]]:
    """Districts under their province (a province alone when it has none), by name."""
    names = {r["code"]: r.get("name") or r["code"] for r in region_docs}
    options = []
    for region in region_docs:
        code = region["code"]
        if len(code) == 4:
            province = names.get(code[:2])
            options.append((code, f"{names[code]}, {province}" if province else names[code]))
        elif not any(len(r["code"]) == 4 and r["code"].startswith(code) for r in region_docs):
            options.append((code, names[code]))
    return sorted(options, key=lambda o: o[1].lower())


def names(options: list[tuple[str, str]]) -> dict[str, str]:
    return dict(options)


def classifications() -> tuple[str, ...]:
    return CLASSIFICATIONS


def gesi_markers() -> tuple[str, ...]:
    return GESI_MARKERS


def public_filters(args) -> dict:
    """The public list's filters from the query string; unknown values are ignored."""
    found = {}
    for name in ("category_code", "region_code"):
        value = _clean(args.get(name))
        if value and len(value) <= 40:
            found[name] = value
    if args.get("classification") in CLASSIFICATIONS:
        found["classification"] = args["classification"]
    if args.get("status") in PUBLIC_STATUSES:
        found["status"] = args["status"]
    return found


def page_number(args) -> int:
    try:
        return max(1, min(int(args.get("page", 1)), 1000))
    except (TypeError, ValueError):
        return 1


def public_item(report: dict) -> dict:
    """What the public list shows of a report: never the reporter of an anonymous one (and of
    the others only the first name), never a confidential report (the query excludes them)."""
    reporter = report.get("reporter") or {}
    first_name = (reporter.get("name") or "").split()[:1]
    description = report.get("description") or ""
    return {"tracking_id": report["_id"], "title": report.get("title"), "status": report["status"],
            "classification": report.get("classification"), "category_code": report.get("category_code"),
            "region_code": report.get("region_code"), "received_at": report["received_at"],
            "excerpt": description if len(description) <= 240 else description[:240].rsplit(" ", 1)[0] + "…",
            "reporter": None if report.get("is_anonymous") else (first_name[0] if first_name else None),
            "anonymous": bool(report.get("is_anonymous"))}

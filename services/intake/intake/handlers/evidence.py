"""Evidence attachments: the reporter uploads (with the secret), officials handling the report read."""
from __future__ import annotations

from contract import errors
from contract.auth import forbidden
from contract.ids import parse_tracking_id
from intake import domain, evidence, exceptions
from intake.handlers import hub_relay
from intake.handlers.lookup import report_by_id


def store_evidence(uow, report: dict, data: bytes) -> tuple[dict, str]:
    """Check and keep one file of evidence: (stored entry, content type), or an ApiError."""
    try:
        data, content_type = evidence.prepare(data, anonymous=report["is_anonymous"])
    except evidence.BadEvidence as exc:
        raise errors.ApiError([errors.translated("file", "invalid", exceptions.TEXTS, "api.evidence_not_accepted",
                                                 problem=exc)])
    name = "evidence" + {"image/jpeg": ".jpg", "image/png": ".png"}.get(content_type, ".pdf")
    entry = uow.reports.add_attachment(report, data, content_type, name, uow.settings.evidence_max_files, uow.now())
    if entry is None:
        raise errors.ApiError([errors.translated("file", "too_many", exceptions.TEXTS, "api.most_attachments")],
                              status=409)
    return entry, content_type


def add_evidence(uow, upload: dict) -> dict:
    """The reporter's upload (``tracking_id``, ``secret``, ``data``: the file's bytes or None)."""
    report = report_by_id(uow, upload["tracking_id"])
    if not domain.secret_matches(report.get("secret_hash"), upload.get("secret")):
        raise exceptions.wrong_secret()
    if upload.get("data") is None:
        raise errors.ApiError([errors.error("file", "required")])
    if hub_relay.holder_of(report, uow.settings.hub_code):  # held at another hub: it goes there (issue 19)
        return relayed_or_refused(uow, hub_relay.relay_evidence(uow, report, [upload["data"]]), "file")
    entry, content_type = store_evidence(uow, report, upload["data"])
    return {"file_id": entry["file_id"], "content_type": content_type, "size": entry["size"]}


def relayed_or_refused(uow, outcome: dict, field: str) -> dict:
    """A relay's outcome for the API (the action ID), or its refusal as a 409 naming the hub by its
    name in the registry (its code where the registry has none), as followup's answer does."""
    if outcome.get("relayed"):
        return {"relayed_to": outcome["hub"], "action_id": outcome["action_id"]}
    raise exceptions.relay_refused(outcome["refused"], outcome["hub"], field, uow.names.current())


def add_evidence_files(uow, upload: dict) -> dict | None:
    """Files chosen on a page (``tracking_id``, ``files``: each already checked), for a reporter whose
    secret the page checked; for a report held at another hub, sent there (the relay's outcome)."""
    report = uow.reports.get(upload["tracking_id"])
    if hub_relay.holder_of(report, uow.settings.hub_code):
        return hub_relay.relay_evidence(uow, report, upload["files"])
    for data in upload["files"]:
        store_evidence(uow, report, data)


def readable_report(uow, query: dict) -> dict:
    """The report, if ``principal`` (an official) may read its evidence (``evidence.may_read``)."""
    report = report_by_id(uow, query["tracking_id"])
    if not evidence.may_read(query["principal"], report):
        raise forbidden("reading this report's evidence")
    return report


def list_evidence(uow, query: dict) -> dict:
    report = readable_report(uow, query)
    items = [{k: a[k] for k in ("file_id", "content_type", "size", "sha256", "uploaded_at")}
             for a in report.get("attachments") or []]
    return {"tracking_id": report["_id"], "attachments": items}


def evidence_file(uow, query: dict) -> tuple[dict, bytes]:
    """(GridFS metadata, bytes) of one file of a report the official may read."""
    report = readable_report(uow, query)
    found = uow.reports.attachment(report["_id"], query["file_id"])
    if found is None:
        raise errors.not_found("file_id", "Attachment")
    return found


def evidence_page(uow, query: dict) -> dict:
    """The officials' evidence page of a report; 404 outside the official's scope (existence not revealed)."""
    canonical = parse_tracking_id(query["tracking_id"])
    report = uow.reports.get(canonical) if canonical else None
    if report is None or not evidence.may_read(query["principal"], report):
        raise errors.not_found("tracking_id", "Report")
    files = [{k: a[k] for k in ("file_id", "content_type", "size", "uploaded_at")}
             for a in report.get("attachments") or []]
    return {"tracking_id": report["_id"], "files": files, "anonymous": bool(report.get("is_anonymous")),
            "region_code": report.get("region_code")}

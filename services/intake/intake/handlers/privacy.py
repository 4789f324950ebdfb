"""Personal data's use cases (``intake.privacy`` has the rules): the retention sweep, a reporter's
erasure on request, and an admin's data-subject export. Each is audited in ``privacy_audit``."""
from __future__ import annotations

from contract import scope
from contract.auth import forbidden
from intake import domain, exceptions, metrics, privacy
from intake.handlers import hub_erasure
from intake.handlers.lookup import report_by_id

SWEEP_BATCH = 100  # reports erased per unit of work (the sweep runs again at once while more are due)


def _cutoff(uow):
    return privacy.closed_before(uow.now(), uow.settings.personal_data_retention_days)


def anything_past_retention(uow) -> bool:
    """Whether a report waits for the sweep (read only: an idle sweep opens no transaction)."""
    return bool(uow.privacy.past_retention(_cutoff(uow), 1))


def erase_expired(uow, limit: int = SWEEP_BATCH) -> int:
    """Erase the personal data of reports closed (and not reopened) longer ago than the retention
    (``PERSONAL_DATA_RETENTION_DAYS``); how many were erased (``limit``: more may be due)."""
    now = uow.now()
    due = uow.privacy.past_retention(_cutoff(uow), limit)
    for report in due:
        uow.privacy.erase(report, privacy.erasure(report, "retention", "system", now))
    if due:
        uow.after_commit(lambda: metrics.erased("retention", len(due)))
    return len(due)


def erase_on_request(uow, command: dict) -> dict:
    """A reporter's request (``tracking_id``, ``secret``) to erase their identity and contact details
    now, here and at every hub holding a copy of the report (``hubs``: asked; ``hubs_not_reached``):
    400/403/404 otherwise; asking again changes nothing (``already``)."""
    report = report_by_id(uow, command.get("tracking_id"))
    if not domain.secret_matches(report.get("secret_hash"), command.get("secret")):
        raise exceptions.wrong_secret()
    if privacy.is_erased(report):
        return {"tracking_id": report["_id"], "erased_at": report["personal_data_erased_at"],
                "reason": report.get("personal_data_erasure_reason"), "already": True, **hub_erasure.asked(report)}
    change = privacy.erasure(report, "request", "reporter", uow.now())
    uow.privacy.erase(report, change)
    uow.after_commit(lambda: metrics.erased("request"))
    return {"tracking_id": report["_id"], "erased_at": change["set"]["personal_data_erased_at"],
            "reason": "request", "already": False, **hub_erasure.tell_holders(uow, report, "request")}


def exportable(uow, query: dict) -> str:
    """The report an admin (``principal``) may export (national admin: any; agency admin: its
    agency's): its tracking ID; 400/403/404 otherwise."""
    principal = query["principal"]
    if principal["role"] not in privacy.EXPORTERS:
        raise forbidden("exporting this report's personal data")
    report = report_by_id(uow, query.get("tracking_id"))
    if not scope.can_read(principal, report.get("assignment") or {}):
        raise forbidden("exporting this report's personal data")
    return report["_id"]


def export_personal_data(uow, command: dict) -> dict:
    """Everything held about one report for a data-subject request (``tracking_id``, ``principal``,
    ``notifications``: what notification holds about it; ``secret``: the reporter's, handed over with
    their request, without which the contact values stay undisclosed), audited."""
    tracking_id = exportable(uow, command)
    report = uow.reports.with_history(tracking_id)
    secret = command.get("secret")
    if secret is not None and not domain.secret_matches(report.get("secret_hash"), secret):
        raise exceptions.wrong_secret("X-Reporter-Secret")
    disclosed = secret is not None
    entry = privacy.export_audit(tracking_id, command["principal"], disclosed, uow.now())
    uow.privacy.audit(entry)
    return privacy.export(report, uow.privacy.audit_of(tracking_id) + [entry], command.get("notifications") or [],
                          disclosed)

"""The report a reporter's request names, found one way for every handler that needs it."""
from __future__ import annotations

from contract.ids import parse_tracking_id
from intake import exceptions


def report_by_id(uow, tracking_id) -> dict:
    """The stored report of ``tracking_id`` (any spelling the ID's check accepts): 400 for something
    that is not a tracking ID, 404 for a report this hub does not hold."""
    canonical = parse_tracking_id(tracking_id) if isinstance(tracking_id, str) else None
    if canonical is None:
        raise exceptions.invalid_tracking_id()
    report = uow.reports.get(canonical)
    if report is None:
        raise exceptions.report_not_found()
    return report

"""Handlers of the KPI queries, monitoring reports, public statistics and the exact counters."""
from __future__ import annotations

from datetime import date

from assessment import access, domain, indicators, kpi, periods, reports, stats_page, survey
from contract.errors import ApiError, error, not_found


def require_agency(uow, principal: dict, agency_code: str) -> None:
    """An agency is known if it is the caller's, has reports here, or the registry names it (the
    names copy routing's ``registry_updated`` keeps); 404 otherwise."""
    if principal.get("agency_code") == agency_code or uow.kpi.agency_seen(agency_code):
        return
    if not uow.names.current().known("agencies", agency_code):
        raise not_found("agency_code", "Agency")


def period_scope(uow, principal: dict, query: dict) -> tuple[dict, str]:
    """The period asked and the scope the principal may see (an agency, or ``*``: hub-wide)."""
    period = periods.parse(query["period"])
    scope = access.agency_scope(principal, query["agency"])
    if scope is not None:
        require_agency(uow, principal, scope)
    return period, scope or "*"


def _totals(uow, scope: str, keys: list[str], months: int) -> dict | None:
    return next(iter(indicators.kpi_table(uow.kpi.cells(scope, "all", keys), months)), None)


def kpis(uow, period_text: str, by: str = "all", agency_code: str | None = None) -> dict:
    """KPI rows of one dimension for a period, hub-wide or for one agency."""
    if by not in kpi.DIMENSIONS:
        raise ApiError([error("by", "not_allowed")])
    period, scope = periods.parse(period_text), agency_code or "*"
    rows = indicators.kpi_table(uow.kpi.cells(scope, by, period["keys"]), len(period["months"]))
    return {"period": period["period"], "months": period["months"], "scope": scope, "by": by, "rows": rows}


def monitoring_report(uow, period: dict, scope: str) -> dict:
    """The monitoring report of a period (``reports.monitoring_report``): totals, months, breakdowns, target."""
    keys, months, n = period["keys"], period["months"], len(period["months"])
    totals = _totals(uow, scope, keys, n)
    dims = reports.BREAKDOWNS + (("agency",) if scope == "*" else ())
    breakdowns = {d: indicators.kpi_table(uow.kpi.cells(scope, d, keys), n) for d in dims}
    target = uow.assessments.target(scope, period["year"]) if scope != "*" and period["kind"] == "year" else None
    monthly = indicators.monthly_rows(uow.kpi.cells(scope, "all", months), months)
    return reports.monitoring_report(period, scope, totals, monthly, breakdowns,
                                     indicators.target_view(target, totals) if target else None,
                                     uow.settings.colours)


def public_stats(uow, period_text: str) -> dict:
    """Public statistics of a period: small cells suppressed, with the survey's index and grade."""
    period = periods.parse(period_text)
    keys, n, settings = period["keys"], len(period["months"]), uow.settings
    view = indicators.public_view(indicators.kpi_table(uow.kpi.cells("*", "agency", keys), n),
                                  indicators.kpi_table(uow.kpi.cells("*", "category", keys), n),
                                  _totals(uow, "*", keys, n), period, settings.min_cell_size, settings.colours)
    # the survey's respondents, IKM and grade (never its answers or suggestions), suppressed like the counts
    docs, hub = uow.surveys.totals_of_agencies(keys[0]), uow.surveys.totals("*", keys[0])
    templates = {t["id"]: t for t in uow.surveys.templates(sorted({d["template_id"] for d in docs + hub}))}
    return survey.add_public_survey(view, survey.results(hub, templates) if hub else None,
                                    survey.by_scope(docs, templates), settings.min_cell_size)


def counts(uow, public: bool) -> dict:
    """The exact counters per hub, region and agency; public ones with small cells suppressed."""
    return domain.counts_view(uow.kpi.legacy_counters(), uow.settings.min_cell_size if public else 0)


def statistics_page(uow, requested: str | None, today: date) -> dict:
    """What ``/statistik`` shows: the public statistics of the period asked (else the newest one
    offered), the periods offered, and the answers' satisfaction index when enough rated."""
    options = stats_page.period_options(today)
    chosen = requested or options[0]
    try:
        stats = public_stats(uow, chosen)
    except ApiError:
        chosen = options[0]
        stats = public_stats(uow, chosen)
    period, k = periods.parse(chosen), uow.settings.min_cell_size
    totals = _totals(uow, "*", period["keys"], len(period["months"]))
    rating_index = totals.get("satisfaction_index") if totals and totals.get("rating_count", 0) >= k else None
    return {"stats": stats, "options": options, "k": k, "rating_index": rating_index, "names": uow.names.current()}

"""Assessment's public page (docs/web.md): ``/statistik``, the published statistics of a chosen
period as server-rendered SVG charts, with links to the open-data downloads."""
from __future__ import annotations

import time

import eventlet
from nameko.web.handlers import http

from assessment import indicators, periods, stats_page
from contract import errors, web as weblayer
from contract.store import utcnow

NAMES_TTL_SECONDS = 60.0


class PublicPages:
    """Mixed into AssessmentService; needs ``self.web``, ``self.store``, ``self.settings``,
    ``self.routing`` and ``self.public_stats``."""

    _names_cache: tuple[float, dict] | None = None

    @http("GET", "/statistik")
    @weblayer.html
    def statistics_page(self, request):
        page = self.web.page(request)
        options = stats_page.period_options(utcnow().date())
        chosen = request.args.get("period") or options[0]
        try:
            stats = self.public_stats(chosen)
        except errors.ApiError:
            chosen = options[0]
            stats = self.public_stats(chosen)
        period = periods.parse(chosen)
        k = self.settings["min_cell_size"]
        totals = next(iter(indicators.kpi_table(self.store.cells("*", "all", period["keys"]),
                                                len(period["months"]))), None)
        rating_index = totals.get("satisfaction_index") if totals and totals.get("rating_count", 0) >= k else None
        names = self._registry_names(page.lang)
        few = page._("stats.fewer", k=k)
        colour_labels = {c: page._("stats.colour_" + c) for c in ("green", "yellow", "red")}
        charts = {
            "topics": stats_page.hbar_chart(stats_page.topic_rows(stats["top_topics"], names["categories"], few)),
            "agencies": stats_page.hbar_chart(stats_page.agency_rows(stats["agencies"], names["agencies"], few),
                                              maximum=100),
            "colours": stats_page.hbar_chart(stats_page.colour_rows(stats["agencies"], colour_labels)),
            "satisfaction": stats_page.hbar_chart(stats_page.satisfaction_rows(
                (stats.get("survey") or {}).get("ikm"), rating_index,
                {"ikm": page._("stats.ikm"), "rating": page._("stats.rating_index")}, few), maximum=100),
        }
        return page.render("statistics.html", stats=stats, chosen=stats["period"], options=options, charts=charts,
                           k=k, survey=stats.get("survey") or {}, rating_index=rating_index)

    def _registry_names(self, lang: str) -> dict:
        """Category and agency names from routing's registry (cached briefly; codes if it is down)."""
        cached = PublicPages._names_cache
        if cached is None or cached[0] < time.monotonic():
            try:
                with eventlet.Timeout(3):
                    registry = self.routing.export_registry() or {}
            except (eventlet.Timeout, Exception):
                registry = {}
            PublicPages._names_cache = (time.monotonic() + NAMES_TTL_SECONDS, registry)
            cached = PublicPages._names_cache
        registry = cached[1]
        key = "name_en" if lang == "en" else "name_id"
        return {"categories": {c["code"]: c.get(key) or c.get("name_id") or c["code"]
                               for c in registry.get("categories") or []},
                "agencies": {a["code"]: a.get(key) or a.get("name") or a["code"] for a in registry.get("agencies") or []}}

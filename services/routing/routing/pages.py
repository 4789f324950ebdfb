"""Officials' workflow pages (routing owns the queues): the inbox and a report's page with exactly
the actions the API would allow, through the same entrypoint helpers (``_inbox``, ``_readable``,
``_view``, ``_act``): the same scope rules, the same refusals."""
from __future__ import annotations

from marshmallow import ValidationError
from nameko.web.handlers import http

from contract import errors, vocab
from contract.errors import ApiError
from contract.officials_web import official_page
from routing import schemas
from routing.domain import forwarding, workflow

FILTERS = ("queue", "status", "indicator", "category_code", "page")
ACTION_FIELDS = ("reason", "version", "until", "agency_code", "unit_code", "target_hub")


def _filters(args) -> dict:
    """The inbox filters a page link or the filter form carries (blank ones left out)."""
    return {k: args[k] for k in FILTERS if args.get(k)}


class WorkflowPages:
    """Mixed into RoutingService; needs ``official_web``, ``registry`` and the entrypoint helpers."""

    @http("GET", "/petugas")
    @official_page()
    def inbox_page(self, request, page, principal):
        filters = _filters(request.args)
        try:
            body = self._inbox(principal, {**filters, "per_page": 25})
        except (ValidationError, ApiError) as exc:
            body, filters = self._inbox(principal, {"per_page": 25}), {**filters, "errors": page.field_errors(exc)}
        names = self._names(page.lang)
        return page.render("inbox.html", inbox=body, filters=filters, categories=sorted(names["categories"].items()),
                           queues=schemas.QUEUES, statuses=schemas.STATUSES, names=names)

    @http("GET", "/petugas/")
    @official_page()
    def inbox_page_slash(self, request, page, principal):
        return page.redirect("/petugas" + (f"?{request.query_string.decode()}" if request.query_string else ""))

    @http("GET", "/petugas/laporan/<string:tracking_id>")
    @official_page()
    def report_page(self, request, page, principal, tracking_id):
        return self._render_report(page, principal, self._readable(principal, tracking_id), {},
                                   request.args.get("notice"))

    @http("POST", "/petugas/laporan/<string:tracking_id>/<string:action>")
    @official_page()
    def act_page(self, request, page, principal, tracking_id, action):
        if action not in schemas.ACTION_BODIES and action != "forward":
            raise errors.not_found("action", "Action")
        raw = {k: request.form[k] for k in ACTION_FIELDS if request.form.get(k, "").strip()}
        if "version" in raw and raw["version"].isdigit():
            raw["version"] = int(raw["version"])
        try:
            if action == "forward":  # another hub (docs/hubs.md), through the API's own helper
                updated = self._forward(principal, tracking_id, raw)
            else:
                updated = self._act(principal, tracking_id, action, raw)
        except (ValidationError, ApiError) as exc:
            if isinstance(exc, ApiError) and exc.status in (404, 503):
                raise
            status = exc.status if isinstance(exc, ApiError) else 400
            return self._render_report(page, principal, self._readable(principal, tracking_id),
                                       {action: page.field_errors(exc)}, None, status)
        return page.redirect(f"/petugas/laporan/{updated['_id']}?notice={action}")

    def _names(self, lang: str) -> dict:
        """Category and region names by code, for showing codes as people read them."""
        return {"categories": {c["code"]: c["name_id"] if lang == "id" else c["name_en"]
                               for c in vocab.with_uncategorised(
                                   self.registry.listing("categories", ("name_id", "name_en")))},
                "regions": {r["code"]: r["name"] for r in self.registry.listing("regions", ("name",))}}

    def _render_report(self, page, principal, item, action_errors, notice, status=200):
        view = self._view(principal, item)
        agencies, units = [], []
        if {"disposition", "redisposition", "return"} & set(view["allowed_actions"]):
            agencies = [(a["code"], a["name"]) for a in self.registry.listing("agencies", ("name",))]
            if principal["role"] == "agency_admin":
                units = [(u["code"], u["name"]) for u in self.registry.listing("units", ("name", "agency_code"))
                         if u.get("agency_code") == principal["agency_code"]]
        hubs = []
        if (principal["role"] in forwarding.FORWARDING_ROLES and view["allowed_actions"]
                and item["status"] in workflow.OPEN_STATUSES):
            here = str(self.config["HUB_CODE"])
            hubs = [(h["code"], f"{h['name']} ({h['code']})") for h in self.registry.hubs() if h["code"] != here]
        return page.render("report.html", status=status, report=view, agencies=agencies, units=units, hubs=hubs,
                           action_errors=action_errors, notice=notice, role=principal["role"],
                           names=self._names(page.lang), timezone=item.get("timezone"))

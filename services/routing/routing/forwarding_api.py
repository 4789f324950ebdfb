"""Routing's entrypoint for forwarding a report by hand to another hub (Bukan Wewenang across
hubs): the same ``report_forwarded`` path as a rule's forward, with the official's reason
audited; intake then sends the transfer (docs/hubs.md)."""
from __future__ import annotations

from nameko.events import event_handler
from nameko.web.handlers import http

from contract import events, http as api_http
from contract.consumer import consume
from contract.store import utcnow
from routing import exceptions, observability, schemas
from routing.domain import forwarding, workflow


class ForwardingEntrypoints:
    """Mixed into RoutingService; needs ``self.desk``, ``self.registry``, ``self.outbox``, ``self.config``."""

    @http("POST", "/admin/reports/<string:tracking_id>/forward")
    @api_http.api
    def forward(self, request, tracking_id):
        principal = self._official(request)
        body = schemas.ForwardIn().load(api_http.read_json(request))
        item = self._readable(principal, tracking_id)
        here = str(self.config["HUB_CODE"])
        try:
            forwarding.check_manual_forward(principal, item, body["target_hub"], here, self.registry.hubs())
        except workflow.ActionRefused as exc:
            observability.refused("forward", exc.kind)
            raise exceptions.refused(exc)
        if body.get("version") not in (None, item["version"]):
            raise exceptions.stale(workflow.actions_for(principal, item))
        changes, entry, event = forwarding.manual_forward(item, principal, body["target_hub"], body["reason"], here,
                                                          utcnow())
        try:
            updated = self.desk.act(item, changes, entry, [event])
        except exceptions.StaleState:
            raise exceptions.stale(workflow.actions_for(principal, self.desk.get(item["_id"]) or item))
        observability.acted("forward", principal["role"])
        self.outbox.wake()
        return api_http.json_response(200, self._view(principal, updated))

    @event_handler("intake", events.REPORT_HANDED_BACK, requeue_on_error=True)
    def on_report_handed_back(self, payload):
        """A forwarded report came back "not ours either": into the national admin's triage."""
        def apply(event):
            item = self.desk.get(event["tracking_id"])
            moved = forwarding.handed_back(item, event, utcnow())
            return bool(moved) and self.desk.hand_back(event["event_id"], item, *moved)
        consume(self.metrics, events.REPORT_HANDED_BACK, payload, apply)

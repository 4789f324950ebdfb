"""The reporter's actions on a forwarded report, taken where they filed and carried to the owner hub
(issue 19, "the citizen keeps one place"; docs/hubs.md, "The citizen keeps one place").

The hub where the citizen filed (the origin) checks the reporter's secret and sends an ``action``
hub message to the hub that holds the report: a reply, a rating, a reopening or evidence. The
owner applies each action once, by its ``action_id`` (a redelivery, or the same message through
another relay, changes nothing), and its answers come back as ``status`` messages with the
steps of ``CASE_STEPS``.

Only hubs that read version 2 know these: a route with a hub declared ``message_version: 1``
(``route_version``) carries no action and no new step; the origin refuses the action with a
message naming the hub, and the owner sends only the version-1 steps along it.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Iterable, Mapping

from marshmallow import RAISE, ValidationError, fields, validate, validates_schema

from contract import errors, hubnet, i18n
from contract.schema import Schema

ACTIONS = ("reply", "rate", "reopen", "evidence")
# the owner's steps on the case beyond version 1's (hubwire.STEPS): sent along version-2 routes only
CASE_STEPS = ("updated", "rated", "reopened", "due_soon", "overdue")
ACTION_ID = r"^[a-f0-9]{32}$"
# what a status carries of the owner's case, to show it at the origin (strings: the status detail's)
CASE_FIELDS = ("case_status", "stage", "due_at", "overall_due_at", "indicator", "reopen_until", "rating",
               "message_id", "message_kind", "message_body", "message_at")


class Strict(Schema):
    class Meta:
        unknown = RAISE


class ActionEvidence(Strict):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=200))
    content_type = fields.String(required=True, validate=validate.OneOf(("image/jpeg", "image/png",
                                                                         "application/pdf")))
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    data = fields.String(required=True, validate=validate.Length(max=7 * 1024 * 1024))


class ActionBody(Strict):
    """One reporter action (the secret is checked at the origin and never travels)."""
    action_id = fields.String(required=True, validate=validate.Regexp(ACTION_ID))
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    body = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=10000))
    rating = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(1, 5))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=5, max=2000))
    evidence = fields.List(fields.Nested(ActionEvidence), load_default=list, validate=validate.Length(max=1))

    @validates_schema
    def check(self, data, **kwargs):
        needs = {"reply": "body", "rate": "rating", "reopen": "reason", "evidence": "evidence"}[data["action"]]
        if not data.get(needs):
            raise ValidationError(f"A {data['action']} action needs its {needs}.", needs)


def new_action(action: str, now: datetime, **form) -> dict:
    """An action body with a fresh ``action_id`` (validated)."""
    body = {"action_id": uuid.uuid4().hex, "action": action, "at": now, **form}
    return ActionBody().load(ActionBody().dump(body))


def form_of(action: dict) -> dict:
    """The form followup's reporter handlers take for a relayed reply, rating or reopening."""
    if action["action"] == "reply":
        return {"body": action["body"], "attachments": []}
    if action["action"] == "rate":
        return {"rating": action["rating"], "comment": action.get("comment")}
    return {"reason": action["reason"]}


def route_version(directory: Iterable[Mapping], here: str, target: str) -> tuple[int, str | None]:
    """The oldest message version declared on the route from ``here`` to ``target`` (both ends
    included) and the first hub declaring it (None when every hub reads version 2)."""
    directory = list(directory)
    hubs = {str(h.get("code")): h for h in directory}
    try:
        route = hubnet.path(directory, here, target)
    except (KeyError, StopIteration, hubnet.DirectoryError):
        return 1, target
    for code in route:
        try:
            version = int((hubs.get(code) or {}).get("message_version") or 2)
        except (TypeError, ValueError):
            version = 2
        if version < 2:
            return 1, code
    return 2, None


def case_detail(case: Mapping) -> dict:
    """The owner's case as a status detail carries it back (strings; ``CASE_FIELDS``)."""
    out = {}
    for key in CASE_FIELDS:
        value = case.get(key)
        if value is None:
            continue
        out[key] = value.isoformat() if isinstance(value, datetime) else str(value)
    return out


def relay_refused(code: str, hub: str, field: str, names=None) -> errors.ApiError:
    """409 ``relay_<code>``: the reporter's action on a report held at another hub cannot be sent
    there now (the texts are the pages', ``relay.<code>`` in the contract's catalogue), naming the
    hub as ``registry_names.hub_name`` does with the registry's ``names``."""
    from contract.registry_names import hub_name
    return errors.ApiError([errors.error(field, f"relay_{code}",
                                         i18n.text(f"relay.{code}", "en", hub=hub_name(names, hub, "en")),
                                         i18n.text(f"relay.{code}", "id", hub=hub_name(names, hub, "id")))],
                           status=409)

"""A hub joins its parent with a one-time token (issue 19; docs/hubs.md, "A hub joins").

``invite`` (the parent's operator: ``routing.cli hub-invite CODE``) issues a join token for one
hub code, stored hashed with its expiry; ``join`` (``POST /hubs/join`` on the parent's front door)
takes the new hub's keys and address with the token: a wrong, used or expired token, or one for
another code, is refused and audited; a good one is used up, audited, and the new hub's directory
entry is added as this hub's child, which this hub publishes (its directory part,
``routing.handlers.hubparts``), so the entry travels to every hub.
"""
from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from contract import hublink, hubnet
from contract.auth import token_hash
from contract.errors import ApiError, error
from contract.web import Catalogue
from routing import registry_io
from routing.handlers import hubparts

MESSAGES = Catalogue(Path(__file__).resolve().parent.parent / "messages.yml")
CHILD_TIER = {"national": "province", "province": "district"}
REFUSALS = {"wrong_token": ("token", "forbidden", 403), "other_code": ("code", "forbidden", 403),
            "used_token": ("token", "conflict", 409), "expired_token": ("token", "expired", 410),
            "known_code": ("code", "conflict", 409), "no_child": ("code", "not_allowed", 409)}


def refusal(reason: str) -> ApiError:
    field, code, status = REFUSALS[reason]
    key = f"hubjoin.{reason}"
    return ApiError([error(field, code, MESSAGES.text(key, "en"), MESSAGES.text(key, "id"))], status=status)


def _tier(uow) -> str | None:
    here = uow.settings.hub_code
    return next((h.get("tier") for h in uow.registry.hubs() if h["code"] == here), None)


def invite(uow, code: str, hours: int = 24, issued_by: str = "operator") -> dict:
    """A one-time join token for hub ``code`` (shown once, stored hashed), expiring in ``hours``."""
    if any(h["code"] == code for h in uow.registry.hubs()):
        raise refusal("known_code")
    if _tier(uow) not in CHILD_TIER:
        raise refusal("no_child")
    token, now = "join_" + secrets.token_urlsafe(24), uow.now()
    expires_at = now + timedelta(hours=int(hours))
    uow.registry.add_hub_invite({"_id": token_hash(token), "code": code, "issued_at": now, "issued_by": issued_by,
                                 "expires_at": expires_at, "used_at": None})
    uow.registry.audit_hub_join({"action": "invited", "code": code, "by": issued_by, "at": now,
                                 "expires_at": expires_at})
    return {"token": token, "code": code, "expires_at": expires_at.isoformat()}


def join(uow, body: dict, client: str | None) -> dict:
    """The new hub's entry added as this hub's child, published; or ``{"refused": reason}``
    (audited in this unit of work: the entrypoint answers the refusal after it commits)."""
    here, now, code = uow.settings.hub_code, uow.now(), body["code"]
    invitation = uow.registry.hub_invite(token_hash(body["token"]))
    reason = None
    if invitation is None:
        reason = "wrong_token"
    elif invitation["code"] != code:
        reason = "other_code"
    elif invitation.get("used_at") is not None:
        reason = "used_token"
    elif _aware(invitation["expires_at"]) <= now:
        reason = "expired_token"
    elif any(h["code"] == code for h in uow.registry.hubs()):
        reason = "known_code"
    elif _tier(uow) not in CHILD_TIER:
        reason = "no_child"
    audit = {"code": code, "by": code, "client": client, "at": now}
    if reason:
        uow.registry.audit_hub_join({**audit, "action": "join_refused", "reason": reason})
        return {"refused": reason}
    entry = {"code": code, "name": body["name"], "tier": CHILD_TIER[_tier(uow)], "parent": here,
             "public_url": body["public_url"], "public_key": body["public_key"], "signing_key": body["signing_key"]}
    if body.get("message_version"):
        entry["message_version"] = body["message_version"]
    registry = uow.registry
    checked, problems = registry_io.validate({"hubs": [entry]}, {}, registry.known_codes(), registry.all_rules(),
                                             registry.unit_agencies(), registry.hubs())
    if problems:
        raise ApiError(problems)
    uow.registry.use_hub_invite(invitation["_id"], now)
    registry.import_registry(checked, here)
    hubparts.publish_own_parts(uow)  # this hub's directory part: the new entry travels to every hub
    uow.registry.audit_hub_join({**audit, "action": "joined", "public_url": entry["public_url"],
                                 "linked": body.get("link") is not None})
    directory = registry.hubs()
    shared = {name: rows for name, rows in registry.export().items() if name != "officials"}  # never published
    answer = {"hub": entry, "parent": here, "neighbours": hubnet.neighbours(directory, code), "directory": directory,
              "registry": shared}  # what the new hub starts from: the parts published before it joined
    if body.get("link"):
        answer["link"] = _link(uow, code, body["link"], now)
    return answer


def _link(uow, code: str, link: dict, now) -> dict:
    """The link kept for the link keeper (the new hub's login here as a hash: this broker only verifies
    it; this hub's login there in clear: its shovel needs it); the answer: the new hub's login here."""
    password = secrets.token_hex(24)
    uow.registry.set_hub_link({"_id": code, "inbound_password_hash": hublink.password_hash(password),
                               "neighbour_address": link["amqp_address"], "neighbour_password": link["password"],
                               "at": now})
    return {"user": hubnet.link_user(code), "password": password, "amqp_address": uow.settings.link_address,
            "parent_user": hubnet.link_user(uow.settings.hub_code)}


def _aware(at):
    from datetime import timezone
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)

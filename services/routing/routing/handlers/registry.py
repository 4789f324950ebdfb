"""Routing's use cases on the organisation registry and officials' tokens: import and export,
public listings, recipients and units for other services, tokens issued and revoked."""
from __future__ import annotations

from contract import i18n
from contract.errors import ApiError
from routing import domain, exceptions, registry_io
from routing.handlers import hubparts
from routing.domain import signin


def import_registry(uow, data: dict, lines: dict) -> dict:
    """Validate a whole registry (cross-references, rule ties) and apply it: counts per collection,
    or ApiError with every problem and nothing applied."""
    registry = uow.registry
    checked, problems = registry_io.validate(data, lines, registry.known_codes(), registry.all_rules(),
                                             registry.unit_agencies(), registry.hubs())
    if problems:
        raise ApiError(problems)
    counts = registry.import_registry(checked, uow.settings.hub_code)
    hubparts.publish_own_parts(uow)  # what this hub owns and changed travels to every hub
    return counts


def export_registry(uow) -> dict:
    return uow.registry.export()


def listing(uow, kind: str, fields: tuple[str, ...], lang: str) -> list[dict]:
    """A public list of the registry (categories named in the asked language)."""
    items = uow.registry.listing(kind, fields)
    if kind == "categories":
        items = [{**c, "name": i18n.localized(c, lang)} for c in items]
    return items


def recipients(uow, ref) -> list[dict]:
    """Contacts of the officials behind a recipient reference (see domain.recipients_query)."""
    query = domain.active(domain.recipients_query(ref)) if isinstance(ref, str) else None
    if query is None:
        return []
    return [{"official_id": o["_id"], "name": o.get("name"), "role": o["role"], "email": o.get("email"),
             "phone": o.get("phone")} for o in uow.registry.officials_where(query)]


def unit(uow, code: str) -> dict | None:
    return uow.registry.unit(code)


def counts(uow) -> dict:
    return uow.registry.counts()


def managed_official(uow, principal: dict, official_id: str) -> dict:
    """The official an admin may manage (their agency's, or anyone of the hub for the national
    admin); 404 otherwise."""
    official = uow.registry.official(official_id)
    if not domain.may_manage_official(principal, official):
        raise exceptions.official_not_found()
    return official


def issue_token(uow, official_id: str, days: int = 30, issued_by: str = "operator") -> dict:
    """A new token for an official (shown once; only its hash is stored), audited as issued by
    ``issued_by``: the operator's (``routing.cli token``), never a service's."""
    official = uow.registry.official(official_id)
    if official is None:
        raise exceptions.official_not_found()
    token, doc = domain.new_token(official, uow.now(), int(days))
    uow.registry.add_token(doc)
    uow.accounts.record(signin.account_entry("token_issued", issued_by, official_id, uow.now(), days=int(days),
                                             expires_at=doc["expires_at"]))
    return {"token": token, "official_id": official_id, "expires_at": doc["expires_at"].isoformat()}


def issue_token_by(uow, principal: dict, official_id: str, days: int) -> dict:
    """An admin issues a token for an official they manage."""
    managed_official(uow, principal, official_id)
    return issue_token(uow, official_id, days, principal["official_id"])


def revoke_tokens(uow, official_id: str, revoked_by: str = "operator") -> dict:
    revoked = uow.registry.revoke_tokens(official_id)
    uow.accounts.record(signin.account_entry("tokens_revoked", revoked_by, official_id, uow.now(), revoked=revoked))
    return {"revoked": revoked}


def revoke_tokens_by(uow, principal: dict, official_id: str) -> dict:
    """An admin revokes every token of an official they manage."""
    managed_official(uow, principal, official_id)
    return revoke_tokens(uow, official_id, principal["official_id"])

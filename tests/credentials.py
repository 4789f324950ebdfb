"""Officials' credentials for tests, issued the way the operator's CLI issues them
(``routing.cli``: routing's handlers through the container-free store on routing's database).
No service, not even the operator over RPC, can mint a token or a password link (issue 20).

``config`` is a service config (``service_config`` in the integration tests: ``MONGODB_URI`` and
``MONGODB_DATABASE_PREFIX``) or just ``{"MONGODB_URI": ...}`` for a running stack (``lapor_routing``).
"""
from __future__ import annotations

from contract.store import acquire_client, database_name, release_client


def _run(config: dict, handler, *args):
    from routing.dependencies import store_at
    uri = config["MONGODB_URI"]
    client = acquire_client(uri)
    try:
        return store_at(client, client[database_name(config, "routing")], config).units().run(handler, *args)
    finally:
        release_client(uri)


def issue_token(config: dict, official_id: str, days: int = 30) -> str:
    """A new bearer token for an official (audited as issued by the operator)."""
    from routing import handlers
    return _run(config, handlers.issue_token, official_id, days, "operator")["token"]


def bearer(config: dict, official_id: str, days: int = 30) -> dict:
    """``Authorization`` headers with a new token for an official."""
    return {"Authorization": f"Bearer {issue_token(config, official_id, days)}"}


def password_link(config: dict, official_id: str, hours: int = 48) -> str:
    """A one-time link's path (``/petugas/sandi/<token>``) for an official to set a password."""
    from routing import handlers
    return _run(config, handlers.issue_password_link, official_id, hours, "operator")["path"]


def revoke_tokens(config: dict, official_id: str) -> int:
    """Revoke every token of an official: how many. (Services cache a token's answer up to
    ``ROUTING_AUTH_CACHE_SECONDS``/``AUTH_CACHE_SECONDS``; the operator's revocation is not in
    their processes.)"""
    from routing import handlers
    return _run(config, handlers.revoke_tokens, official_id, "operator")["revoked"]

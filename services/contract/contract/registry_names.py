"""Names of categories, agencies, units and hubs (and each hub's public address) for pages, from routing's registry over RPC
(``routing.export_registry``), cached briefly per process; codes stand in while routing is down."""
from __future__ import annotations

import time

import eventlet

TTL_SECONDS = 60.0
_cache: dict[str, tuple[float, dict]] = {}


def registry_names(routing, lang: str, timeout: float = 3.0) -> dict[str, dict[str, str]]:
    """``{"categories": {code: name}, "agencies": {...}, "units": {...}, "hubs": {...},
    "hub_urls": {code: public_url}}`` in ``lang``."""
    cached = _cache.get("registry")
    if cached is None or cached[0] < time.monotonic():
        try:
            with eventlet.Timeout(timeout):
                registry = routing.export_registry() or {}
            _cache["registry"] = (time.monotonic() + TTL_SECONDS, registry)
        except (eventlet.Timeout, Exception):
            _cache["registry"] = (time.monotonic() + 5.0, cached[1] if cached else {})  # retry soon
        cached = _cache["registry"]
    registry = cached[1]
    key = "name_en" if lang == "en" else "name_id"

    def named(items):
        return {i["code"]: i.get(key) or i.get("name_id") or i.get("name") or i["code"] for i in items or []}
    return {"categories": named(registry.get("categories")), "agencies": named(registry.get("agencies")),
            "units": named(registry.get("units")), "hubs": named(registry.get("hubs")),
            "hub_urls": {str(h["code"]): h["public_url"].rstrip("/") for h in registry.get("hubs") or []
                         if h.get("public_url")}}

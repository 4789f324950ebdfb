"""The registry parts hubs publish (contract.hubregistry; docs/hubs.md, "One registry"): routing
keeps the version of each (owner, part) it published or applied, says when a part this hub owns
changed (``hub_part_published``, which intake signs and sends on the links), and applies the
parts other hubs published (``hub_part_received``, which intake believed)."""
from __future__ import annotations

import logging

from contract import events, hubregistry
from routing import registry_io

log = logging.getLogger(__name__)


def publish_own_parts(uow) -> list[dict]:
    """After an import here: each part this hub owns whose content changed gets a new version and
    goes out as ``hub_part_published`` (the parts published, ``[]`` when nothing of this hub's changed)."""
    here, now = uow.settings.hub_code, uow.now()
    rows = uow.registry.export()
    published = []
    for part in hubregistry.PARTS:
        document = hubregistry.owned_part(rows, here, part)
        digest = hubregistry.digest(document)
        stored = uow.registry.hub_part(here, part)
        if stored is not None and stored.get("digest") == digest:
            continue
        if stored is None and not any(document.values()):
            continue  # this hub owns nothing of this part, and never published it
        version = hubregistry.next_version(stored and stored.get("version"), now)
        uow.registry.record_hub_part(here, part, version, digest)
        payload = {"owner_hub": here, "part": part, "version": version, "published_at": now, "document": document}
        uow.stage([events.build(events.HUB_PART_PUBLISHED, here, **payload)])
        published.append(payload)
    return published


def apply_hub_part(uow, event_type: str, event: dict) -> str:
    """Another hub's part, believed by intake: applied when newer than the version here, only over
    the rows that hub owns (``hubregistry.merge``); ``applied``, ``not_newer``, ``own_part`` or ``invalid``."""
    here, owner, part, version = uow.settings.hub_code, event["owner_hub"], event["part"], event["version"]
    if owner == here:
        return _refused(owner, part, "own_part", f"hub {here}'s own {part} is its own")
    stored = uow.registry.hub_part(owner, part)
    if stored is not None and stored["version"] >= version:
        return _refused(owner, part, "not_newer", f"version {version} is not newer than {stored['version']}")
    registry = uow.registry
    writes, deletes = hubregistry.merge(registry.export(), owner, part, event["document"], here)
    checked, problems = registry_io.validate(writes, {}, registry.known_codes(), registry.all_rules(),
                                             registry.unit_agencies(), registry.hubs())
    if problems:
        return _refused(owner, part, "invalid", "; ".join(f"{p.get('field')}: {p.get('message')}" for p in problems[:5]))
    registry.remove(deletes)
    registry.import_registry(checked, here)  # registry_updated: intake's copy and links follow
    registry.record_hub_part(owner, part, version, hubregistry.digest(event["document"]))
    log.info("hub %s's %s version %s applied: %s written, %s removed", owner, part, version,
             {k: len(v) for k, v in writes.items()}, {k: len(v) for k, v in deletes.items()})
    uow.after_commit(lambda: hubregistry.count_applied(owner, part))
    return "applied"


def _refused(owner: str, part: str, reason: str, detail: str) -> str:
    log.warning("hub %s's %s not applied here: %s: %s", owner, part, reason, detail)
    hubregistry.count_refused(owner, part, reason)
    return reason

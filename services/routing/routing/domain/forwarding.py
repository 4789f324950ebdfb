"""Routing's part of the hub network: the directory a registry import leaves, and forwarding a
report by hand to another hub (Bukan Wewenang across hubs).

Plain functions on plain dicts: no nameko, pymongo or kombu here.
"""
from __future__ import annotations

import re

from contract import hubnet
from contract.errors import error

_HUB_IN_PROBLEM = re.compile(r"^hub (\S+?):")


def hub_doc(item: dict) -> dict:
    """A stored or imported hub as a directory entry (``level`` was ``tier``'s first name)."""
    code = item.get("code") or item.get("_id")
    return {"code": str(code), "name": item.get("name"), "tier": item.get("tier") or item.get("level"),
            "parent": item.get("parent"), "region_code": item.get("region_code"),
            "public_url": item.get("public_url"), "public_key": item.get("public_key")}


def merged_directory(file_hubs: list[dict], stored_hubs: list[dict]) -> list[dict]:
    """The directory as it will stand after an import: the file's hubs replace stored ones."""
    merged = {h["code"]: h for h in map(hub_doc, stored_hubs)}
    merged.update({h["code"]: h for h in map(hub_doc, file_hubs)})
    return list(merged.values())


def directory_problems(file_hubs: list[dict], stored_hubs: list[dict]) -> list[dict]:
    """Contract error items when the directory after the import is not a tree of tiers."""
    if not file_hubs:
        return []
    position = {str(h["code"]): i for i, h in enumerate(file_hubs)}
    items = []
    for problem in hubnet.validate_directory(merged_directory(file_hubs, stored_hubs)):
        match = _HUB_IN_PROBLEM.match(problem)
        index = position.get(match.group(1)) if match else None
        field = f"hubs.{index}.parent" if index is not None else "hubs"
        items.append(error(field, "invalid", f"Hub directory: {problem}.",
                           f"Direktori simpul tidak membentuk pohon tingkatan: {problem}."))
    return items


def directory_for_event(stored_hubs: list[dict]) -> list[dict]:
    """The directory as ``registry_updated`` carries it (no credentials are ever stored)."""
    return [{k: v for k, v in hub_doc(h).items() if k != "region_code"} for h in stored_hubs
            if (h.get("tier") or h.get("level"))]


def forward_target_problem(target_hub: str, own_hub: str, directory: list[dict]) -> dict | None:
    """Why an official cannot forward to ``target_hub`` (None when they can)."""
    codes = {h["code"] for h in map(hub_doc, directory)}
    if target_hub == own_hub:
        return error("target_hub", "invalid", "The report is already at this hub.", "Laporan sudah berada di simpul ini.")
    if target_hub not in codes:
        return error("target_hub", "not_found", f"Unknown hub {target_hub!r}.", f"Simpul {target_hub!r} tidak dikenal.")
    return None

"""Which reports an official may read: one rule for every service that shows report data.

routing owns where a report stands (``routing.disposition``); any service showing records of a
report (notification's delivery records, ...) applies this same rule to that standing.
"""
from __future__ import annotations


def can_read(principal: dict, holder: dict) -> bool:
    """National admins read all; agency admins and supervisors their agency's reports; liaisons
    their unit's. ``holder`` carries the report's ``agency_code`` and ``unit_code``."""
    role = principal["role"]
    if role == "national_admin":
        return True
    if role in ("agency_admin", "supervisor"):
        return holder.get("agency_code") is not None and holder["agency_code"] == principal.get("agency_code")
    return holder.get("unit_code") is not None and holder["unit_code"] == principal.get("unit_code")

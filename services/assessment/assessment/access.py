"""Who may see and change which agency's assessment data."""
from __future__ import annotations

from contract.auth import forbidden

WRITERS = ("national_admin", "agency_admin")
READERS = ("national_admin", "agency_admin", "supervisor", "liaison")


def agency_scope(principal: dict, requested: str | None) -> str | None:
    """The agency a principal's query is limited to (None: hub-wide, national admins only)."""
    if principal["role"] == "national_admin":
        return requested
    if requested not in (None, principal.get("agency_code")):
        raise forbidden("another agency's figures")
    return principal.get("agency_code")


def require_write(principal: dict, agency_code: str) -> None:
    """National admins act for any agency; an agency admin only for their own."""
    if principal["role"] == "national_admin":
        return
    if principal["role"] != "agency_admin" or principal.get("agency_code") != agency_code:
        raise forbidden("changing another agency's assessment")


def require_read(principal: dict, agency_code: str) -> None:
    if principal["role"] != "national_admin" and principal.get("agency_code") != agency_code:
        raise forbidden("reading another agency's assessment")


# The satisfaction survey's paper forms are entered at the agency, by its own officials.
SURVEY_ENTRY = ("agency_admin", "liaison")


def require_survey_entry(principal: dict, agency_code: str) -> None:
    """Only an agency's own liaison officers and agency admin enter its paper survey forms."""
    if principal["role"] not in SURVEY_ENTRY or principal.get("agency_code") != agency_code:
        raise forbidden("entering another agency's survey forms")

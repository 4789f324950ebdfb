"""What followup's pages share (docs/web.md): the notices and errors a page may show, the
``@page`` entrypoint and reading the reporters' forms.  The entrypoints are in
``service.py``; what they read and change is in ``handlers``."""
from __future__ import annotations

from contract import web as weblayer
from contract.ids import parse_tracking_id
from followup import schemas

NOTICES = ("replied", "rated", "reopened", "evidence_added", "unlocked", "forgotten", "commented",
           "contact_erased")  # contact_erased: intake's /lapor/<id>/hapus-kontak (intake.privacy)
ERRORS = ("secret", "evidence_invalid", "evidence_too_many",
          # evidence for a report held at another hub that cannot take it now (issue 19, intake's page)
          "relay_version", "relay_pending", "relay_closed", "relay_no_case", "relay_not_open")
# the field a reporter's action's refusal is shown at
ACTION_FIELDS = {"reply": "body", "rate": "rating", "reopen": "reason"}


def canonical(tracking_id: str) -> str:
    """The tracking ID as stored; a page that is not a tracking ID is not found."""
    found = parse_tracking_id(tracking_id)
    if found is None:
        raise weblayer.NotFoundPage()
    return found


def notice(page, allowed=NOTICES) -> str | None:
    shown = page.request.args.get("notice")
    return shown if shown in allowed else None


def reporter_form(request, action: str) -> tuple[type, dict]:
    """The schema and the values of a reporter's action (reply, rate, reopen) posted by the page."""
    form = request.form
    if action == "reply":
        return schemas.ReplyIn, {"body": (form.get("body") or "").strip()}
    if action == "rate":
        rating = form.get("rating") or ""
        return schemas.RatingIn, {"rating": int(rating) if rating.isdigit() else rating or None,
                                  "comment": (form.get("comment") or "").strip() or None}
    return schemas.ReopenIn, {"reason": (form.get("reason") or "").strip()}

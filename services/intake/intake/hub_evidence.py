"""Evidence that arrives from another hub (a transfer's files, a reporter's attachments relayed to
the hub holding the report): decoded, checked against its sha256 and prepared as a file filed here."""
from __future__ import annotations

import base64
import binascii
import hashlib
import logging

from contract.http import safe_filename
from intake import evidence
from intake.hub_link import DeadLetter

log = logging.getLogger(__name__)


def decoded(body: dict) -> list[dict]:
    """The transfer's evidence as bytes, each checked against its sha256 (DeadLetter if not), then
    as a file filed here would be (issue 20): its type sniffed from the bytes (not the one declared),
    an anonymous report's file cleaned again, its name reduced to a safe set. A file that is not
    an accepted JPEG, PNG or PDF is dropped with a log line, not stored under a type it is not."""
    files = []
    anonymous = bool(body["report"]["is_anonymous"])
    for item in body["evidence"]:
        try:
            data = base64.b64decode(item["data"], validate=True)
        except (binascii.Error, ValueError):
            raise DeadLetter(f"evidence {safe_filename(item['filename'])!r} is not base64")
        if hashlib.sha256(data).hexdigest() != item["sha256"]:
            raise DeadLetter(f"evidence {safe_filename(item['filename'])!r} does not match its sha256")
        try:
            cleaned, content_type = evidence.prepare(data, anonymous)
        except evidence.BadEvidence as exc:
            log.warning("evidence %r of a transfer dropped: %s", safe_filename(item["filename"]), exc)
            continue
        files.append({**item, "bytes": cleaned, "content_type": content_type,
                      "sha256": hashlib.sha256(cleaned).hexdigest(),  # what is stored, passed on as it is
                      "filename": safe_filename(item["filename"], "evidence")})
    return files

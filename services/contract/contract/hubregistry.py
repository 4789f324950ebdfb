"""The directory and the registry, published by the hubs that own them (docs/hubs.md, "One registry").

Every row of the shared registry has one owner hub:

- a **directory** entry is owned by the hub's parent (the national hub owns its own entry and the
  provinces', a province its districts'), so that the hub that admits a new neighbour publishes it;
- a **region** or an **agency** by its ``hub``; a **unit** and a **rule** by their agency's hub;
  the **categories** by the national hub. Officials are never published (each hub's own people).

A hub publishes each part it owns, ``(owner, part)`` with ``part`` one of :data:`PARTS`, as a
document with a version number (strictly increasing per owner and part) signed with its hub
signing key (``owner_signature``, Ed25519 over :func:`signed_core`), in a hub message of kind
``registry`` on the existing shovel links. A hub that receives one believes it only when it came on
a neighbour's link, from that neighbour, its owner is in the directory and signed it, its version is
newer than the one applied here, and it is not this hub's own part; it then applies it and passes it
on to its other neighbours (a tree: each hub gets each publication once). Applying never touches a
row this hub owns, nor a row another hub owns (:func:`merge`).
"""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timezone

from marshmallow import RAISE, ValidationError, fields, validate

from prometheus_client import Counter

from contract import hubsign, hubwire
from contract.ids import HUB_CODE
from contract.metrics import never_fails
from contract.schema import Schema

KIND = "registry"
PARTS = ("directory", "registry")
REGISTRY_ROWS = ("regions", "agencies", "units", "rules", "categories")
MAX_DOCUMENT_ROWS = 20000
REASONS = ("no_link", "not_neighbour", "wrong_link", "unknown_owner", "no_signing_key", "bad_signature",
           "bad_link_signature", "own_part", "not_newer", "invalid")
ID_FIELD = {"rules": "id"}  # every other row: code


REFUSED = Counter("lapor_hub_registry_refused_total",
                  "Registry parts published by a hub and not applied here (intake: not believed; routing: not "
                  "newer, this hub's own, or invalid), by owner, part and reason.", ["owner", "part", "reason"])
APPLIED = Counter("lapor_hub_registry_applied_total", "Registry parts published by another hub and applied here.",
                  ["owner", "part"])


@never_fails
def count_refused(owner: str, part: str, reason: str) -> None:
    REFUSED.labels(owner, part, reason).inc()


@never_fails
def count_applied(owner: str, part: str) -> None:
    APPLIED.labels(owner, part).inc()


class Refused(ValueError):
    """A publication this hub does not apply (``reason``: one of :data:`REASONS`)."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


def _hub(**kwargs):
    return fields.String(validate=validate.Regexp(HUB_CODE), **kwargs)


class Publication(Schema):
    """A ``registry`` hub message (the link's ``signature`` is stripped before loading)."""

    class Meta:
        unknown = RAISE

    schema_version = fields.Integer(required=True, validate=validate.OneOf(hubwire.READ_VERSIONS))
    kind = fields.String(required=True, validate=validate.Equal(KIND))
    message_id = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{8,100}$"))
    owner_hub = _hub(required=True)
    part = fields.String(required=True, validate=validate.OneOf(PARTS))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    published_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    document = fields.Dict(keys=fields.String(validate=validate.OneOf(("hubs",) + REGISTRY_ROWS)),
                           values=fields.List(fields.Dict(), validate=validate.Length(max=MAX_DOCUMENT_ROWS)),
                           required=True)
    owner_signature = fields.String(required=True, validate=validate.Length(min=1, max=200))
    source_hub = _hub(required=True)
    hops = fields.List(_hub(), required=True, validate=validate.Length(min=1, max=16))


def load(body) -> dict:
    """A received publication, validated (``ValidationError`` when malformed)."""
    if not isinstance(body, dict):
        raise ValidationError("A hub message is a JSON object.")
    if body.get("schema_version") == hubwire.PREVIOUS_VERSION and hubsign.SIGNATURE_FIELD in body:
        raise ValidationError("Unknown field.", hubsign.SIGNATURE_FIELD)
    loaded = Publication().load({k: v for k, v in body.items() if k != hubsign.SIGNATURE_FIELD})
    if len(set(loaded["hops"])) != len(loaded["hops"]):
        raise ValidationError("A hub appears twice in the hop chain.", "hops")
    return loaded


# --- who owns what -----------------------------------------------------------------------------

def root_of(directory: list[dict]) -> str | None:
    return next((str(h["code"]) for h in directory if not h.get("parent")), None)


def entry_owner(entry: dict) -> str:
    """The hub that publishes a directory entry: its parent (the national hub: itself)."""
    return str(entry.get("parent") or entry["code"])


def row_owners(rows: dict[str, list[dict]], national: str | None) -> dict[str, dict[str, str]]:
    """Per collection, each row's key -> its owner hub (regions and agencies by ``hub``, units and
    rules by their agency's, categories the national hub's; a row with no owner is left out)."""
    agency_hub = {str(a["code"]): str(a["hub"]) for a in rows.get("agencies", []) if a.get("hub")}
    out: dict[str, dict[str, str]] = {name: {} for name in ("hubs",) + REGISTRY_ROWS}
    for entry in rows.get("hubs", []):
        out["hubs"][str(entry["code"])] = entry_owner(entry)
    for name in ("regions", "agencies"):
        out[name] = {str(r["code"]): str(r["hub"]) for r in rows.get(name, []) if r.get("hub")}
    for name in ("units", "rules"):
        field = ID_FIELD.get(name, "code")
        out[name] = {str(r[field]): agency_hub[str(r["agency_code"])] for r in rows.get(name, [])
                     if str(r.get("agency_code")) in agency_hub}
    if national:
        out["categories"] = {str(c["code"]): national for c in rows.get("categories", [])}
    return out


def key(name: str, row: dict) -> str:
    return str(row[ID_FIELD.get(name, "code")])


def owned_part(rows: dict[str, list[dict]], owner: str, part: str) -> dict[str, list[dict]]:
    """The rows of ``rows`` (an export) that ``owner`` publishes as ``part``, sorted by key."""
    national = root_of(rows.get("hubs", []))
    owners = row_owners(rows, national)
    names = ("hubs",) if part == "directory" else REGISTRY_ROWS
    document = {}
    for name in names:
        mine = [row for row in rows.get(name, []) if owners[name].get(key(name, row)) == owner]
        if mine or part == "directory":
            document[name] = sorted(mine, key=lambda row: key(name, row))
    return document


def digest(document: dict) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":"), default=str,
                                     ensure_ascii=False).encode()).hexdigest()


def next_version(stored: int | None, now: datetime) -> int:
    """A version newer than ``stored`` and than any this hub published before its store was lost
    (milliseconds since the epoch, or ``stored + 1`` if the clock stands behind it)."""
    return max(int(stored or 0) + 1, int(now.timestamp() * 1000))


def merge(current: dict[str, list[dict]], owner: str, part: str, document: dict, here: str
          ) -> tuple[dict[str, list[dict]], dict[str, list[str]]]:
    """What applying ``owner``'s ``part`` at hub ``here`` changes: (rows to write, keys to delete)
    per collection. Only rows the owner owns in the document are written, and only over rows it
    already owns (or new ones); rows it owned here and no longer publishes are deleted. Nothing
    this hub or a third hub owns is touched."""
    national = root_of(current.get("hubs", []))
    if part == "directory":
        national = root_of(document.get("hubs", [])) or national
    now_owned = row_owners(current, national)
    claimed = row_owners({**{n: document.get(n, []) for n in ("hubs",) + REGISTRY_ROWS},
                          "agencies": current.get("agencies", []) + document.get("agencies", [])}, national)
    writes: dict[str, list[dict]] = {}
    deletes: dict[str, list[str]] = {}
    names = ("hubs",) if part == "directory" else REGISTRY_ROWS
    for name in names:
        rows = document.get(name, [])
        published = set()
        for row in rows:
            k = key(name, row)
            if claimed[name].get(k) != owner or owner == here:
                continue  # not the publisher's row: never taken from it
            if now_owned[name].get(k, owner) != owner:
                continue  # owned here, or by a third hub: theirs stays theirs
            if name == "hubs" and k == here:
                published.add(k)  # this hub's own entry: its parent's, but this hub's keys stay as they are
                continue
            published.add(k)
            writes.setdefault(name, []).append(row)
        gone = [k for k, who in now_owned[name].items() if who == owner and k not in published and k != here]
        if gone:
            deletes[name] = sorted(gone)
    return writes, deletes


# --- signing -----------------------------------------------------------------------------------

def signed_core(publication: dict) -> dict:
    """What the owner signs: the part, its version and content (no envelope: relays change that)."""
    at = publication["published_at"]
    return {"owner_hub": publication["owner_hub"], "part": publication["part"], "version": publication["version"],
            "published_at": at.isoformat() if isinstance(at, datetime) else at,
            "document": publication["document"]}


def sign_owner(publication: dict, private_key: str) -> str:
    return hubsign.sign(signed_core(publication), private_key)[hubsign.SIGNATURE_FIELD]


def new_publication(owner: str, part: str, version: int, document: dict, now: datetime,
                    private_key: str) -> dict:
    """A publication by this hub of its own part (``hubsign.SignError`` without a signing key)."""
    publication = {"owner_hub": owner, "part": part, "version": int(version),
                   "published_at": now.astimezone(timezone.utc).isoformat(), "document": document}
    return {**publication, "owner_signature": sign_owner(publication, private_key)}


def message_to(publication: dict, here: str, hops: list[str], now: datetime) -> dict:
    """The hub message carrying ``publication`` from ``here`` (appended to ``hops``) to a neighbour."""
    core = signed_core(publication)
    return {"schema_version": hubwire.SCHEMA_VERSION, "kind": KIND, "message_id": uuid.uuid4().hex,
            **core, "owner_signature": publication["owner_signature"], "source_hub": here,
            "hops": [*hops, here]}


def check(message: dict, wire: dict, here: str, directory: list[dict], applied_version: int | None) -> None:
    """Refused unless: it came on a neighbour's link from that neighbour, its owner is a hub of the
    directory other than this one, the owner's signature checks, and its version is newer."""
    from contract import hubnet

    link = wire.get("link")
    if not link:
        raise Refused("no_link", f"no link user on the message (user_id {wire.get('user_id')!r})")
    try:
        neighbours = hubnet.neighbours(directory, here)
    except (KeyError, hubnet.DirectoryError):
        neighbours = []
    if link not in neighbours:
        raise Refused("not_neighbour", f"hub {link} is not a neighbour of hub {here}")
    if message["hops"][-1] != link:
        raise Refused("wrong_link", f"sent on by hub {message['hops'][-1]} but came on hub {link}'s link")
    owner = message["owner_hub"]
    if owner == here:
        raise Refused("own_part", f"hub {here}'s own {message['part']} is its own")
    entry = next((h for h in directory if str(h.get("code")) == owner), None)
    if entry is None:
        raise Refused("unknown_owner", f"hub {owner} is not in the directory")
    if not entry.get("signing_key"):
        raise Refused("no_signing_key", f"hub {owner} has no signing key in the directory")
    signed = {**signed_core(message), hubsign.SIGNATURE_FIELD: message["owner_signature"]}
    if not hubsign.verify(signed, entry["signing_key"]):
        raise Refused("bad_signature", f"the {message['part']} of hub {owner} is not signed by hub {owner}")
    if applied_version is not None and message["version"] <= applied_version:
        raise Refused("not_newer", f"version {message['version']} of hub {owner}'s {message['part']} is not "
                                   f"newer than version {applied_version} applied here")

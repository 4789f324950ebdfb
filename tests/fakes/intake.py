"""Intake's repositories in memory (the same domain verbs as ``intake.dependencies`` and
``intake.hub_store``), for the handlers' tests on the fake unit of work::

    units = intake_units()
    submission = units.run(handlers.accept_report, {"form": form})
"""
from __future__ import annotations

import copy
import hashlib
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from contract.uow import ReadOnly, StaleWrite
from intake import duplicates, history, registry as regions_domain
from intake.dependencies import Settings
from intake.hub_store import hub_entry
from intake.privacy import FINAL_STATUSES
from tests.fakes.names import FakeNamesCopy
from tests.fakes.uow import FakeRepository, FakeUnits


def remember_recent(repository, report: dict) -> None:
    """What the real upserting ``$push``/``$slice`` of intake.duplicates.recent_update does, in memory."""
    selector, update = duplicates.recent_update(report)
    push = update["$push"]["entries"]
    doc = repository.uow.reports.collection(duplicates.RECENT).setdefault(selector["_id"], {"entries": []})
    doc["entries"] = (doc["entries"] + copy.deepcopy(push["$each"]))[push["$slice"]:]


class FakeReports(FakeRepository):
    def _write(self) -> None:
        if not self.uow.writable:
            raise ReadOnly("a write in a read-only unit of work")

    def add(self, report: dict, events: list[dict], idempotency_key: str | None = None) -> None:
        self._write()
        if idempotency_key:
            keys = self.collection("idempotency")
            if idempotency_key in keys:
                raise DuplicateKeyError(f"idempotency key {idempotency_key}")
            keys[idempotency_key] = report["_id"]
        self.collection("reports")[report["_id"]] = copy.deepcopy(report)
        if report["status"] != "incomplete":
            remember_recent(self, report)
        self.uow.stage(events)

    def replayed(self, idempotency_key: str) -> str | None:
        return self.collection("idempotency").get(idempotency_key)

    def first_report(self, tracking_id: str) -> dict | None:
        return self.get(tracking_id)

    def complete(self, tracking_id: str, update: dict, entry: dict, events: list[dict],
                 idempotency_key: str | None = None, expect: dict | None = None) -> bool:
        self._write()
        report = self.collection("reports").get(tracking_id)
        if report is None or report["status"] != "incomplete" or any(
                report.get(k) != v for k, v in (expect or {}).items()):
            return False
        report.update(copy.deepcopy(update))
        report.setdefault("history", []).append(entry)
        if idempotency_key:
            self.collection("idempotency")[idempotency_key] = tracking_id
        self.uow.stage(events)
        return True

    def set_completion_code(self, tracking_id: str, code_hash: str, expires_at: datetime) -> None:
        self._write()
        report = self.collection("reports").get(tracking_id)
        if report is not None and report["status"] == "incomplete":
            report.update(completion_code_hash=code_hash, completion_code_expires_at=expires_at)

    def open_sms_draft(self, sender_hash: str, since: datetime) -> dict | None:
        drafts = [r for r in self.collection("reports").values()
                  if (r.get("source") or {}).get("sender_hash") == sender_hash and r["received_at"] >= since
                  and r["status"] == "incomplete"]
        return copy.deepcopy(max(drafts, key=lambda r: r["received_at"])) if drafts else None

    def get(self, tracking_id: str) -> dict | None:
        report = self.collection("reports").get(tracking_id)
        return copy.deepcopy(report) if report is not None else None

    def step_view(self, tracking_id: str) -> dict | None:
        return self.get(tracking_id)

    def secret_hash(self, tracking_id: str) -> str | None:
        return (self.collection("reports").get(tracking_id) or {}).get("secret_hash")

    def by_reporter_ref(self, reporter_ref: str) -> dict | None:
        return next((copy.deepcopy(r) for r in self.collection("reports").values()
                     if r.get("reporter_ref") == reporter_ref), None)

    def by_reporter_refs(self, reporter_refs: list[str]) -> list[dict]:
        return [copy.deepcopy(r) for r in self.collection("reports").values() if r.get("reporter_ref") in reporter_refs]

    def recent_similar(self, category_code: str, region_code: str, since: datetime) -> list[dict]:
        recent = self.collection(duplicates.RECENT).get(duplicates.recent_key(category_code, region_code))
        return duplicates.candidates(recent, since)

    def remember_recent(self, report: dict) -> None:
        self._write()
        remember_recent(self, report)

    def record_step(self, event_id: str, tracking_id: str, step: dict) -> None:
        self._write()
        report = self.collection("reports").get(tracking_id)
        if report is None:
            raise LookupError(tracking_id)
        changes = history.changes_of(report, step)
        if changes is not None:
            report.update(changes, updated_at=max(step["at"], report.get("updated_at") or step["at"]))  # the real $max
        self.collection("history")[event_id] = {"tracking_id": tracking_id, **step["entry"]}

    def with_history(self, tracking_id: str) -> dict | None:
        report = self.get(tracking_id)
        if report is not None:
            steps = sorted((dict((k, v) for k, v in h.items() if k != "tracking_id")
                            for h in self.collection("history").values() if h["tracking_id"] == tracking_id),
                           key=lambda h: h["at"])
            report["history"] = list(report.get("history") or []) + steps
        return report

    def public_requests(self, ids, statuses, service_codes, start, end, limit, region=None) -> list[dict]:
        found = []
        for r in self.collection("reports").values():
            if r["is_confidential"] or (r["status"] not in statuses if statuses else r["status"] == "incomplete"):
                continue
            if ids is not None and r["_id"] not in ids:
                continue
            if ids is None and ((service_codes and r["category_code"] not in service_codes)
                                or (start and r["received_at"] < start) or (end and r["received_at"] > end)
                                or (region and not r["region_code"].startswith(region))):
                continue
            doc = {k: v for k, v in copy.deepcopy(r).items() if k not in ("reporter", "secret_hash", "reporter_ref")}
            doc["media_url"] = (doc.pop("source", None) or {}).get("media_url")
            found.append(doc)
        return sorted(found, key=lambda r: r["received_at"], reverse=True)[:limit]

    def public_page(self, filters: dict, skip: int, limit: int) -> list[dict]:
        found = [copy.deepcopy(r) for r in self.collection("reports").values()
                 if not r["is_confidential"] and r["status"] != "incomplete"
                 and (not filters.get("status") or r["status"] == filters["status"])
                 and all(r.get(k) == filters[k] for k in ("category_code", "region_code", "classification")
                         if filters.get(k))]
        found.sort(key=lambda r: r["received_at"], reverse=True)
        return found[skip:skip + limit + 1]

    def add_attachment(self, report: dict, data: bytes, content_type: str, filename: str, max_count: int,
                       now: datetime) -> dict | None:
        self._write()
        stored = self.collection("reports")[report["_id"]]
        if len(stored.get("attachments") or []) >= max_count:
            return None
        files = self.collection("files")
        file_id = f"{len(files) + 1:024x}"
        files[file_id] = ({"filename": filename, "metadata": {"tracking_id": report["_id"],
                                                              "content_type": content_type}}, data)
        entry = {"file_id": file_id, "content_type": content_type, "size": len(data),
                 "sha256": hashlib.sha256(data).hexdigest(), "uploaded_at": now}
        stored.setdefault("attachments", []).append(entry)
        stored.setdefault("history", []).append(history.entry("evidence_added", now, {"content_type": content_type}))
        return entry

    def attachment(self, tracking_id: str, file_id: str) -> tuple[dict, bytes] | None:
        found = self.collection("files").get(file_id)
        return found if found and found[0]["metadata"]["tracking_id"] == tracking_id else None

    def count(self) -> int:
        return len(self.collection("reports"))


class FakeRegistry(FakeRepository):
    def current(self) -> dict:
        doc = self.collection("registry").get("current") or {}
        return {"index": regions_domain.keyword_index(doc.get("regions") or []),
                "regions": {r["code"] for r in doc.get("regions") or []},
                "categories": {c["code"] for c in doc.get("categories") or []},
                "category_docs": list(doc.get("categories") or []),
                "region_docs": list(doc.get("regions") or []), "loaded_at": doc.get("loaded_at")}

    def hub_directory(self) -> list[dict]:
        return list((self.collection("registry").get("current") or {}).get("hubs") or [])

    def replace(self, regions, categories, source="file", hubs=None) -> dict:
        self.collection("registry")["current"] = {"regions": regions, "categories": categories, "hubs": hubs or [],
                                                  "loaded_at": self.uow.now(), "source": source}
        return {"regions": len(regions), "categories": len(categories)}

    def apply_update(self, regions, categories, version, updated_at, hubs=None) -> bool:
        stored = self.collection("registry").get("current")
        if stored is not None and stored.get("updated_at") is not None and stored["updated_at"] >= updated_at:
            return False
        self.collection("registry")["current"] = {"regions": regions, "categories": categories, "hubs": hubs or [],
                                                  "loaded_at": self.uow.now(), "source": "routing",
                                                  "version": version, "updated_at": updated_at}
        return True

    def source(self) -> str | None:
        return (self.collection("registry").get("current") or {}).get("source")


class FakeRateLimits(FakeRepository):
    """A fixed window per key: over ``limit``, the window's length to wait (a refused one not counted)."""

    def count(self, key: str, limit: int, window_seconds: int) -> int | None:
        counts = self.collection("counts")
        counts[key] = counts.get(key, 0) + 1
        if counts[key] > limit:
            counts[key] -= 1
            return window_seconds
        return None


class FakeApiKeys(FakeRepository):
    def add(self, key_hash: str, client: str) -> None:
        self.collection("keys")[key_hash] = {"client": client, "created_at": self.uow.now(), "revoked_at": None}

    def valid(self, key_hash: str) -> bool:
        key = self.collection("keys").get(key_hash)
        return key is not None and key["revoked_at"] is None

    def listed(self) -> list[dict]:
        return [dict(k) for k in self.collection("keys").values()]

    def revoke(self, client: str) -> int:
        revoked = [k for k in self.collection("keys").values() if k["client"] == client and k["revoked_at"] is None]
        for key in revoked:
            key["revoked_at"] = self.uow.now()
        return len(revoked)


class FakeHubs(FakeRepository):
    """The hub verbs; ``units.shared["private_key"]`` is this hub's key, ``declared`` what was declared."""

    def declare(self, directory: list[dict], here: str) -> list[str]:
        from contract import hubnet
        try:
            neighbours = hubnet.neighbours(directory, here)
        except (KeyError, hubnet.DirectoryError):
            return []
        self.uow.shared.setdefault("declared", set()).update(neighbours)
        return neighbours

    def private_key(self) -> str:
        return self.uow.shared["private_key"]

    def signing_key(self) -> str | None:
        return self.uow.shared.get("signing_key")

    def part(self, owner: str, part: str) -> dict | None:
        return copy.deepcopy(self.collection("hub_parts").get(f"{owner}:{part}"))

    def directory_parts(self) -> list[dict]:
        return [copy.deepcopy(p) for p in self.collection("hub_parts").values() if p["part"] == "directory"]

    def keep_part(self, publication: dict) -> None:
        self.uow._writing()
        key = f"{publication['owner_hub']}:{publication['part']}"
        self.collection("hub_parts")[key] = {"_id": key, **copy.deepcopy(publication)}

    def send(self, tracking_id, changes, entry, messages, events=()) -> None:
        if tracking_id and (changes or entry):
            report = self.uow.reports.collection("reports")[tracking_id]
            report.update(copy.deepcopy(changes))
            if entry:
                report.setdefault("history", []).append(entry)
        self.uow.stage(list(events) + [hub_entry(message, hop) for message, hop in messages])

    def claim(self, message_id: str) -> bool:
        return self.uow.mark(f"hubmsg:{message_id}")

    def accept_transfer(self, message_id, report, staged, messages) -> str:
        if report["_id"] in self.uow.reports.collection("reports") or not self.claim(message_id):
            return "duplicate"
        self.uow.reports.collection("reports")[report["_id"]] = copy.deepcopy(report)
        if report.get("status") != "incomplete":
            self.uow.reports.remember_recent(report)
        self.uow.stage(staged + [hub_entry(message, hop) for message, hop in messages])
        return "accepted"

    def apply_status(self, message_id, tracking_id, changes, entry, events=()) -> bool:
        if not self.claim(message_id):
            return False
        report = self.uow.reports.collection("reports")[tracking_id]
        report.update(copy.deepcopy(changes))
        report.setdefault("history", []).append(entry)
        report["updated_at"] = max(entry["at"], report.get("updated_at") or entry["at"])  # the real $max
        self.uow.stage(list(events))
        return True

    def apply_action(self, action_id, tracking_id, attachments, entry, events=()) -> bool:
        if not self.claim(f"action:{action_id}"):
            return False
        report = self.uow.reports.collection("reports")[tracking_id]
        report.setdefault("attachments", []).extend(copy.deepcopy(attachments))
        report.setdefault("history", []).append(entry)
        self.uow.stage(list(events))
        return True

    def relay(self, message_id, messages) -> bool:
        if not self.claim(message_id):
            return False
        self.uow.stage([hub_entry(m, hop) for m, hop in messages])
        return True

    def store_evidence(self, tracking_id, files, now) -> list[dict]:
        return [{"file_id": f"{n:024x}", "content_type": f["content_type"], "size": len(f["bytes"]),
                 "sha256": f["sha256"], "uploaded_at": now} for n, f in enumerate(files, 1)]

    def evidence_files(self, report: dict) -> list[tuple[dict, bytes]]:
        files = []
        for item in report.get("attachments") or []:
            found = self.uow.reports.attachment(report["_id"], item["file_id"])
            if found is not None:
                files.append(({"filename": found[0]["filename"], "content_type": item["content_type"],
                               "sha256": item["sha256"]}, found[1]))
        return files

    def undelivered(self):
        waiting = [r["hub_delivery"] for r in self.uow.reports.collection("reports").values()
                   if (r.get("hub_delivery") or {}).get("state") == "waiting"]
        counts: dict[str, int] = {}
        for delivery in waiting:
            counts[delivery["hub"]] = counts.get(delivery["hub"], 0) + 1
        return counts, min((d["since"] for d in waiting), default=None)

    def unacknowledged(self, before) -> int:
        return sum(1 for r in self.uow.reports.collection("reports").values()
                   if (r.get("hub_delivery") or {}).get("state") in ("waiting", "sent_on")
                   and r["hub_delivery"]["since"] < before)

    def outbound_backlog(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in self.uow.units.outbox:
            if entry.get("routing_key"):
                counts[entry["routing_key"]] = counts.get(entry["routing_key"], 0) + 1
        return counts


class FakePrivacy(FakeRepository):
    """``uow.privacy``: reports past their retention, erasure and the privacy audit."""

    def past_retention(self, cutoff: datetime, limit: int) -> list[dict]:
        due = [r for r in self.uow.reports.collection("reports").values()
               if r["status"] in FINAL_STATUSES and r.get("updated_at") is not None and r["updated_at"] <= cutoff
               and r.get("personal_data_erased_at") is None]
        return [copy.deepcopy(r) for r in sorted(due, key=lambda r: r["updated_at"])[:limit]]

    def erase(self, report: dict, change: dict) -> None:
        self.uow.reports._write()
        stored = self.uow.reports.collection("reports")[report["_id"]]
        if stored["status"] != report["status"] or stored.get("personal_data_erased_at") is not None:
            raise StaleWrite(f"report {report['_id']}")  # the real unit runs again
        stored.update(copy.deepcopy(change["set"]))
        for field in change["unset"]:
            (stored.get("source") or {}).pop(field.split(".", 1)[1], None)
        for entry in self.uow.units.outbox:  # transfers sent on keep no sealed identity
            payload = entry.get("payload") or {}
            if payload.get("tracking_id") == report["_id"] and payload.get("kind") == "transfer":
                payload["transfer"]["sealed_reporter"] = None
        self.audit(change["audit"])

    def audit(self, entry: dict) -> None:
        self.uow.reports._write()
        self.collection("privacy_audit")[entry["_id"]] = copy.deepcopy(entry)

    def audit_of(self, tracking_id: str) -> list[dict]:
        return sorted((copy.deepcopy(e) for e in self.collection("privacy_audit").values()
                       if e["tracking_id"] == tracking_id), key=lambda e: e["at"])


FAKE_REPOSITORIES = {"reports": FakeReports, "registry": FakeRegistry, "limits": FakeRateLimits,
                     "api_keys": FakeApiKeys, "hubs": FakeHubs, "names": FakeNamesCopy, "privacy": FakePrivacy}


def intake_units(settings: Settings | None = None, registry: dict | None = None, clock=None) -> FakeUnits:
    """Fake units of intake's store, with a registry copy (categories, regions, hubs) if given."""
    units = FakeUnits(FAKE_REPOSITORIES, settings=settings or Settings(rate_limit_exempt=frozenset()), clock=clock)
    if registry is not None:
        units.run(lambda uow: uow.registry.replace(registry.get("regions", []), registry.get("categories", []),
                                                   hubs=registry.get("hubs", [])))
    return units

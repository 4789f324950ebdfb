"""Notification's I/O: the store (the notification outbox, subscriptions, preferences; its
repositories work in a unit of work), the courier's identity and the templates.  The contact
directory (RPC to intake and routing) is ``notification.directory``.

The store holds references and delivery state only; contacts are asked for at send time from
intake (reporters) and routing (officials) and never written anywhere.
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import datetime, timedelta

from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument, UpdateMany, UpdateOne
from pymongo.errors import OperationFailure

from contract import registry_names, routes
from contract.store import upsert_and_get
from contract.uow import Repository
from contract.unitstore import UnitOfWorkProvider, UnitOfWorkStore
from notification.delivery import RetryPolicy
from notification.domain import Settings, officials_of
from notification.exceptions import ClaimLocked
from notification.templates import Renderer

log = logging.getLogger(__name__)
WRITE_CONFLICT = 112
CLAIM_INDEX = [("status", ASCENDING), ("next_attempt_at", ASCENDING)]


class Notifications(Repository):
    """The notification outbox, webhook subscriptions and digest preferences of one unit of work."""

    # -- queueing ---------------------------------------------------------------------------
    def queue(self, notifications: list[dict]) -> None:
        """Record notifications (in a batch of events: one insert with the batch's others)."""
        for notification in notifications:
            self.uow.insert("notifications", notification)

    def for_report(self, tracking_id: str) -> list[dict]:
        return list(self.db.notifications.find({"tracking_id": tracking_id}, session=self.session)
                    .sort("created_at", ASCENDING))

    def get(self, notification_id: str) -> dict | None:
        return self.db.notifications.find_one({"_id": notification_id}, session=self.session)

    # -- delivery ---------------------------------------------------------------------------
    def any_due(self, now: datetime) -> bool:
        """Whether anything is due (one indexed read; an idle courier opens no transaction)."""
        return self.db.notifications.find_one(due_query(now), {"_id": 1}, session=self.session) is not None

    def claim_due(self, now: datetime, lease_until: datetime, limit: int, courier_id: str,
                  window: tuple[datetime, timedelta] | None = None) -> list[dict]:
        """Take up to ``limit`` due notifications for one attempt each (hidden from other couriers until
        the lease ends, or until ``courier_id`` is found gone), recording the hand-off and its courier
        before anything is sent.

        The due ones are read through the (status, next_attempt_at) index, oldest first.  On MongoDB a
        claim then examines ``limit`` documents whatever the backlog; the local store decodes the
        whole due range before it sorts and limits, so a courier draining a backlog passes ``window``
        (``(floor, width)``, ``domain.claim_window``): the slice of ``next_attempt_at`` from ``floor``
        is read first, and the due range (without what the slice found) only if the slice held fewer
        than ``limit``.  The writes are made at once in the unit's
        transaction (the claimed documents are the handler's answer): a plain multi-document write that
        meets an open transaction wedges the local store (bench/store_wedge_repro.py); in a transaction
        the conflict comes back and is retried.  A notification whose previous hand-off has no recorded
        outcome (a courier stopped between sending and recording) is marked ``possible_repeat``: the
        receiver may get it twice, with the same Message-ID / reference.
        """
        due: list[dict] = []
        if window is not None:
            floor, width = window
            due = list(self.db.notifications.find(
                {"status": "queued", "next_attempt_at": {"$gte": floor, "$lte": min(floor + width, now)}},
                session=self.session).sort("next_attempt_at", ASCENDING).limit(limit))
        if len(due) < limit:
            rest = due_query(now)
            if due:
                rest["_id"] = {"$nin": [n["_id"] for n in due]}
            due += list(self.db.notifications.find(rest, session=self.session)
                        .sort("next_attempt_at", ASCENDING).limit(limit - len(due)))
        if not due:
            return []
        self.db.notifications.update_many(
            {"_id": {"$in": [n["_id"] for n in due]}},
            {"$set": {"next_attempt_at": lease_until, "handoff": {"at": now, "by": courier_id}},
             "$inc": {"handoffs": 1}},
            session=self.session)
        repeats = [n["_id"] for n in due if n.get("handoff")]
        if repeats:
            self.db.notifications.update_many({"_id": {"$in": repeats}}, {"$set": {"possible_repeat": True}},
                                              session=self.session)
        for n in due:
            n["possible_repeat"] = n.get("possible_repeat") or bool(n.get("handoff"))
        return due

    def claimed_by(self, courier_ids: list[str], now: datetime) -> list[str]:
        """The notifications still claimed (leased) by ``courier_ids``.  Rare (a courier died): read
        through the claim index's ``status`` prefix."""
        return [n["_id"] for n in self.db.notifications.find(
            {"status": "queued", "next_attempt_at": {"$gt": now}, "handoff.by": {"$in": courier_ids}}, {"_id": 1},
            session=self.session)]

    def take_back(self, notification_id: str, courier_ids: list[str], now: datetime) -> None:
        """Make a notification claimed by a gone courier due now, its hand-off kept (the next claim
        marks it ``possible_repeat``), only while it is still theirs.  Written at once: if the killed
        courier's open transaction still holds it, ClaimLocked at once, not the driver's retries for
        up to 120 s (retrying a write conflict in a loop loads the store for every other unit)."""
        try:
            self.db.notifications.update_one(
                {"_id": notification_id, "status": "queued", "handoff.by": {"$in": courier_ids}},
                {"$set": {"next_attempt_at": now}}, session=self.session)
        except OperationFailure as exc:
            if exc.code == WRITE_CONFLICT:
                raise ClaimLocked(notification_id) from None
            raise

    def record_outcome(self, notification_id: str, changes: dict) -> None:
        """An attempt's outcome, written at the commit (only while the notification is still queued)."""
        self.uow.update("notifications", UpdateOne({"_id": notification_id, "status": "queued"}, {"$set": changes}))

    def dead_letters(self, limit: int = 50, channel: str | None = None, template: str | None = None) -> list[dict]:
        query: dict = {"status": "dead", **({"template": template} if template else {})}
        if channel:  # the channel it went out on, else the one planned
            query["$or"] = [{"delivered_channel": channel}, {"delivered_channel": None, "channel": channel}]
        return list(self.db.notifications.find(query, session=self.session).sort("dead_at", DESCENDING).limit(limit))

    def retry(self, notification_id: str, now: datetime, by: str) -> dict | None:
        """Put a dead letter back in the queue for a fresh round of attempts; None if it is not dead."""
        return self.db.notifications.find_one_and_update(
            {"_id": notification_id, "status": "dead"},
            {"$set": {"status": "queued", "attempts": 0, "next_attempt_at": now, "dead_at": None,
                      "retried_by": by, "retried_at": now}, "$inc": {"manual_retries": 1}},
            return_document=ReturnDocument.AFTER, session=self.session)

    def counts(self) -> dict:
        return {status: self.db.notifications.count_documents({"status": status}, session=self.session)
                for status in ("queued", "held", "dead")}

    # -- subscriptions (webhooks) -----------------------------------------------------------
    def add_subscription(self, subscription: dict) -> None:
        self.uow.insert("subscriptions", subscription)

    def subscriptions(self, active_only: bool = True) -> list[dict]:
        """The (active) webhook subscriptions; read once per unit of work (a batch of events)."""
        return self.uow.memo(("subscriptions", active_only), lambda: list(
            self.db.subscriptions.find({"active": True} if active_only else {}, session=self.session)
            .sort("created_at", ASCENDING)))

    def subscription(self, subscription_id: str) -> dict | None:
        return self.db.subscriptions.find_one({"_id": subscription_id}, session=self.session)

    def deactivate_subscription(self, subscription_id: str, now: datetime) -> bool:
        result = self.db.subscriptions.update_one({"_id": subscription_id, "active": True},
                                                  {"$set": {"active": False, "removed_at": now}},
                                                  session=self.session)
        return result.modified_count == 1

    # -- digests ----------------------------------------------------------------------------
    def set_digest(self, recipient_ref: str, digest: bool, by: str, now: datetime) -> dict:
        return upsert_and_get(self.db.preferences, {"_id": recipient_ref},
                              {"$set": {"digest": digest, "updated_by": by, "updated_at": now}}, session=self.session)

    def digest_refs(self, refs: list[str]) -> list[str]:
        """Those of ``refs`` who take a daily digest.  In a batch of events: one read of the refs of
        every event of the batch (the officials each event concerns)."""
        found = [self.uow.read("preferences", ref, key=officials_of, projection={"digest": 1}) for ref in refs]
        return [p["_id"] for p in found if p and p.get("digest")]

    def held_before(self, cutoff: datetime) -> list[dict]:
        return list(self.db.notifications.find({"status": "held", "created_at": {"$lt": cutoff}}, session=self.session)
                    .sort("created_at", ASCENDING))

    def add_digest(self, digest: dict, held_ids: list[str]) -> None:
        """Queue a digest and mark what it summarises (written at the commit)."""
        self.uow.insert("notifications", digest)
        self.uow.update("notifications", UpdateMany({"_id": {"$in": held_ids}, "status": "held"},
                                                    {"$set": {"status": "digested", "digest_id": digest["_id"]}}))


class Couriers(Repository):
    """The registry of running couriers (one per notification process): who may own a claim."""

    def heartbeat(self, courier: dict) -> None:
        """Say ``courier`` (its registry entry: ``_id``, ``host``, ``pid``, ``started``, ``heartbeat_at``)
        is alive (written at the commit)."""
        self.uow.save("couriers", courier, upsert=True)

    def others(self, courier_id: str) -> list[dict]:
        """Every registered courier but ``courier_id``."""
        return list(self.db.couriers.find({"_id": {"$ne": courier_id}}, session=self.session))

    def forget(self, courier_ids: list[str]) -> None:
        """Remove gone couriers from the registry (at once, in the unit's transaction), once their
        claims are taken back."""
        self.db.couriers.delete_many({"_id": {"$in": courier_ids}}, session=self.session)


def due_query(now: datetime) -> dict:
    return {"status": "queued", "next_attempt_at": {"$lte": now}}


class NotificationStore(UnitOfWorkProvider):
    """The service's store: ``self.store.run(handlers.x, ...)``; settings parsed once at setup."""

    repositories = {"notifications": Notifications, "couriers": Couriers, "names": registry_names.NamesCopy}
    # the courier's outcomes (``record_attempt``, through ``Units.together``): the concurrent sends'
    # outcomes in one transaction, not one each (GROUP_COMMIT_MAX_SIZE 0: one each); no deadline
    # and no admission control: an outcome is never refused, only committed
    group_commit = True
    indexes = {
        "notifications": [IndexModel([("tracking_id", ASCENDING)]),
                          IndexModel(CLAIM_INDEX),
                          IndexModel([("status", ASCENDING), ("dead_at", DESCENDING)]),
                          IndexModel([("status", ASCENDING), ("created_at", ASCENDING)])],
        "subscriptions": [IndexModel([("active", ASCENDING), ("created_at", ASCENDING)])],
        "preferences": [IndexModel([("digest", ASCENDING)])],
    }

    @staticmethod
    def parse_settings(config: dict) -> Settings:
        return settings_from(config)

    def setup(self):
        super().setup()
        registry_names.load_file_at_setup(self, self.container.config, log)  # the names messages show


class StoreClient(UnitOfWorkStore):
    """The store without a container (the CLI): ``StoreClient(client, db, settings).units()``."""

    repositories = NotificationStore.repositories


def settings_from(config: dict) -> Settings:
    """The service's settings (read once): hub, retry policy, courier and digest settings."""
    c = config
    policy = RetryPolicy(int(c.get("DELIVERY_MAX_ATTEMPTS", 6)), float(c.get("DELIVERY_BACKOFF_SECONDS", 30)),
                         float(c.get("DELIVERY_BACKOFF_MAX_SECONDS", 3600)))
    return Settings(c.get("HUB_CODE"), policy, int(c.get("DELIVERY_CONCURRENCY", 10)),
                    float(c.get("DELIVERY_LEASE_SECONDS", 120)), c.get("NOTIFICATION_TIMEZONE", "Asia/Jakarta"),
                    int(c.get("DIGEST_HOUR", 7)), int(c.get("DELIVERY_CLAIM_BATCH", 50)),
                    float(c.get("COURIER_TIMEOUT_SECONDS", 20)))


class CourierIdentity(DependencyProvider):
    """This process's courier: its id (in every hand-off it records) and whether another registered
    courier's process still runs on this host.

    ``host`` is the host name and the pid namespace (two containers with one host name do not see
    each other's processes: each is then judged by its heartbeat only); ``started`` is the process's
    start time (``/proc/<pid>/stat``), so a pid reused by another process does not pass for the courier.
    """

    def setup(self):
        self.host = f"{socket.gethostname()}/{_pid_namespace()}"
        self.pid = os.getpid()
        self.started = _process_started(self.pid)
        self.id = f"{socket.gethostname()}:{self.pid}:{secrets.token_hex(4)}"

    def get_dependency(self, worker_ctx):
        return self

    def entry(self, now: datetime) -> dict:
        """This courier's registry entry."""
        return {"_id": self.id, "host": self.host, "pid": self.pid, "started": self.started, "heartbeat_at": now}

    def alive_here(self, courier: dict) -> bool | None:
        """Whether ``courier``'s process runs (None: it is not on this host, or this host cannot tell)."""
        if courier.get("host") != self.host or self.started is None:
            return None
        pid = courier.get("pid")
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # someone else's process: it exists
            pass
        return _process_started(pid) == courier.get("started")


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return "?"


def _process_started(pid: int) -> str | None:
    """A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), None if unknown."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


class Templates(DependencyProvider):
    """The compiled message templates (tracking link and time zone from the config)."""

    def setup(self):
        config = self.container.config
        self.renderer = Renderer(config.get("TRACKING_BASE_URL", "http://127.0.0.1:8780" + routes.prefix("tracking")),
                                 config.get("NOTIFICATION_TIMEZONE", "Asia/Jakarta"),
                                 officials_base_url=config.get("OFFICIALS_BASE_URL") or None)

    def get_dependency(self, worker_ctx):
        return self.renderer

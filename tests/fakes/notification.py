"""An in-memory ``uow.notifications`` (``notification.dependencies.Notifications``) for handler tests:
the same domain verbs over plain dicts, with the units of work of ``tests.fakes.uow``::

    units = notification_units()
    units.run(handlers.plan_notifications, events.CASE_UPDATED, event)
"""
from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Callable

from notification.delivery import RetryPolicy
from notification.domain import Settings
from notification.exceptions import ClaimLocked
from tests.fakes.names import FakeNamesCopy
from tests.fakes.uow import FakeRepository, FakeUnits

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
SETTINGS = Settings("ID", RetryPolicy(3, 10, 100), concurrency=2, lease_seconds=120, claim_batch=50)


class FakeNotifications(FakeRepository):
    """The verbs of ``Notifications``; writes are made at once (the fake units put them back on a raise)."""

    @property
    def notifications(self) -> dict:
        return self.collection("notifications")

    def queue(self, notifications: list[dict]) -> None:
        self.uow._writing()
        for n in notifications:
            if n["_id"] in self.notifications:
                raise KeyError(f"duplicate notification {n['_id']}")
            self.notifications[n["_id"]] = copy.deepcopy(n)

    def for_report(self, tracking_id: str) -> list[dict]:
        return sorted((copy.deepcopy(n) for n in self.notifications.values() if n["tracking_id"] == tracking_id),
                      key=lambda n: n["created_at"])

    def get(self, notification_id: str) -> dict | None:
        found = self.notifications.get(notification_id)
        return copy.deepcopy(found) if found else None

    def _due(self, now):
        return sorted((n for n in self.notifications.values()
                       if n["status"] == "queued" and n["next_attempt_at"] is not None and n["next_attempt_at"] <= now),
                      key=lambda n: n["next_attempt_at"])

    def any_due(self, now) -> bool:
        return bool(self._due(now))

    def claim_due(self, now, lease_until, limit: int, courier_id: str, window=None) -> list[dict]:
        """As the real verb: the ``window``'s slice first, then the rest of the due range if it held fewer."""
        self.uow._writing()
        claimed, due = [], []
        if window is not None:
            floor, width = window
            due = [n for n in self._due(min(floor + width, now)) if n["next_attempt_at"] >= floor][:limit]
        due += [n for n in self._due(now) if n not in due][:limit - len(due)]
        for n in due:  # answered as read before the hand-off was written, as the real verb does
            repeat = n.get("possible_repeat") or bool(n.get("handoff"))
            claimed.append({**copy.deepcopy(n), "possible_repeat": repeat})
            n.update(next_attempt_at=lease_until, handoff={"at": now, "by": courier_id}, handoffs=n.get("handoffs", 0) + 1,
                     **({"possible_repeat": True} if repeat else {}))
        return claimed

    def claimed_by(self, courier_ids: list[str], now) -> list[str]:
        return [n["_id"] for n in self.notifications.values()
                if n["status"] == "queued" and n["next_attempt_at"] is not None and n["next_attempt_at"] > now
                and (n.get("handoff") or {}).get("by") in courier_ids]

    def take_back(self, notification_id: str, courier_ids: list[str], now) -> None:
        """As the real verb; an id in the ``locked`` collection is held by a killed courier's open transaction."""
        self.uow._writing()
        if notification_id in self.collection("locked"):
            raise ClaimLocked(notification_id)
        n = self.notifications.get(notification_id)
        if n is not None and n["status"] == "queued" and (n.get("handoff") or {}).get("by") in courier_ids:
            n["next_attempt_at"] = now

    def record_outcome(self, notification_id: str, changes: dict) -> None:
        self.uow._writing()
        n = self.notifications.get(notification_id)
        if n is not None and n["status"] == "queued":
            n.update(copy.deepcopy(changes))

    def dead_letters(self, limit: int = 50, channel: str | None = None, template: str | None = None) -> list[dict]:
        found = [n for n in self.notifications.values() if n["status"] == "dead"
                 and (not template or n["template"] == template)
                 and (not channel or (n.get("delivered_channel") or n["channel"]) == channel)]
        return [copy.deepcopy(n) for n in sorted(found, key=lambda n: n["dead_at"], reverse=True)[:limit]]

    def retry(self, notification_id: str, now, by: str) -> dict | None:
        self.uow._writing()
        n = self.notifications.get(notification_id)
        if n is None or n["status"] != "dead":
            return None
        n.update(status="queued", attempts=0, next_attempt_at=now, dead_at=None, retried_by=by, retried_at=now,
                 manual_retries=n.get("manual_retries", 0) + 1)
        return copy.deepcopy(n)

    def counts(self) -> dict:
        return {s: sum(1 for n in self.notifications.values() if n["status"] == s) for s in ("queued", "held", "dead")}

    def add_subscription(self, subscription: dict) -> None:
        self.uow._writing()
        self.collection("subscriptions")[subscription["_id"]] = copy.deepcopy(subscription)

    def subscriptions(self, active_only: bool = True) -> list[dict]:
        return sorted((copy.deepcopy(s) for s in self.collection("subscriptions").values()
                       if s.get("active") or not active_only), key=lambda s: s["created_at"])

    def subscription(self, subscription_id: str) -> dict | None:
        found = self.collection("subscriptions").get(subscription_id)
        return copy.deepcopy(found) if found else None

    def deactivate_subscription(self, subscription_id: str, now) -> bool:
        self.uow._writing()
        s = self.collection("subscriptions").get(subscription_id)
        if not s or not s.get("active"):
            return False
        s.update(active=False, removed_at=now)
        return True

    def set_digest(self, recipient_ref: str, digest: bool, by: str, now) -> dict:
        self.uow._writing()
        p = self.collection("preferences").setdefault(recipient_ref, {"_id": recipient_ref})
        p.update(digest=digest, updated_by=by, updated_at=now)
        return copy.deepcopy(p)

    def digest_refs(self, refs: list[str]) -> list[str]:
        # the real verb reads the refs of every event of the batch at once: the same answer
        return [r for r in refs if self.collection("preferences").get(r, {}).get("digest")]

    def held_before(self, cutoff) -> list[dict]:
        return sorted((copy.deepcopy(n) for n in self.notifications.values()
                       if n["status"] == "held" and n["created_at"] < cutoff), key=lambda n: n["created_at"])

    def add_digest(self, digest: dict, held_ids: list[str]) -> None:
        self.queue([digest])
        for i in held_ids:
            n = self.notifications.get(i)
            if n and n["status"] == "held":
                n.update(status="digested", digest_id=digest["_id"])


class FakeCouriers(FakeRepository):
    """The verbs of ``Couriers``: the registry of running couriers."""

    @property
    def couriers(self) -> dict:
        return self.collection("couriers")

    def heartbeat(self, courier: dict) -> None:
        self.uow._writing()
        self.couriers[courier["_id"]] = copy.deepcopy(courier)

    def others(self, courier_id: str) -> list[dict]:
        return [copy.deepcopy(c) for i, c in self.couriers.items() if i != courier_id]

    def forget(self, courier_ids: list[str]) -> None:
        self.uow._writing()
        for i in courier_ids:
            self.couriers.pop(i, None)


class FakeCourierIdentity:
    """``dependencies.CourierIdentity`` on an imagined host: ``running`` are the pids alive on it."""

    def __init__(self, courier_id: str, pid: int, host: str = "host-a", running: set[int] | None = None):
        self.id, self.pid, self.host = courier_id, pid, host
        self.running = running if running is not None else {pid}

    def entry(self, now) -> dict:
        return {"_id": self.id, "host": self.host, "pid": self.pid, "started": "1", "heartbeat_at": now}

    def alive_here(self, courier: dict) -> bool | None:
        return None if courier["host"] != self.host else courier["pid"] in self.running


def notification_units(settings: Settings = SETTINGS, clock: Callable[[], datetime] = lambda: NOW) -> FakeUnits:
    return FakeUnits({"notifications": FakeNotifications, "couriers": FakeCouriers,
                                "names": FakeNamesCopy}, settings=settings, clock=clock)

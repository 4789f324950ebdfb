"""Follow-up's repositories in memory (the verbs of ``followup.dependencies``), for handler tests:

    units = followup_units(clock)
    units.run(handlers.workflow_event, "report_dispositioned", event)
"""
from __future__ import annotations

import copy
from datetime import datetime
from typing import Callable

from contract.uow import StaleWrite
from followup import indicator
from followup.dependencies import POLICIES_ID
from followup.settings import Settings
from tests.fakes.names import FakeNamesCopy
from tests.fakes.uow import FakeRepository, FakeUnits


def _in_scope(case: dict, scope: dict) -> bool:
    return all(case.get(k) == v for k, v in scope.items())


def _shows(case: dict, colour: str | None, now: datetime) -> bool:
    return colour is None or indicator.colour(case, now) == colour


class FakeCases(FakeRepository):
    @property
    def cases(self) -> dict:
        return self.collection("cases")  # _id -> case

    def get(self, tracking_id: str) -> dict | None:
        found = next((c for c in self.cases.values() if c["tracking_id"] == tracking_id), None)
        return copy.deepcopy(found)

    def save(self, before: dict | None, after: dict) -> None:
        self.uow._writing()
        if before is not None and self.cases[before["_id"]].get("version", 0) != before.get("version", 0):
            raise StaleWrite("a case")
        self.cases[after["_id"]] = {**copy.deepcopy(after), "version": (before or {}).get("version", 0) + 1}

    def claim(self, claims: list[tuple[dict, list[str], dict]]) -> None:
        self.uow._writing()
        for case, kinds, changes in claims:
            stored = self.cases[case["_id"]]
            if (stored.get("stage_seq") != case.get("stage_seq") or stored["status"] != case["status"]
                    or set(kinds) & set(stored.get("alerts", []))):
                raise StaleWrite("a case")
            stored.update(copy.deepcopy(changes), version=stored.get("version", 0) + 1)

    def inbox(self, scope: dict, status: str | None, colour: str | None, now: datetime,
              limit: int, offset: int) -> list[dict]:
        found = sorted((c for c in self.cases.values() if _in_scope(c, scope) and (not status or c["status"] == status)
                        and _shows(c, colour, now)), key=lambda c: (c["due_at"], c["_id"]))
        return copy.deepcopy(found[offset:offset + limit])

    def summary(self, scope: dict) -> dict:
        counts = dict.fromkeys(indicator.COLOURS, 0)
        for case in self.cases.values():
            if _in_scope(case, scope):
                counts[indicator.recorded_colour(case)] += 1
        counts["open"] = counts[indicator.GREEN] + counts[indicator.YELLOW] + counts[indicator.RED]
        return counts

    def exact_summary(self, scope: dict, now: datetime) -> dict:
        counts = dict.fromkeys(indicator.COLOURS, 0)
        for case in self.cases.values():
            if _in_scope(case, scope):
                counts[indicator.colour(case, now)] += 1
        counts["open"] = sum(1 for c in self.cases.values() if _in_scope(c, scope) and c["status"] == "open")
        return counts

    def open_by_agency(self, now: datetime) -> list[dict]:
        rows: dict = {}
        for case in self.cases.values():
            if case["status"] == "open":
                row = rows.setdefault(case.get("agency_code"), {"_id": case.get("agency_code"), "red": 0,
                                                                "yellow": 0, "total": 0})
                colour = indicator.colour(case, now)
                row["total"] += 1
                row[colour] = row.get(colour, 0) + 1
        return [{k: row.get(k, 0) for k in ("_id", "red", "yellow", "total")} for row in rows.values()]

    def due_for_check(self, now: datetime, limit: int) -> list[dict]:
        due = sorted((c for c in self.cases.values() if c.get("next_check_at") and c["next_check_at"] < now),
                     key=lambda c: (c["next_check_at"], c["_id"]))
        return copy.deepcopy(due[:limit])

    def open_count(self) -> int:
        return sum(1 for c in self.cases.values() if c["status"] == "open")


class FakeFacts(FakeRepository):
    def get(self, tracking_id: str) -> dict | None:
        return copy.deepcopy(self.collection("report_facts").get(tracking_id))

    def record(self, facts: dict) -> None:
        self.uow._writing()
        self.collection("report_facts")[facts["tracking_id"]] = {"_id": facts["tracking_id"], **facts}


class FakeMessages(FakeRepository):
    def add(self, message: dict) -> None:
        self.uow._writing()
        self.collection("messages")[message["_id"]] = copy.deepcopy(message)

    def of_case(self, case_id: str) -> list[dict]:
        return sorted((copy.deepcopy(m) for m in self.collection("messages").values() if m["case_id"] == case_id),
                      key=lambda m: (m["at"], m["_id"]))


class FakeComments(FakeRepository):
    def add(self, comment: dict) -> None:
        self.uow._writing()
        self.collection("comments")[comment["_id"]] = copy.deepcopy(comment)

    def get(self, comment_id: str) -> dict | None:
        return copy.deepcopy(self.collection("comments").get(comment_id))

    def hide(self, before: dict, after: dict) -> None:
        self.uow._writing()
        if self.collection("comments")[before["_id"]]["hidden"]:
            raise StaleWrite("a comment")
        self.collection("comments")[after["_id"]] = copy.deepcopy(after)

    def of_case(self, case_id: str, include_hidden: bool) -> list[dict]:
        return sorted((copy.deepcopy(c) for c in self.collection("comments").values()
                       if c["case_id"] == case_id and (include_hidden or not c["hidden"])),
                      key=lambda c: (c["at"], c["_id"]))


class FakeCalendar(FakeRepository):
    def policy_document(self) -> dict | None:
        return copy.deepcopy(self.collection("sla_policies").get(POLICIES_ID))

    def policies(self) -> list[dict]:
        doc = self.policy_document()
        return doc["policies"] if doc else []

    def set_policies(self, policies: list[dict], by: str, now: datetime) -> None:
        self.uow._writing()
        self.collection("sla_policies")[POLICIES_ID] = {"_id": POLICIES_ID, "policies": copy.deepcopy(policies),
                                                        "updated_by": by, "updated_at": now}

    def days_off(self) -> list[dict]:
        return sorted((copy.deepcopy(d) for d in self.collection("days_off").values()), key=lambda d: d["date"])

    def add_day_off(self, entry: dict) -> None:
        self.uow._writing()
        self.collection("days_off")[f"{entry['date']}:{entry.get('region_code') or 'national'}"] = dict(entry)


REPOSITORIES = {"cases": FakeCases, "facts": FakeFacts, "messages": FakeMessages, "comments": FakeComments,
                "calendar": FakeCalendar, "names": FakeNamesCopy}


def followup_units(clock: Callable[[], datetime], settings: Settings | None = None) -> FakeUnits:
    """FakeUnits with follow-up's fake repositories; ``clock`` is ``uow.now()``."""
    return FakeUnits(REPOSITORIES, settings=settings or Settings(hub="ID", cuti_bersama=False), clock=clock)

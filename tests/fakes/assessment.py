"""Assessment's repositories in memory (the verbs of assessment.kpi_store, dependencies and
survey_store), for handler tests on ``tests.fakes.uow.FakeUnits``::

    units = assessment_units()
    units.run(handlers.fold_event, "report_received", event)
"""
from __future__ import annotations

import copy

from assessment import cells, survey
from assessment.dependencies import Settings, parse_settings
from assessment.kpi_store import CompactionRace
from contract.uow import StaleWrite
from tests.fakes.names import FakeNamesCopy
from tests.fakes.uow import FakeRepository, FakeUnits


class FakeFacts(FakeRepository):
    def get(self, tracking_id: str) -> dict | None:
        found = self.collection("facts").get(tracking_id)
        return copy.deepcopy(found)

    def save(self, fact: dict, previous: dict | None) -> None:
        self.uow._writing()
        stored = self.collection("facts").get(fact["_id"])
        if (stored is None) != (previous is None) or (stored and stored.get("rev", 0) != previous.get("rev", 0)):
            raise StaleWrite("a document of facts")
        self.collection("facts")[fact["_id"]] = copy.deepcopy(fact)

    def count(self) -> int:
        return len(self.collection("facts"))

    def events_processed(self) -> int:
        return len(self.uow.units.applied)


class FakeKpi(FakeRepository):
    def __init__(self, uow):
        super().__init__(uow)
        self.entry = None

    def journal(self, event_id, moves, legacy) -> None:
        self.uow._writing()
        if self.entry is None:
            self.entry = cells.BatchEntry(f"{event_id}:{len(self.collection('kpi_journal'))}", self.uow.now())
            self.collection("kpi_journal")[self.entry.doc["_id"]] = self.entry.doc
            wake = self.uow.shared.get("wake_compactor")
            if wake is not None:
                self.uow.after_commit(wake)
        self.entry.add(moves, legacy)

    def pending(self, limit: int) -> list[dict]:
        return copy.deepcopy(list(self.collection("kpi_journal").values())[:limit])

    def fold_into_groups(self, groups) -> None:
        self.uow._writing()
        stored = self.collection("kpi_cells")
        for gid, increments in groups.items():
            stored[gid], _ = cells.fold_group(stored.get(gid), gid, increments)

    def add_legacy(self, legacy) -> None:
        counters = self.collection("cells")
        for key, inc in legacy.items():
            doc = counters.setdefault("legacy|" + key, {"_id": "legacy|" + key})
            for counter, n in inc.items():
                doc[counter] = doc.get(counter, 0) + n

    def discard(self, ids) -> None:
        journal = self.collection("kpi_journal")
        if any(i not in journal for i in ids):
            raise CompactionRace()
        for i in ids:
            del journal[i]

    def cells(self, scope, dim, buckets, value=None) -> list[dict]:
        groups = self.collection("kpi_cells")
        return [row for bucket in buckets if (doc := groups.get(cells.group_of(scope, dim, bucket)))
                for row in cells.rows(doc, dim, value)]

    def legacy_counters(self) -> list[dict]:
        return [{**doc, "_id": doc["_id"].split("|", 1)[1]} for doc in self.collection("cells").values()]

    def agency_seen(self, agency_code: str) -> bool:
        return any(doc["scope"] == agency_code for doc in self.collection("kpi_cells").values())

    def journal_pending(self) -> int:
        return sum(e.get("events", 1) for e in self.collection("kpi_journal").values())


class FakeAssessments(FakeRepository):
    def add_template(self, template: dict) -> bool:
        self.uow._writing()
        if template["id"] in self.collection("templates"):
            return False
        self.collection("templates")[template["id"]] = copy.deepcopy(template)
        return True

    def template(self, template_id):
        return copy.deepcopy(self.collection("templates").get(template_id))

    def templates(self):
        return [copy.deepcopy(t) for _, t in sorted(self.collection("templates").items())]

    def add_self_assessment(self, doc: dict) -> dict:
        self.uow._writing()
        latest = self.self_assessment(doc["agency_code"], doc["year"])
        record = {**doc, "version": (latest["version"] if latest else 0) + 1}
        self.collection("self_assessments")[(doc["agency_code"], doc["year"], record["version"])] = record
        return copy.deepcopy(record)

    def self_assessment(self, agency_code, year, version=None):
        versions = self.self_assessment_versions(agency_code, year)
        if version is not None:
            versions = [v for v in versions if v["version"] == version]
        return versions[-1] if versions else None

    def self_assessment_versions(self, agency_code, year):
        return [copy.deepcopy(v) for key, v in sorted(self.collection("self_assessments").items())
                if key[:2] == (agency_code, year)]

    def set_target(self, doc: dict) -> dict:
        self.uow._writing()
        key = (doc["agency_code"], doc["year"])
        previous = self.collection("targets").get(key)
        record = {**doc, "updated_at": self.uow.now(), "revision": (previous or {}).get("revision", 0) + 1}
        if previous:
            self.collection("target_history")[(*key, previous["revision"])] = previous
        self.collection("targets")[key] = {**(previous or {}), **record}
        return record

    def target(self, agency_code, year):
        return copy.deepcopy(self.collection("targets").get((agency_code, year)))


class FakeSurveys(FakeRepository):
    def add_template(self, template: dict) -> bool:
        self.uow._writing()
        if template["id"] in self.collection("survey_templates"):
            return False
        self.collection("survey_templates")[template["id"]] = copy.deepcopy(template)
        return True

    def template(self, template_id):
        return copy.deepcopy(self.collection("survey_templates").get(template_id))

    def templates(self, ids=None):
        return [copy.deepcopy(t) for key, t in sorted(self.collection("survey_templates").items())
                if ids is None or key in ids]

    def add_response(self, response: dict) -> bool:
        self.uow._writing()
        responses = self.collection("survey_responses")
        if response["_id"] in responses:
            return False
        responses[response["_id"]] = copy.deepcopy(response)
        totals = self.collection("survey_totals")
        for tid, inc in survey.contributions(response).items():
            doc = totals.setdefault(tid, {"_id": tid, **survey.parse_total_id(tid)})
            for key, value in inc.items():
                doc[key] = doc.get(key, 0) + value
        return True

    def totals(self, scope, bucket):
        return [copy.deepcopy(d) for d in self.collection("survey_totals").values()
                if d["scope"] == scope and d["bucket"] == bucket]

    def totals_of_agencies(self, bucket):
        return [copy.deepcopy(d) for d in self.collection("survey_totals").values()
                if d["scope"] != "*" and d["bucket"] == bucket]

    def suggestions(self, agency_code, months, limit=500):
        found = [r for r in self.collection("survey_responses").values()
                 if r["agency_code"] == agency_code and r["month"] in months and isinstance(r.get("suggestion"), str)]
        found.sort(key=lambda r: r["submitted_at"], reverse=True)
        return [{"month": r["month"], "channel": r["channel"], "text": r["suggestion"]} for r in found[:limit]]


REPOSITORIES = {"facts": FakeFacts, "kpi": FakeKpi, "assessments": FakeAssessments, "surveys": FakeSurveys,
                "names": FakeNamesCopy}


def assessment_units(settings: Settings | None = None, **kwargs) -> FakeUnits:
    """Assessment's units of work in memory, with the settings of the shipped config by default."""
    return FakeUnits(REPOSITORIES, settings=settings or parse_settings({}), **kwargs)

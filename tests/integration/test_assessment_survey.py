"""The satisfaction survey (SKM) on the real broker and store: a reporter proves the report with
intake's real verify_reporter, officials enter paper forms, and the IKM reaches the agency, the
hub and (suppressed below the cell size) the public."""
import csv
import io
import os
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import eventlet
import pytest
import requests
from nameko.standalone.events import event_dispatcher

from assessment.service import AssessmentService
from contract import events
from contract.ids import new_tracking_id
from intake.service import IntakeService
from routing.service import RoutingService
from tests.conftest import ROOT
from tests.factories import make_report
from tests.integration.conftest import handled
from tests.unit.assessment.test_survey import ANSWERS, ELEMENTS
from tests.credentials import issue_token

TEMPLATE = "skm-lapor-2017"
AGENCY = "PEMKAB-BULELENG"


def this_month():
    return datetime.now(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m")  # the reporting time zone


def answers(row=0, **extra):
    return {"template_id": TEMPLATE, "scores": dict(zip(ELEMENTS, ANSWERS[row])), **extra}


def codes(response):
    return [(e["field"], e["code"]) for e in response.json()["errors"]]


@pytest.fixture
def hub(start_services, rpc, demo_registry, service_config, mongo_client):
    """Intake, routing and assessment with the demo registry; helpers to call them."""
    urls = start_services(IntakeService, RoutingService, AssessmentService)
    assessment = start_services.containers["assessment"]
    rpc.routing.import_registry(demo_registry)
    base = urls["assessment"]
    db = mongo_client[service_config["MONGODB_DATABASE_PREFIX"] + "assessment"]
    tokens = {}

    def call(method, path, official=None, **kwargs):
        headers = {}
        if official:
            if official not in tokens:
                tokens[official] = issue_token(service_config, official)
            headers["Authorization"] = f"Bearer {tokens[official]}"
        return requests.request(method, f"{base}{path}", headers=headers, timeout=15, **kwargs)

    def new_report():
        """A real report through intake, dispositioned by routing; its tracking ID and secret."""
        # the test's only report: assessment's fact has its agency once it has folded the disposition
        with handled(assessment, event=events.REPORT_DISPOSITIONED):
            receipt = requests.post(f"{urls['intake']}/reports", json=make_report(), timeout=10).json()
        assert (db.facts.find_one({"_id": receipt["tracking_id"]}) or {}).get("agency_code")
        return receipt["tracking_id"], receipt["secret"]

    def answer(tracking_id):
        """The unit's final answer, as follow-up announces it."""
        payload = events.build(events.CASE_ANSWERED, hub="ID", tracking_id=tracking_id, origin_hub="ID",
                               case_id=f"C-{tracking_id}", agency_code=AGENCY, unit_code="BLL-PUPR",
                               message_id=f"M-{tracking_id}", author_role="liaison")["payload"]
        with handled(assessment, payload):
            event_dispatcher(service_config)("followup", events.CASE_ANSWERED, payload)
        assert (db.facts.find_one({"_id": tracking_id}) or {}).get("answered_at")

    def respondents(period=None, agency=AGENCY, official="adm-buleleng"):
        body = call("GET", f"/assessments/agencies/{agency}/surveys?period={period or this_month()}", official)
        assert body.status_code == 200, body.text
        return body.json()["respondents"]

    return {"call": call, "new_report": new_report, "answer": answer, "respondents": respondents, "db": db,
            "base": base}


def test_reporter_answers_once_and_only_after_the_answer(hub):
    call = hub["call"]
    tracking_id, secret = hub["new_report"]()
    early = call("POST", "/assessments/surveys/responses",
                 json={"tracking_id": tracking_id, "secret": secret, **answers()})
    assert early.status_code == 409 and codes(early) == [("tracking_id", "not_answered")]
    assert "dispositioned" in early.json()["errors"][0]["message"]
    assert "didisposisikan" in early.json()["errors"][0]["message_id"]

    wrong = call("POST", "/assessments/surveys/responses",
                 json={"tracking_id": tracking_id, "secret": "WRONG-SECRET-0", **answers()})
    unknown = call("POST", "/assessments/surveys/responses",
                   json={"tracking_id": new_tracking_id("ID"), "secret": secret, **answers()})
    garbled = call("POST", "/assessments/surveys/responses", json={"tracking_id": "no-such", "secret": secret,
                                                                    **answers()})
    assert wrong.status_code == unknown.status_code == garbled.status_code == 403
    assert wrong.json() == unknown.json() == garbled.json()  # never says which of the two was wrong
    assert codes(wrong) == [(None, "invalid_secret")] and wrong.json()["errors"][0]["message_id"]

    hub["answer"](tracking_id)
    profile = {"age_band": "age_30_39", "sex": "female", "education": "s1", "occupation": "self_employed"}
    body = {"tracking_id": tracking_id.lower(), "secret": secret, **answers(0, profile=profile)}
    pool = eventlet.GreenPool()
    outcomes = list(pool.imap(lambda _: call("POST", "/assessments/surveys/responses", json=body), range(3)))
    assert sorted(r.status_code for r in outcomes) == [201, 409, 409]  # racing retries count once
    receipt = next(r for r in outcomes if r.status_code == 201).json()
    assert (receipt["agency_code"], receipt["month"], receipt["channel"]) == (AGENCY, this_month(), "online")
    assert receipt["message_id"].startswith("Terima kasih")
    again = call("POST", "/assessments/surveys/responses",
                 json={**body, "tracking_id": "#" + tracking_id, **answers(1)})
    assert again.status_code == 409 and codes(again) == [("tracking_id", "conflict")]
    assert "once" in again.json()["errors"][0]["message"]

    result = call("GET", f"/assessments/agencies/{AGENCY}/surveys?period={this_month()}", "lo-bll-pupr").json()
    assert result["respondents"] == 1 and result["channels"] == {"online": 1, "paper": 0}
    assert result["templates"][0]["elements"][0]["nrr"] == ANSWERS[0][0]
    sexes = {row["value"]: row["count"] for row in result["profile"]["sex"]}
    assert sexes == {"male": 0, "female": 1, "not_given": 0}
    stored = list(hub["db"].survey_responses.find())
    assert len(stored) == 1 and tracking_id not in repr(stored) and secret not in repr(stored)
    metrics = requests.get(f"{hub['base']}/metrics", timeout=5).text
    assert 'lapor_assessment_survey_responses_total{channel="online"}' in metrics


def test_bad_answers_get_contract_errors(hub):
    call = hub["call"]
    tracking_id, secret = hub["new_report"]()
    hub["answer"](tracking_id)
    proof = {"tracking_id": tracking_id, "secret": secret}

    def errors(body, status=400, path="/assessments/surveys/responses", official=None):
        response = call("POST", path, official, json=body)
        assert response.status_code == status, response.text
        assert all(e["message"] and e["message_id"] for e in response.json()["errors"])
        return sorted(codes(response), key=str)

    assert errors({**proof, **answers(), "template_id": "nope"}) == [("template_id", "not_found")]
    missing = answers()
    del missing["scores"]["waktu"]
    assert errors({**proof, **missing}) == [("scores.waktu", "required")]
    assert errors({**proof, **answers(), "scores": {**answers()["scores"], "biaya": 5}}) == [("scores.biaya", "range")]
    assert errors({**proof, **answers(profile={"sex": "unknown"})}) == [("profile.sex", "not_allowed")]
    assert errors({**proof, **answers(), "name": "Made", "phone": "0812"}) == [
        ("name", "unknown_field"), ("phone", "unknown_field")]
    assert errors({**proof, **answers(profile={"email": "made@example.com"})}) == [("profile.email", "unknown_field")]
    assert errors({**answers()}) == [("secret", "required"), ("tracking_id", "required")]  # (sorted)
    assert hub["respondents"]() == 0  # nothing above was counted

    templates = call("GET", "/assessments/surveys/templates").json()
    skm = next(t for t in templates if t["id"] == TEMPLATE)
    assert [e["id"] for e in skm["elements"]] == ELEMENTS and "sex" in skm["profile_fields"]
    assert call("GET", "/assessments/agencies/NO-SUCH/surveys?period=2026", "nas-admin-1").status_code == 404
    assert codes(call("GET", f"/assessments/agencies/{AGENCY}/surveys?period=2026-13", "adm-buleleng")) == [
        ("period", "invalid")]
    assert call("GET", f"/assessments/agencies/{AGENCY}/surveys?period=2026").status_code == 401


def test_intake_down_is_503_in_the_contract_format(start_services):
    urls = start_services(AssessmentService)  # no intake to check the secret
    response = requests.post(f"{urls['assessment']}/assessments/surveys/responses", timeout=15,
                             json={"tracking_id": new_tracking_id("ID"), "secret": "ABCD-EFGH-JKMN", **answers()})
    assert response.status_code == 503 and codes(response) == [(None, "unavailable")]


def test_paper_forms_hand_computed_ikm_and_public_suppression(hub, service_config, mongo_client):
    call, month = hub["call"], this_month()
    paper = f"/assessments/agencies/{AGENCY}/surveys/paper-responses"
    for row, official in zip(range(4), ["lo-bll-pupr", "lo-bll-dinkes", "adm-buleleng", "lo-bll-pupr"]):
        entered = call("POST", paper, official, json=answers(row, form_number=f"SKM/2026/{row + 1}"))
        assert entered.status_code == 201 and entered.json()["channel"] == "paper", entered.text
    assert call("POST", paper, "lo-lwu-pupr", json=answers()).status_code == 403      # another agency's liaison
    assert call("POST", paper, "spv-buleleng", json=answers()).status_code == 403     # a supervisor enters nothing
    assert call("POST", paper, "nas-admin-1", json=answers()).status_code == 403
    twice = call("POST", paper, "lo-bll-pupr", json=answers(0, form_number="SKM/2026/1"))
    assert twice.status_code == 409 and codes(twice) == [("form_number", "conflict")]
    future = call("POST", paper, "lo-bll-pupr", json=answers(0, filled_on="2999-01-01"))
    assert future.status_code == 400 and codes(future) == [("filled_on", "range")]
    assert hub["db"].survey_responses.find_one({"_id": "paper:PEMKAB-BULELENG:SKM/2026/2"})["entered_by"] == \
        "lo-bll-dinkes"

    # Hand computation (tests/unit/assessment/test_survey.py): NRR 3.00 3.50 2.75 4.00 2.75 3.25 3.50
    # 2.75 3.00, sum 28.5; IKM = 28.5 / 9 x 25 = 79.17, grade B (Baik), for the month, quarter, year.
    quarter = f"{month[:4]}-Q{(int(month[5:]) - 1) // 3 + 1}"
    for period in (month, quarter, month[:4]):
        result = call("GET", f"/assessments/agencies/{AGENCY}/surveys?period={period}", "spv-buleleng").json()
        assert (result["respondents"], result["ikm"], result["grade"], result["grade_label_id"]) == (
            4, 79.17, "B", "Baik"), period
        assert [e["nrr"] for e in result["templates"][0]["elements"]] == [
            3.0, 3.5, 2.75, 4.0, 2.75, 3.25, 3.5, 2.75, 3.0]
    assert call("GET", f"/assessments/agencies/{AGENCY}/surveys?period={month}", "adm-luwu").status_code == 403

    def public(period=month[:4]):
        stats = call("GET", f"/stats/public?period={period}").json()
        return stats, next((a for a in stats["agencies"] if a["agency_code"] == AGENCY), None)
    stats, row = public()
    assert stats["min_cell_size"] == 5 and stats["survey"] == {"respondents": None, "ikm": None, "grade": None}
    assert (row["survey_respondents"], row["survey_ikm"], row["survey_grade"]) == (None, None, None)

    assert call("POST", paper, "lo-bll-pupr", json=answers(3, form_number="SKM/2026/5")).status_code == 201
    # five respondents: sums 15 18 14 20 14 17 18 14 15 = 145; IKM = 145 / 5 / 9 x 25 = 80.56 (B)
    stats, row = public()
    assert stats["survey"] == {"respondents": 5, "ikm": 80.56, "grade": "B"}
    assert (row["survey_respondents"], row["survey_ikm"], row["survey_grade"]) == (5, 80.56, "B")
    open_data = list(csv.DictReader(io.StringIO(call("GET", f"/stats/public?period={month[:4]}&format=csv").text)))
    assert [r["survey_ikm"] for r in open_data if r["key"] == AGENCY] == ["80.56"]

    national = call("GET", f"/assessments/surveys?period={month[:4]}", "nas-admin-1").json()
    assert [(a["agency_code"], a["respondents"], a["ikm"]) for a in national["agencies"]] == [(AGENCY, 5, 80.56)]
    assert national["respondents"] == 5 and national["channels"]["paper"] == 5
    assert call("GET", f"/assessments/surveys?period={month[:4]}", "adm-buleleng").status_code == 403

    # a form dated in an earlier month counts there
    assert call("POST", paper, "lo-bll-pupr", json=answers(2, filled_on="2025-03-14")).status_code == 201
    assert hub["respondents"]("2025-03") == 1 and hub["respondents"]("2025-Q1") == 1

    # the totals are rebuilt from the stored responses after damage
    totals = hub["db"].survey_totals
    before = call("GET", f"/assessments/surveys?period={month[:4]}", "nas-admin-1").json()
    totals.update_many({}, {"$inc": {"n": 100}})
    assert call("GET", f"/assessments/surveys?period={month[:4]}", "nas-admin-1").json() != before
    command = [sys.executable, "-m", "assessment.cli", "rebuild-surveys", "--mongodb-uri",
               service_config["MONGODB_URI"], "--database", hub["db"].name]
    env = {**os.environ, "PYTHONPATH": f"{ROOT}/services/contract:{ROOT}/services/assessment"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and f"rebuilt {totals.count_documents({})} survey totals" in done.stdout, done.stderr
    assert call("GET", f"/assessments/surveys?period={month[:4]}", "nas-admin-1").json() == before


def test_suggestions_reach_the_agency_never_the_public(hub):
    call, month = hub["call"], this_month()
    paper = f"/assessments/agencies/{AGENCY}/surveys/paper-responses"
    text = "Mohon loket pengaduan dibuka lebih pagi"
    for row in range(5):
        extra = {"suggestion": f"{text} ({row})"} if row < 2 else {}
        assert call("POST", paper, "lo-bll-pupr", json=answers(row % 4, **extra)).status_code == 201

    own = call("GET", f"/assessments/agencies/{AGENCY}/surveys?period={month}", "lo-bll-dinkes").json()
    assert own["suggestions"] == 2 and sorted(s["text"] for s in own["suggestion_texts"]) == [
        f"{text} (0)", f"{text} (1)"]
    assert set(own["suggestion_texts"][0]) == {"month", "channel", "text"}  # no answers, profile or report
    own_csv = call("GET", f"/assessments/agencies/{AGENCY}/surveys?period={month}&format=csv", "adm-buleleng")
    assert own_csv.headers["Content-Type"].startswith("text/csv") and text in own_csv.text
    rows = list(csv.DictReader(io.StringIO(own_csv.text)))
    assert {r["section"] for r in rows} >= {"total", "template", "element", "channel", "profile", "suggestion"}
    assert call("GET", f"/assessments/agencies/{AGENCY}/surveys?period={month}&format=csv",
                "adm-luwu").status_code == 403

    national = call("GET", f"/assessments/surveys?period={month}&format=csv", "nas-admin-1")
    assert national.status_code == 200 and text not in national.text
    public = call("GET", f"/stats/public?period={month}")
    assert public.status_code == 200 and public.json()["survey"]["respondents"] == 5
    assert text not in public.text and text not in call("GET", f"/stats/public?period={month}&format=csv").text

"""Self-assessment through the HTTP API, on the real broker and store, with routing's officials."""
import pytest
import requests

from assessment.service import AssessmentService
from routing.service import RoutingService
from tests.unit.assessment.seeds import KOTIM_2021_SCORES, LUWU_2021_SCORES
from tests.credentials import issue_token


@pytest.fixture
def api(service_config, start_services, rpc, demo_registry):
    urls = start_services(RoutingService, AssessmentService)
    rpc.routing.import_registry(demo_registry)
    base = urls["assessment"]

    def call(method, path, official=None, **kwargs):
        headers = {"Authorization": f"Bearer {issue_token(service_config, official)}"} if official else {}
        return requests.request(method, f"{base}{path}", headers=headers, timeout=10, **kwargs)
    return call


SA = "/assessments/agencies/PEMKAB-KOTIM/self-assessments/2021"


def test_seed_004_matrix_gives_the_published_scores_and_priorities(api):
    templates = {t["id"] for t in api("GET", "/assessments/templates").json()}
    assert {"kotim-2021-20", "luwu-2021-22"} <= templates

    response = api("POST", SA, "adm-kotim", json={"template_id": "kotim-2021-20", "scores": KOTIM_2021_SCORES})
    assert response.status_code == 201, response.text
    body = response.json()
    assert [(a["aspect"], a["mean"]) for a in body["aspects"]] == [
        ("policy_institutions", 3.33), ("human_resources", 1.80), ("data_applications", 2.33),
        ("stakeholder_participation", 4.00), ("coordination_monitoring", 3.00)]
    labels = {a["aspect"]: a["label_id"] for a in body["aspects"]}
    assert labels["stakeholder_participation"] == "SANGAT BAIK" and labels["human_resources"] == "KURANG"
    priorities = {p["aspect"]: p["priority"] for p in body["suggested_priorities"]}
    assert priorities["human_resources"] == 1 and priorities["data_applications"] == 2
    assert body["version"] == 1 and body["submitted_by"] == "adm-kotim"


def test_team_decision_and_changes_are_new_versions_never_overwrites(api):
    first = api("POST", SA, "adm-kotim", json={"template_id": "kotim-2021-20", "scores": KOTIM_2021_SCORES}).json()
    decision = [{"aspect": a, "priority": i, "reason": r} for i, (a, r) in enumerate([
        ("human_resources", "Pelatihan belum ada"), ("data_applications", "Belum terintegrasi"),
        ("coordination_monitoring", None), ("policy_institutions", "Sudah ada Draf SK Bupati"),
        ("stakeholder_participation", None)], start=1)]
    decided = api("POST", SA + "/priorities", "nas-admin-1", json={"priorities": decision})
    assert decided.status_code == 201, decided.text
    assert decided.json()["version"] == 2 and decided.json()["final_priorities"][3]["reason"] == "Sudah ada Draf SK Bupati"
    assert decided.json()["suggested_priorities"] == first["suggested_priorities"]

    changed = api("POST", SA, "adm-kotim", json={"template_id": "kotim-2021-20",
                                                   "scores": {**KOTIM_2021_SCORES, "9": 4, "10": 4, "11": 4}})
    assert changed.json()["version"] == 3
    history = api("GET", SA + "/history", "spv-buleleng")
    assert history.status_code == 403  # another agency's supervisor
    versions = api("GET", SA + "/history", "adm-kotim").json()["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[0]["aspects"][1]["mean"] == 1.80 and versions[2]["aspects"][1]["mean"] == 3.6
    assert api("GET", SA + "?version=1", "adm-kotim").json()["scores"] == KOTIM_2021_SCORES
    assert api("GET", SA, "adm-kotim").json()["version"] == 3


def test_luwu_matrix_with_two_aspect_statements(api):
    response = api("POST", "/assessments/agencies/PEMKAB-LUWU/self-assessments/2021", "adm-luwu",
                   json={"template_id": "luwu-2021-22", "scores": LUWU_2021_SCORES})
    assert response.status_code == 201, response.text
    means = {a["aspect"]: a["mean"] for a in response.json()["aspects"]}
    assert means == {"policy_institutions": 2.83, "human_resources": 2.64, "data_applications": 2.71,
                     "stakeholder_participation": None, "coordination_monitoring": 2.5}


def test_bad_input_gets_contract_errors_naming_the_field(api):
    def errors(response, status):
        assert response.status_code == status, response.text
        return [(e["field"], e["code"]) for e in response.json()["errors"]]

    out_of_range = {**KOTIM_2021_SCORES, "3": 5, "4": 0}
    assert errors(api("POST", SA, "adm-kotim", json={"template_id": "kotim-2021-20", "scores": out_of_range}), 400) == [
        ("scores.3", "range"), ("scores.4", "range")]
    missing = {k: v for k, v in KOTIM_2021_SCORES.items() if k != "12"}
    assert errors(api("POST", SA, "adm-kotim", json={"template_id": "kotim-2021-20", "scores": missing}), 400) == [
        ("scores.12", "required")]
    assert errors(api("POST", SA, "adm-kotim", json={"template_id": "nope", "scores": KOTIM_2021_SCORES}), 400) == [
        ("template_id", "not_found")]
    assert errors(api("POST", "/assessments/agencies/NO-SUCH-AGENCY/self-assessments/2021", "nas-admin-1",
                      json={"template_id": "kotim-2021-20", "scores": KOTIM_2021_SCORES}), 404) == [
        ("agency_code", "not_found")]
    assert errors(api("POST", "/assessments/agencies/PEMKAB-KOTIM/self-assessments/21x", "adm-kotim",
                      json={}), 400) == [("year", "invalid")]
    assert errors(api("POST", SA, "adm-luwu", json={"template_id": "kotim-2021-20", "scores": KOTIM_2021_SCORES}),
                  403) == [("Authorization", "forbidden")]
    assert errors(api("POST", SA, None, json={}), 401) == [("Authorization", "unauthenticated")]
    assert errors(api("GET", "/assessments/kpis?period=2021-13", "adm-kotim"), 400) == [("period", "invalid")]
    assert errors(api("GET", "/stats/public?period=last-year"), 400) == [("period", "invalid")]
    assert errors(api("GET", "/assessments/templates/unknown"), 404) == [("template_id", "not_found")]


def test_operator_adds_a_template_once(api):
    template = {"id": "mini-2025", "name_id": "Mini", "name_en": "Mini",
                "aspects": [{"code": "human_resources", "name_id": "SDM", "name_en": "HR"}],
                "statements": [{"number": 1, "aspects": ["human_resources"], "text_id": "Staf cukup.",
                                "text_en": "Enough staff."}]}
    assert api("POST", "/assessments/templates", "adm-kotim", json=template).status_code == 403
    assert api("POST", "/assessments/templates", "nas-admin-1", json=template).status_code == 201
    again = api("POST", "/assessments/templates", "nas-admin-1", json=template)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "id"
    broken = {**template, "id": "mini-2026", "statements": [{**template["statements"][0], "aspects": ["x_y"]}]}
    assert api("POST", "/assessments/templates", "nas-admin-1", json=broken).json()["errors"][0]["field"] == \
        "statements.0.aspects"

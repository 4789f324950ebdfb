"""The public OpenAPI document still builds and describes the survey's endpoints."""
import importlib.util

from tests.conftest import ROOT


def build():
    spec = importlib.util.spec_from_file_location("openapi_builder", ROOT / "deploy" / "local" / "openapi.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build("http://127.0.0.1:8780")


def test_openapi_document_describes_the_survey():
    document = build()
    paths = document["paths"]
    assert {"/assessments/surveys/templates", "/assessments/surveys/templates/{template_id}",
            "/assessments/surveys/responses", "/assessments/agencies/{agency_code}/surveys/paper-responses",
            "/assessments/agencies/{agency_code}/surveys", "/assessments/surveys"} <= set(paths)
    schemas = document["components"]["schemas"]
    response_in = schemas["SurveyResponseIn"]
    assert {"tracking_id", "secret", "template_id", "scores"} <= set(response_in["required"])
    assert not {"name", "phone", "email"} & set(response_in["properties"])
    assert "suggestion_texts" in schemas["SurveyResults"]["properties"]
    assert {"survey_respondents", "survey_ikm", "survey_grade"} <= set(schemas["PublicAgency"]["properties"])
    assert paths["/assessments/surveys/responses"]["post"]["responses"]["403"]
    assert "security" not in paths["/assessments/surveys/responses"]["post"]  # reporters prove with the secret
    assert paths["/assessments/agencies/{agency_code}/surveys/paper-responses"]["post"]["security"]

"""What the admin pages read from a form (issue 21), and the front door's address in the links they
hand out (X-Forwarded-Host keeps the port that nginx's ``$host`` drops)."""
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from routing import admin_pages, pages


def test_a_form_becomes_the_registry_item_the_import_schema_takes():
    form = MultiDict({"code": " BLL-X ", "name": "", "liaison_official_id": "lo-x", "liaison_name": "X",
                      "liaison_email": "", "agency_code": "PEMKAB-LUWU"})
    item = admin_pages.item_from_form("units", form, "agency_admin")
    assert item == {"code": "BLL-X", "liaison": {"official_id": "lo-x", "name": "X", "email": None}}  # no agency
    rule = admin_pages.item_from_form("rules", MultiDict({"id": "r", "agency_code": "A", "keywords": "air, pdam ,",
                                                          "automatic": "false", "priority": ""}), "national_admin")
    assert rule["keywords"] == ["air", "pdam"] and rule["automatic"] is False and "priority" not in rule
    assert rule["unit_code"] is None and rule["gesi"] is None
    assert admin_pages.form_values("rules", {"id": "r", "keywords": ["a", "b"], "automatic": True}) == {
        "id": "r", "keywords": "a, b", "automatic": "true"}


def test_links_name_the_front_door_with_its_port():
    request = Request(EnvironBuilder(path="/petugas/admin/petugas", base_url="http://127.0.0.1:8782",
                                     headers={"Host": "127.0.0.1", "X-Forwarded-Host": "127.0.0.1:8780"}).get_environ())
    assert pages.base_url("", request) == "http://127.0.0.1:8780"
    assert pages.base_url("https://lapor.example.go.id", request) == "https://lapor.example.go.id"

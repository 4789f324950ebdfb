"""The officials' postpone form takes the date as the page asks for it (dd/mm/yyyy, a text input
that needs no script and no browser date picker; issue 21) and hands the API an ISO date."""
from pathlib import Path

from werkzeug.datastructures import MultiDict

from contract import web
from contract.officials_web import officials_web
from routing import pages, schemas

HERE = Path(schemas.__file__).parent


def test_a_typed_date_reaches_the_api_as_iso_and_a_bad_one_is_left_for_its_schema_to_refuse():
    assert pages.action_form(MultiDict({"until": "05/01/2027", "version": "3"})) == {"until": "2027-01-05", "version": 3}
    assert pages.action_form(MultiDict({"until": "2027-01-05"}))["until"] == "2027-01-05"
    assert pages.action_form(MultiDict({"until": "01/31/2027"}))["until"] == "01/31/2027"  # mm/dd: refused by the API


def test_the_postpone_field_is_a_text_input_with_the_pages_format_in_both_languages():
    pages_ = officials_web(web.Web(None, None, b"k" * 32), HERE / "templates", HERE / "messages.yml")
    source = '{% import "officials_forms.html" as fields %}{{ fields.date_input("postpone", "until", "U", {}, hint=date_hint[lang], required=True) }}'
    for lang, hint in (("id", "hh/bb/tttt"), ("en", "dd/mm/yyyy")):
        html = pages_.env.from_string(source).render(lang=lang)
        assert 'type="text"' in html and 'type="date"' not in html and "pattern=" in html and hint in html
    report = (HERE / "templates" / "report.html").read_text()
    assert 'type="date"' not in report and "fields.date_input(\"postpone\"" in report

"""The OpenAPI document is exactly as strict as the code (issue 20): schemathesis's positive data
(requests the document allows) is never refused as malformed (400/415/422: `positive_data_acceptance`),
and its negative data (requests the document forbids) is always refused with a 4xx, never accepted
(`negative_data_rejection`); and no request of either mode gets a server error (5xx), the check
test_intake_schemathesis.py makes for intake's operations alone, here for every service's.

Every operation of every service's part of /openapi.json (deploy/local/openapi.py), against the
five real service containers on the real broker and store, the demo registry imported into routing.
Operations that need an official's token get one (a national admin's; a liaison officer's where only
that role may act), so the checks see the validation rather than a 401; the SMS and social webhooks get
their gateway's secret. A 404 (no such report in this empty hub) and a 401/403 pass both checks.
"""
import importlib.util
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from assessment.service import AssessmentService
from followup.service import FollowupService
from intake.service import IntakeService
from notification.service import NotificationService
from routing.service import RoutingService
from tests.conftest import ROOT
from tests.credentials import bearer
from tests.integration.test_intake_schemathesis import GATEWAY_AUTH
from tests.integration.test_intake_submission import GATEWAYS

CASES = 12  # per operation and mode: the whole run stays under ~3 minutes on an idle machine
SERVICES = (IntakeService, RoutingService, FollowupService, NotificationService, AssessmentService)
LIAISON_ONLY = {("POST", "/channels/manual")}  # the role an operation needs when a national admin may not act
# Rules OpenAPI 3.0 cannot state, each by the field and code of the error the code answers with: a
# schema-valid request refused for these alone is no mismatch (every other error still is).
UNSTATABLE = re.compile("|".join((
    r"tracking_id:invalid",  # a tracking ID's check symbol (Luhn mod 32); its shape is in the document
    r"kind:required",  # /admin/registry: ?kind= is required with format=csv (export) or a CSV body (import)
    r"(aspects|elements|policies):invalid",  # codes and ids unique within a list; a template's weights sum to 1
    r"statements:invalid|statements\.\d+\.aspects:invalid",  # numbered 1..n; aspects the template names
    r"elements\.\d+\.answers:invalid",  # one answer label for each score 1-4
    r"incident_date:range|received_on:range",  # not in the future (today, in the hub's zone)
    r"description:required",  # something left to keep once an SMS's region keyword or a post's mention is out
    r"scores(\.[^:]*)?\.key:(length|invalid)",  # the keys of a scores map: 1-64 characters, or 1-3 digits
    r"category_code:invalid",  # a category this hub's registry has (routing's inbox filter)
)))
# The same for Open311's own error list ("field: message" descriptions)
OPEN311_UNSTATABLE = re.compile(r"start_date: start_date is after end_date\.|(start|end)_date: Must be a date "
                                r"between 1970 and 9000\.")
# Whole operations the document cannot describe: a registry file (YAML, JSON or CSV) names hubs, agencies,
# units, categories and officials that must exist in it or in the hub already, and a CSV body is a text
# that schemathesis's negative data cannot make invalid (any text is a CSV); see test_routing_registry.py.
UNDESCRIBABLE = {"POST /admin/registry"}
# The request is well formed but names something this (empty) hub does not have, or a state it is not in.
STATE = {"not_found", "conflict"}


def refused_for_unstatable_rules(response) -> bool:
    """A 400 whose every error is a rule the document cannot state, or names something missing."""
    if response.status_code != 400:
        return False
    descriptions = re.findall(r"<description>(.*?)</description>", response.text)
    if descriptions:  # Open311's XML error list
        return all(OPEN311_UNSTATABLE.fullmatch(text) for text in descriptions)
    try:
        body = response.json()
        if isinstance(body, list):  # Open311's JSON error list
            return bool(body) and all(OPEN311_UNSTATABLE.fullmatch(item.get("description", "")) for item in body)
        items = body["errors"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return False
    return bool(items) and all(UNSTATABLE.fullmatch(f"{item.get('field')}:{item.get('code')}")
                               or item.get("code") in STATE for item in items)


def hub_document() -> dict:
    """The public document, as the front door serves it."""
    loader = importlib.util.spec_from_file_location("openapi_builder", ROOT / "deploy" / "local" / "openapi.py")
    builder = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(builder)
    return builder.build("http://127.0.0.1:9")


def service_urls(base_urls: dict) -> dict:
    """Each path's service (the front door's routing, without the front door): {path: base URL}."""
    return {path: url for service, url in base_urls.items()
            for path in importlib.import_module(f"{service}.openapi_doc").OPENAPI_PATHS}


@pytest.fixture
def hub_api(start_services, service_config, rpc, demo_registry):
    config = {**service_config, "REGISTRY_FILE": str(ROOT / "deploy" / "demo" / "region.yml"),
              "RATE_LIMIT_MAX": 10**9, "GATEWAY_RATE_LIMIT_MAX": 10**9, "CHANNEL_RATE_LIMIT_MAX": 10**9,
              "OPEN311_API_KEYS": "fuzz-key", "CHANNEL_GATEWAYS": GATEWAYS}
    urls = start_services(*SERVICES, config=config)
    rpc.routing.import_registry(demo_registry)
    schema = schemathesis.openapi.from_dict(hub_document())
    tokens = {"national_admin": bearer(service_config, "nas-admin-1"),
              "liaison": bearer(service_config, "lo-bll-pupr")}
    yield schema, tokens, service_urls(urls)
    start_services.kill_all()


def headers_for(operation, tokens: dict) -> dict | None:
    if operation.path in GATEWAY_AUTH:
        return GATEWAY_AUTH[operation.path]
    if not operation.definition.raw.get("security"):
        return None
    key = (operation.method.upper(), operation.path)
    return tokens["liaison" if key in LIAISON_ONLY else "national_admin"]


def with_no_server_error(check):
    """``check``, after schemathesis's ``not_a_server_error``: a 5xx is a problem in either mode.

    (A check of its own rather than a line in ``run`` below: ``derandomize`` seeds the cases from the
    source of ``run``, so an edit there changes every generated case.)"""
    def checked(ctx, response, case):
        not_a_server_error(ctx, response, case)
        return check(ctx, response, case)
    checked.__name__ = check.__name__
    return checked


def strictness_problems(schema, tokens: dict, urls: dict, mode) -> tuple[dict, dict]:
    """One mode's run over every operation: {problem: example}, {operation: cases}."""
    check = with_no_server_error(positive_data_acceptance if mode.is_positive else negative_data_rejection)
    failures, counts = {}, {}
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if label in UNDESCRIBABLE:
            continue
        headers = headers_for(operation, tokens)
        counts[label] = 0

        @settings(max_examples=CASES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            counts[label] += 1
            response = case.call(base_url=urls[operation.path], timeout=10, headers=headers)
            if mode.is_positive and refused_for_unstatable_rules(response):
                return
            if not mode.is_positive and response.status_code == 414:  # the query is longer than a URI may be
                return
            try:
                case.validate_response(response, checks=[check])
            except FailureGroup as group:  # one line per distinct problem, with one example of it
                problem = " / ".join(line.strip() for line in str(group.exceptions[0]).splitlines()[2:] if line.strip())
                failures.setdefault(f"{label}: {problem}", f"{response.status_code} {response.text[:200]} <- "
                                    f"{case.path_parameters} {case.query} {case.headers} {str(case.body)[:200]}")

        try:
            run()
        except Unsatisfiable:  # no request violates this operation's document (nothing to negate)
            continue
    return failures, counts


def test_the_document_is_as_strict_as_the_code(hub_api):
    """Both modes on one hub (the five containers and the registry are started once): positive data is
    never refused as malformed, negative data never accepted."""
    schema, tokens, urls = hub_api
    report = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        failures, counts = strictness_problems(schema, tokens, urls, mode)
        print(f"\n{mode.value}: {sum(counts.values())} cases over {len(counts)} operations")
        assert len(counts) >= 80 and sum(counts.values()) >= 5 * len(counts), (mode.value, counts)
        report += [f"[{mode.value}] {k}: {v}" for k, v in sorted(failures.items())]
    assert not report, f"{len(report)} problems:\n" + "\n".join(report)

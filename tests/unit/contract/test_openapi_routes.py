"""Issue 24: each service's OpenAPI document takes its paths from the route table (``contract.routes``).

A route is part of the JSON API when an entrypoint serving it is a ``contract.http.ApiEntrypoint``
(``@endpoint``: JSON in and out, the contract's error format) or intake's ``GeoReportEntrypoint``
(Open311's documents, JSON or XML); pages (``contract.web.PageEntrypoint`` and the officials'),
``/health``, ``/metrics`` and ``/assets`` (plain ``HttpEntrypoint``) are not. Every documented path
is a route of its service served by such an entrypoint with the documented methods, declaring the
route's path parameters by their names in the table; every such entrypoint is documented; a path
renamed in the table moves the document."""
import importlib
import inspect
import json
import re
import subprocess
import sys

import pytest

from contract.http import ApiEntrypoint
from contract.routes import PARAMETER, ROUTES
from intake.entrypoints import GeoReportEntrypoint

from .test_routes import ROOT, SERVICES

OPERATIONS = ("get", "put", "post", "patch", "delete")
API_ENTRYPOINTS = (ApiEntrypoint, GeoReportEntrypoint)
# served but not in the document: Open311's discovery is the standard's own index of its endpoints
# (it lists the v2 paths documented here); the document has never described it
UNDOCUMENTED = {("intake", "/open311/discovery.<any(json,xml):fmt>")}


def documented(service: str) -> dict:
    """The service's paths of the public OpenAPI document, as deploy/local/openapi.py reads them."""
    return importlib.import_module(f"{service}.openapi_doc").OPENAPI_PATHS


def api_entrypoints(service: str) -> set[tuple[str, str]]:
    """(URL pattern, method) of every JSON API entrypoint of the service's class (its mixins' too)."""
    module = importlib.import_module(f"{service}.service")
    cls = next(c for c in vars(module).values() if inspect.isclass(c) and getattr(c, "name", None) == service)
    return {(entry.url, entry.method.lower()) for klass in cls.__mro__ for value in vars(klass).values()
            for entry in getattr(value, "nameko_entrypoints", ()) if isinstance(entry, API_ENTRYPOINTS)}


def route_matcher(name: str) -> re.Pattern:
    """The documented paths a route stands for: each parameter as ``{its documented name}``, or one
    literal value of it (``/admin/reports/{tracking_id}/verify``, ``/registry/categories``)."""
    route, pieces, at = ROUTES[name], [], 0
    renamed = dict(route.documented_as)
    for match in PARAMETER.finditer(route.pattern):
        pieces.append(re.escape(route.pattern[at:match.start()]))
        key = match.group("name")
        pieces.append(f"(?:\\{{{re.escape(renamed.get(key, key))}\\}}|[A-Za-z0-9_-]+)")
        at = match.end()
    return re.compile("".join(pieces) + re.escape(route.pattern[at:]) + "$")


def routes_of(service: str, path: str) -> list[str]:
    return [name for name, route in ROUTES.items() if route.service == service and route_matcher(name).match(path)]


def path_parameters(name: str, path: str) -> list[str]:
    """The route's parameters (by their documented names) that ``path`` leaves as parameters."""
    renamed = dict(ROUTES[name].documented_as)
    documented_names = [renamed.get(m.group("name"), m.group("name")) for m in PARAMETER.finditer(ROUTES[name].pattern)]
    return [key for key in documented_names if f"{{{key}}}" in path]


@pytest.mark.parametrize("service", SERVICES)
def test_every_documented_path_is_an_api_route_of_its_service_with_its_methods_and_parameters(service):
    served = api_entrypoints(service)
    for path, item in documented(service).items():
        names = routes_of(service, path)
        assert names, f"{service} documents {path}: not a route of {service} in contract.routes"
        for method in (m for m in item if m in OPERATIONS):
            assert any((ROUTES[n].pattern, method) in served for n in names), \
                f"{service} documents {method.upper()} {path}: no JSON API entrypoint of {names} serves it"
            declared = [p["name"] for p in item.get("parameters", []) + item[method].get("parameters", [])
                        if p.get("in") == "path"]
            assert sorted(declared) == sorted(path_parameters(names[0], path)), \
                f"{service}: {method.upper()} {path} declares the path parameters {declared}, the route has others"


@pytest.mark.parametrize("service", SERVICES)
def test_every_json_api_entrypoint_is_a_route_and_is_documented(service):
    paths = documented(service)
    for url, method in sorted(api_entrypoints(service)):
        if (service, url) in UNDOCUMENTED:
            continue
        names = [n for n, route in ROUTES.items() if route.service == service and route.pattern == url]
        assert names, f"{service} serves {url} as JSON API: it has no route in contract.routes"
        assert any(route_matcher(names[0]).match(path) and method in item for path, item in paths.items()), \
            f"{service}: {method.upper()} {url} ({names[0]}) is not in the OpenAPI document"


RENAMED = """
import json, sys
from contract import routes
renames = json.loads(sys.argv[1])
for name, pattern in renames.items():
    routes.ROUTES[name] = routes.ROUTES[name]._replace(pattern=pattern)
sys.path.insert(0, "deploy/local")
import openapi
print(json.dumps(sorted(openapi.build("http://x")["paths"])))
"""


def test_a_path_renamed_in_the_table_moves_the_document():
    renames = {"api_case_replies": "/cases/<string:tracking_id>/balasan",      # followup, schemas.py
               "api_reports": "/laporan-api",                                  # intake, openapi_doc.py
               "api_erasure": "/reports/<string:tracking_id>/penghapusan",      # intake, privacy_schemas.py
               "api_registry_list": "/daftar/<string:kind>",                    # routing, openapi_doc.py
               "api_digests": "/notifications/ringkasan",                      # notification, schemas.py
               "api_targets": "/assessments/agencies/<agency_code>/target/<year>"}  # assessment, openapi_doc.py
    done = subprocess.run([sys.executable, "-c", RENAMED, json.dumps(renames)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": ":".join(
                              str(ROOT / "services" / s) for s in ("contract", *SERVICES)), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    paths = set(json.loads(done.stdout))
    assert {"/cases/{tracking_id}/balasan", "/laporan-api", "/reports/{tracking_id}/penghapusan",
            "/daftar/categories", "/daftar/units", "/notifications/ringkasan",
            "/assessments/agencies/{agency_code}/target/{year}"} <= paths
    assert not {"/cases/{tracking_id}/replies", "/reports", "/reports/{tracking_id}/erasure", "/registry/categories",
                "/notifications/digests", "/assessments/agencies/{agency_code}/targets/{year}"} & paths

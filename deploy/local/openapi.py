"""Build the public OpenAPI 3 document from the services' own marshmallow schemas.

Each service's ``openapi_doc`` module lists the HTTP paths it serves behind the front door
(``OPENAPI_PATHS``) and the schemas they use (``OPENAPI_SCHEMAS``, from its ``schemas``); a path's
schema is named by its component name.  Usage: python deploy/local/openapi.py BASE_URL > openapi.json
"""
from __future__ import annotations

import copy
import importlib
import json
import sys

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from contract.inputs import INT64  # contract.schema refuses an integer beyond it (400)

SERVICES = ("intake", "routing", "followup", "notification", "assessment")


class ErrorItem(Schema):
    field = fields.String(allow_none=True, metadata={"description": "The field at fault (dotted path), or null."})
    code = fields.String(metadata={"description": "Stable machine-readable code (required, invalid, ...)."})
    message = fields.String(metadata={"description": "English text."})
    message_id = fields.String(metadata={"description": "Bahasa Indonesia text."})


class Errors(Schema):
    errors = fields.List(fields.Nested(ErrorItem))


def _resolve(node):
    """Replace ``"schema": "Name"`` shorthands with component references."""
    if isinstance(node, dict):
        return {k: ({"$ref": f"#/components/schemas/{v}"} if k == "schema" and isinstance(v, str) else _resolve(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v) for v in node]
    return node


OPERATIONS = ("get", "put", "post", "patch", "delete")
OPEN311_ERRORS = {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                  "text/xml": {"schema": {"type": "string"}}}


def standard_responses(document: dict) -> dict:
    """Every answer the shared mechanisms can give, on every operation that can get it (issue 13: a
    fuzzer finds no undocumented status): 400 for any input (contract.http, the front door's own 400),
    401/403 where an official's token is required (contract.auth), 404 where the path names something
    (and for an unknown Open311 format), 413 for a body over the front door's limit, 415 for a JSON
    body sent as another type (contract.http.read_json), 503 with
    Retry-After everywhere (the store or a service unreachable: contract.store, the front door).
    Under /open311/ in the standard's error list, elsewhere in the contract's error format."""
    errors = {"$ref": "#/components/schemas/Errors"}
    for path, item in document["paths"].items():
        open311 = path.startswith("/open311/")
        content = OPEN311_ERRORS if open311 else {"application/json": {"schema": errors}}
        for method, operation in item.items():
            if method not in OPERATIONS:
                continue
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", []) + item.get("parameters", [])

            def add(status: str, description: str, **extra) -> None:
                responses.setdefault(status, {"description": description, "content": content, **extra})

            if parameters or "requestBody" in operation or "{" in path:
                add("400", "Invalid input (each problem names its field)")
            security = operation.get("security", document.get("security")) or []
            if security and {} not in security:
                add("401", "No valid official token (Authorization: Bearer ...)")
                add("403", "The official's role or scope does not allow this")
            if "{" in path:
                add("404", "Not found")
            if "requestBody" in operation:
                add("413", "The request is too large (the front door's limit: 25 MB)")
                if "application/json" in operation["requestBody"].get("content", {}):
                    add("415", "The body was not sent as JSON (Content-Type: application/json)")
            add("503", "The store or the service is unreachable; resend (with the same Idempotency-Key) after "
                       "Retry-After seconds", headers={"Retry-After": {"schema": {"type": "integer"}}})
    return document


def plain_parameters(document: dict) -> dict:
    """A path, query or header parameter is a string on the wire, never null: a marshmallow query
    schema expanded into parameters (``{"in": "query", "schema": QuerySchema}``) loses its
    ``nullable``, its null default and the null in its enums."""
    for item in document["paths"].values():
        for operation in [item, *(item.get(method, {}) for method in OPERATIONS)]:
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                schema.pop("nullable", None)
                if "default" in schema and schema["default"] is None:
                    del schema["default"]
                if "enum" in schema:
                    schema["enum"] = [value for value in schema["enum"] if value is not None]
    return document


NULL_ONLY = {"type": "object", "nullable": True}


def null_means_null(node):
    """apispec writes a nullable nested schema as ``anyOf: [{$ref}, {type: object, nullable: true}]``,
    whose second branch lets any object through; make that branch null and nothing else."""
    if isinstance(node, dict):
        if isinstance(node.get("anyOf"), list):
            node["anyOf"] = [{**NULL_ONLY, "enum": [None]} if branch == NULL_ONLY else branch
                             for branch in node["anyOf"]]
        for value in node.values():
            null_means_null(value)
    elif isinstance(node, list):
        for value in node:
            null_means_null(value)
    return node


def store_integer_bounds(self, field, ret, **kwargs) -> dict:
    """An integer field's bounds the code enforces everywhere (``contract.schema``: the store holds
    int64), where the field's own validators set none."""
    if not isinstance(field, fields.Integer):
        return {}
    return {key: bound for key, bound in (("minimum", INT64[0]), ("maximum", INT64[1])) if key not in ret}


def build(base_url: str) -> dict:
    marshmallow_plugin = MarshmallowPlugin()
    spec = APISpec(title="LAPOR-Hub API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[marshmallow_plugin],
                   info={"description": "National no-wrong-door public-complaint platform (SP4N-LAPOR! model). "
                                        "Errors: {\"errors\": [{field, code, message, message_id}]}."},
                   servers=[{"url": base_url}])
    marshmallow_plugin.converter.add_attribute_function(store_integer_bounds)
    spec.components.schema("Errors", schema=Errors)
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer",
        "description": "An official's token (issued by routing: POST /admin/officials/{id}/tokens or the CLI)."})
    error_body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}}
    spec.components.response("BadRequest", {"description": "Invalid input", **error_body})
    spec.components.response("NotFound", {"description": "Not found", **error_body})
    spec.components.response("Conflict", {"description": "Not allowed in the current state", **error_body})
    for service in SERVICES:
        try:
            module = importlib.import_module(f"{service}.openapi_doc")
        except ModuleNotFoundError:
            continue
        for name, schema in getattr(module, "OPENAPI_SCHEMAS", {}).items():
            spec.components.schema(name, schema=schema)
        for path, operations in getattr(module, "OPENAPI_PATHS", {}).items():
            spec.path(path=path, operations=_resolve(copy.deepcopy(operations)))
    return standard_responses(plain_parameters(null_means_null(spec.to_dict())))


if __name__ == "__main__":
    json.dump(build(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8780"), sys.stdout, indent=2,
              ensure_ascii=False)

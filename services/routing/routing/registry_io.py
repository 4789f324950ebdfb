"""Registry files: YAML (the whole registry) or CSV (one collection per file), both ways.

Every item keeps the line it starts on, so that a bad row is reported by line; nothing is
applied unless the whole file is valid (see cli.import_file and RoutingService.import_registry).
CSV: a header row of field names; ``liaison.name`` style headers nest, ``|`` separates list
items (``keywords``); an empty cell means "not set".
"""
from __future__ import annotations

import csv
import io
import json
import re

import yaml
from marshmallow import ValidationError

from contract import csvfile, i18n, inputs
from contract.errors import ApiError, from_validation_error, translated
from routing import domain, schemas
from routing.domain import forwarding

TEXTS = i18n.of_service("routing")  # error texts: ``api.*`` (contract.i18n)

LIST_FIELDS = {"keywords"}
_INDEXED = re.compile(r"^(\w+)\.(\d+)(?:\.|$)")


class RegistryFileError(ValueError):
    """A file that cannot even be read as a registry; carries contract error items."""

    def __init__(self, items: list[dict]):
        super().__init__(json.dumps({"errors": items}, indent=2, ensure_ascii=False))
        self.items = items


def parse(text: str, media_type: str, kind: str | None) -> tuple[dict, dict[str, list[int]]]:
    """A registry body by its media type: CSV (one collection: ``kind``), JSON, else YAML."""
    if "csv" in media_type:
        if kind not in domain.COLLECTIONS:
            raise RegistryFileError([translated("kind", "required", TEXTS, "api.registry.csv_kind")])
        return parse_csv(text, kind)
    if not text.strip():
        raise RegistryFileError([translated(None, "required", TEXTS, "api.registry.empty")])
    if "json" in media_type:
        try:
            data = inputs.loads_json(text)
        except ApiError as exc:
            raise RegistryFileError(exc.errors)
        return (data if isinstance(data, dict) else {"_": data}), {}
    return parse_yaml(text)


def parse_yaml(text: str) -> tuple[dict, dict[str, list[int]]]:
    """The registry in a YAML text and, per collection, the line of each item."""
    try:
        data = inputs.check_tree(yaml.safe_load(text) or {})
        root = yaml.compose(text)
    except (RecursionError, ApiError) as exc:  # nested too deep for the parser, or for us
        raise RegistryFileError(exc.errors if isinstance(exc, ApiError) else inputs.too_deep().errors)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        item = translated(None, "invalid", TEXTS, "api.registry.not_yaml", problem=getattr(exc, "problem", exc))
        raise RegistryFileError([{**item, "line": mark.line + 1} if mark else item])
    lines: dict[str, list[int]] = {}
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(value, yaml.SequenceNode):
                lines[key.value] = [item.start_mark.line + 1 for item in value.value]
    return (data if isinstance(data, dict) else {"_": data}), lines


def parse_csv(text: str, kind: str) -> tuple[dict, dict[str, list[int]]]:
    """One collection from a CSV text, with the line of each row."""
    reader = csv.DictReader(io.StringIO(text))
    rows, lines = [], []
    for row in reader:
        item: dict = {}
        for header, cell in row.items():
            if header is None or cell is None or cell.strip() == "":
                continue
            value = csvfile.restore(cell.strip())
            if header in LIST_FIELDS:
                value = [v.strip() for v in value.split("|") if v.strip()]
            parent, _, child = header.partition(".")
            if child:
                item.setdefault(parent, {})[child] = value
            else:
                item[header] = value
        rows.append(item)
        lines.append(reader.line_num)
    return {kind: rows}, {kind: lines}


def kind_of(path: str) -> str:
    """The collection a CSV file holds, from its name (``rules.csv``, ``demo-rules.csv``)."""
    stem = re.split(r"[/\\]", path)[-1].rsplit(".", 1)[0].lower()
    for name in domain.COLLECTIONS:
        if stem == name or stem.endswith(f"-{name}") or stem.endswith(f"_{name}"):
            return name
    raise ValueError(f"cannot tell which collection {path!r} holds; name it after one of {domain.COLLECTIONS}")


def with_lines(items: list[dict], lines: dict[str, list[int]]) -> list[dict]:
    """Error items with the ``line`` of the row they are about (when known)."""
    out = []
    for item in items:
        match = _INDEXED.match(item.get("field") or "")
        line = None
        if match and match.group(1) in lines and int(match.group(2)) < len(lines[match.group(1)]):
            line = lines[match.group(1)][int(match.group(2))]
        out.append({**item, "line": line} if line else item)
    return sorted(out, key=lambda e: e.get("line") or 0)


def validate(data: dict, lines: dict[str, list[int]], known: dict, stored_rules: list[dict],
             unit_agency: dict, stored_hubs: list[dict] = ()) -> tuple[dict | None, list[dict]]:
    """(the loaded registry, []) or (None, error items with lines): schema, then cross-references
    (and the hub directory after the import must be a tree of tiers)."""
    try:
        registry = schemas.RegistryIn().load(data)
    except ValidationError as exc:
        return None, with_lines(from_validation_error(exc).errors, lines)
    problems = domain.registry_problems(registry, known, stored_rules, unit_agency)
    problems += forwarding.directory_problems(registry.get("hubs") or [], list(stored_hubs))
    return (None, with_lines(problems, lines)) if problems else (registry, [])


def to_yaml(registry: dict) -> str:
    return yaml.safe_dump(registry, allow_unicode=True, sort_keys=False, width=120)


def to_csv(items: list[dict]) -> str:
    """One collection as CSV (nested fields dotted, lists joined with ``|``)."""
    flat = []
    for item in items:
        row = {}
        for key, value in item.items():
            if isinstance(value, dict):
                row.update({f"{key}.{k}": v for k, v in value.items()})
            elif isinstance(value, list):
                row[key] = "|".join(value)
            else:
                row[key] = value
        flat.append(row)
    headers: list[str] = []
    for row in flat:
        headers += [h for h in row if h not in headers]
    out = io.StringIO()
    writer = csvfile.dict_writer(out, headers)
    writer.writeheader()
    for row in flat:
        writer.writerow({k: "" if v is None else str(v).lower() if isinstance(v, bool) else v for k, v in row.items()})
    return out.getvalue()

"""Operator CLI for the organisation registry.

    python -m routing.cli import FILE.yml [--config services/routing/config.yml]

Validates the whole file first (schema and cross-references); a bad file changes nothing.
"""
from __future__ import annotations

import argparse
import json
import sys

import yaml
from marshmallow import ValidationError

from contract.config import load_config
from contract.errors import from_validation_error
from contract.store import acquire_client, release_client
from routing import domain, schemas
from routing.dependencies import Registry


def import_file(path: str, config: dict) -> dict:
    with open(path) as handle:
        raw = yaml.safe_load(handle) or {}
    try:
        registry = schemas.RegistryIn().load(raw)
    except ValidationError as exc:
        raise SystemExit(json.dumps(from_validation_error(exc).to_dict(), indent=2, ensure_ascii=False))
    uri = config["MONGODB_URI"]
    client = acquire_client(uri)
    try:
        repo = Registry(client, client[config["MONGODB_DATABASE"]])
        known = repo.known_codes()
        problems = domain.registry_problems(registry, known)
        if problems:
            raise SystemExit(json.dumps({"errors": problems}, indent=2, ensure_ascii=False))
        return repo.import_registry(registry)
    finally:
        release_client(uri)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="routing.cli", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import a registry YAML file")
    imp.add_argument("file")
    imp.add_argument("--config", default="services/routing/config.yml")
    args = parser.parse_args(argv)
    counts = import_file(args.file, load_config(args.config))
    print("imported: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Operator CLI for the organisation registry.

    python -m routing.cli import FILE.yml [--config services/routing/config.yml]
    python -m routing.cli token OFFICIAL_ID [--days 30]

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
from contract.store import acquire_client, release_client, utcnow
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


def issue_token(official_id: str, days: int, config: dict) -> str:
    uri = config["MONGODB_URI"]
    client = acquire_client(uri)
    try:
        repo = Registry(client, client[config["MONGODB_DATABASE"]])
        official = repo.official(official_id)
        if official is None:
            raise SystemExit(f"unknown official: {official_id}")
        token, doc = domain.new_token(official, utcnow(), days)
        repo.add_token(doc)
        return token
    finally:
        release_client(uri)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="routing.cli", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import a registry YAML file")
    imp.add_argument("file")
    imp.add_argument("--config", default="services/routing/config.yml")
    tok = sub.add_parser("token", help="issue a token for an official (printed once)")
    tok.add_argument("official_id")
    tok.add_argument("--days", type=int, default=30)
    tok.add_argument("--config", default="services/routing/config.yml")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    if args.command == "import":
        counts = import_file(args.file, config)
        print("imported: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    else:
        print(issue_token(args.official_id, args.days, config))
    return 0


if __name__ == "__main__":
    sys.exit(main())

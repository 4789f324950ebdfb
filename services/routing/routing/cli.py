"""Operator CLI for the organisation registry and officials' tokens.

    python -m routing.cli import FILE.yml|FILE.csv [--kind rules] [--config services/routing/config.yml]
    python -m routing.cli export [--format yaml|csv --kind rules] [--output FILE]
    python -m routing.cli token OFFICIAL_ID [--days 30]
    python -m routing.cli revoke OFFICIAL_ID
    python -m routing.cli password-link OFFICIAL_ID [--hours 48] [--base-url URL]

A file is validated whole first (schema, then cross-references and rule ties); a bad row is
reported with its line and nothing of the file is applied. Importing the same file twice
changes nothing the second time.
"""
from __future__ import annotations

import argparse
import json
import sys

from contract.config import load_config
from contract.store import acquire_client, release_client, utcnow
from routing import domain, registry_io, signin
from routing.accounts import Accounts
from routing.dependencies import Registry


class CliError(Exception):
    pass


def _registry(config: dict) -> tuple[Registry, str]:
    uri = config["MONGODB_URI"]
    client = acquire_client(uri)
    return Registry(client, client[config["MONGODB_DATABASE"]]), uri


def import_file(path: str, config: dict, kind: str | None = None) -> dict:
    """Validate and apply a registry file; CliError with contract errors (and lines) if bad."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if path.lower().endswith(".csv"):
        data, lines = registry_io.parse_csv(text, kind or registry_io.kind_of(path))
    else:
        data, lines = registry_io.parse_yaml(text)
    repo, uri = _registry(config)
    try:
        registry, problems = registry_io.validate(data, lines, repo.known_codes(), repo.all_rules(),
                                                  repo.unit_agencies(), repo.hubs())
        if problems:
            raise CliError(json.dumps({"errors": problems}, indent=2, ensure_ascii=False))
        return repo.import_registry(registry, config.get("HUB_CODE") or "ID")
    finally:
        release_client(uri)


def export(config: dict, fmt: str, kind: str | None) -> str:
    repo, uri = _registry(config)
    try:
        registry = repo.export()
    finally:
        release_client(uri)
    if fmt == "csv":
        if kind not in domain.COLLECTIONS:
            raise CliError(f"--kind is required for CSV: one of {', '.join(domain.COLLECTIONS)}")
        return registry_io.to_csv(registry[kind])
    return registry_io.to_yaml({kind: registry[kind]} if kind else registry)


def issue_token(official_id: str, days: int, config: dict) -> str:
    repo, uri = _registry(config)
    try:
        official = repo.official(official_id)
        if official is None:
            raise CliError(f"unknown official: {official_id}")
        token, doc = domain.new_token(official, utcnow(), days)
        repo.add_token(doc)
        return token
    finally:
        release_client(uri)


def password_link(official_id: str, hours: int, base_url: str, config: dict) -> str:
    """A one-time link for an official to set a password and sign in in the browser."""
    client = acquire_client(config["MONGODB_URI"])
    try:
        accounts = Accounts(client, client[config["MONGODB_DATABASE"]])
        official = accounts.official(official_id)
        if official is None:
            raise CliError(f"unknown official: {official_id}")
        link = signin.issue_link(accounts, official, utcnow(), hours, "operator")
        return f"{base_url.rstrip('/')}{link['path']}  (works once, until {link['expires_at']:%Y-%m-%d %H:%M} UTC)"
    finally:
        release_client(config["MONGODB_URI"])


def revoke(official_id: str, config: dict) -> int:
    repo, uri = _registry(config)
    try:
        return repo.revoke_tokens(official_id)
    finally:
        release_client(uri)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="routing.cli", description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="services/routing/config.yml")
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import a registry file (YAML, or CSV of one collection)")
    imp.add_argument("file")
    imp.add_argument("--kind", choices=domain.COLLECTIONS, help="the collection a CSV file holds")
    exp = sub.add_parser("export", help="export the registry")
    exp.add_argument("--format", choices=("yaml", "csv"), default="yaml")
    exp.add_argument("--kind", choices=domain.COLLECTIONS)
    exp.add_argument("--output")
    tok = sub.add_parser("token", help="issue a token for an official (printed once)")
    tok.add_argument("official_id")
    tok.add_argument("--days", type=int, default=30, choices=range(1, 366), metavar="DAYS")
    rev = sub.add_parser("revoke", help="revoke every token of an official")
    rev.add_argument("official_id")
    link = sub.add_parser("password-link", help="issue a one-time link to set an official's password")
    link.add_argument("official_id")
    link.add_argument("--hours", type=int, default=48, choices=range(1, 169), metavar="HOURS")
    link.add_argument("--base-url", default=None, help="the front door's address (default: PUBLIC_BASE_URL)")
    for command in (imp, exp, tok, rev, link):  # accepted after the command too, as before
        command.add_argument("--config", default=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    config = load_config(args.config)
    try:
        if args.command == "import":
            counts = import_file(args.file, config, args.kind)
            print("imported: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
        elif args.command == "export":
            text = export(config, args.format, args.kind)
            if args.output:
                with open(args.output, "w", encoding="utf-8") as handle:
                    handle.write(text)
            else:
                sys.stdout.write(text)
        elif args.command == "password-link":
            base = args.base_url or config.get("PUBLIC_BASE_URL") or ""
            print(password_link(args.official_id, args.hours, base, config))
        elif args.command == "token":
            print(issue_token(args.official_id, args.days, config))
        else:
            print(f"revoked: {revoke(args.official_id, config)}")
    except (CliError, ValueError, OSError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

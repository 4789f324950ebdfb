"""Operator CLI for the organisation registry and officials' tokens.

    python -m routing.cli import FILE.yml|FILE.csv [--kind rules] [--config services/routing/config.yml]
    python -m routing.cli export [--format yaml|csv --kind rules] [--output FILE]
    python -m routing.cli token OFFICIAL_ID [--days 30]
    python -m routing.cli revoke OFFICIAL_ID
    python -m routing.cli password-link OFFICIAL_ID [--hours 48] [--base-url URL]
    python -m routing.cli lift-limit OFFICIAL_ID

Officials' credentials are minted only here (the operator) and through routing's admin HTTP API
(an admin, for the officials they manage), never over RPC; each issue, revocation and lifted
sign-in limit is audited (``account_audit``, actor ``operator`` here).

A file is validated whole first (schema, then cross-references and rule ties); a bad row is
reported with its line and nothing of the file is applied. Importing the same file twice
changes nothing the second time.
"""
from __future__ import annotations

import argparse
import json
import sys

from contract.config import load_config
from contract.errors import ApiError
from contract.store import acquire_client, release_client
from routing import domain, handlers, registry_io
from routing.dependencies import store_at


class CliError(Exception):
    pass


def _run(config: dict, handler, *args, read: bool = False):
    """``handler(uow, *args)`` in a unit of work on the configured database (read-only if ``read``)."""
    uri = config["MONGODB_URI"]
    client = acquire_client(uri)
    try:
        units = store_at(client, client[config["MONGODB_DATABASE"]], config).units()
        return units.read(handler, *args) if read else units.run(handler, *args)
    except ApiError as exc:
        raise CliError(json.dumps({"errors": exc.errors}, indent=2, ensure_ascii=False))
    finally:
        release_client(uri)


def import_file(path: str, config: dict, kind: str | None = None) -> dict:
    """Validate and apply a registry file; CliError with contract errors (and lines) if bad."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if path.lower().endswith(".csv"):
        data, lines = registry_io.parse_csv(text, kind or registry_io.kind_of(path))
    else:
        data, lines = registry_io.parse_yaml(text)
    return _run(config, handlers.import_registry, data, lines)


def export(config: dict, fmt: str, kind: str | None) -> str:
    registry = _run(config, handlers.export_registry, read=True)
    if fmt == "csv":
        if kind not in domain.COLLECTIONS:
            raise CliError(f"--kind is required for CSV: one of {', '.join(domain.COLLECTIONS)}")
        return registry_io.to_csv(registry[kind])
    return registry_io.to_yaml({kind: registry[kind]} if kind else registry)


def issue_token(official_id: str, days: int, config: dict) -> str:
    try:
        return _run(config, handlers.issue_token, official_id, days)["token"]
    except CliError:
        raise CliError(f"unknown official: {official_id}")


def hub_invite(code: str, hours: int, config: dict) -> str:
    """A one-time join token for hub ``code`` (issue 19): give it to that hub's operator for ``hub join``."""
    invited = _run(config, handlers.invite_hub, code, hours)
    return f"{invited['token']}\n(for hub {invited['code']}, valid until {invited['expires_at']}; shown once)"


def password_link(official_id: str, hours: int, base_url: str, config: dict) -> str:
    """A one-time link for an official to set a password and sign in in the browser."""
    try:
        link = _run(config, handlers.issue_password_link, official_id, hours, "operator")
    except CliError:
        raise CliError(f"unknown official: {official_id}")
    return f"{base_url.rstrip('/')}{link['path']}  (works once, until {link['expires_at']:%Y-%m-%d %H:%M} UTC)"


def revoke(official_id: str, config: dict) -> int:
    return _run(config, handlers.revoke_tokens, official_id)["revoked"]


def lift_limit(official_id: str, config: dict) -> int:
    """Forget an official's wrong passwords (the account's lock and every client's delay on it)."""
    try:
        return _run(config, handlers.lift_signin_limit, official_id)["cleared"]
    except CliError:
        raise CliError(f"unknown official: {official_id}")


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
    lift = sub.add_parser("lift-limit", help="lift an official's sign-in limit after too many wrong passwords")
    lift.add_argument("official_id")
    invite = sub.add_parser("hub-invite", help="a one-time token for a hub to join this one as its child")
    invite.add_argument("code")
    invite.add_argument("--hours", type=int, default=24, choices=range(1, 169), metavar="HOURS")
    for command in (imp, exp, tok, rev, link, lift, invite):  # accepted after the command too, as before
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
        elif args.command == "hub-invite":
            print(hub_invite(args.code, args.hours, config))
        elif args.command == "lift-limit":
            print(f"cleared: {lift_limit(args.official_id, config)}")
        else:
            print(f"revoked: {revoke(args.official_id, config)}")
    except (CliError, ValueError, OSError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Operator CLI: bulk import of offline reports from a CSV file; Open311 clients' api_keys.

    python -m intake.cli import FILE.csv [--config services/intake/config.yml] [--errors FILE.csv]
    python -m intake.cli hub-keygen FILE      (this hub's key pair; prints the public key)
    python -m intake.cli hub-signing-keygen FILE  (this hub's signing key pair; prints the public key)
    python -m intake.cli open311-key issue CLIENT | revoke CLIENT | list [--config ...]

An issued key is printed once; only its hash is stored (national admins have the same through
``/channels/open311/keys``).

Every row is validated whole (the manual form's rules, and completeness); a valid row is stored
with its ``report_received`` event in one transaction (the running intake's outbox relay then
publishes it), a bad row is reported with its line, field and message and nothing of it is
stored. Rows are keyed by their content: importing the same file twice stores nothing new.
"""
from __future__ import annotations

import argparse
import csv
import sys

from marshmallow import ValidationError

from contract import csvfile, errors, hubsign, sealing
from contract.config import load_config
from contract.store import acquire_client, database_name, release_client
from contract.unitstore import UnitOfWorkStore
from intake import csv_import, handlers
from intake.dependencies import REPOSITORIES, Settings
from intake.open311_schemas import ApiKeyIn

COLUMNS = csv_import.COLUMNS


class CliStore(UnitOfWorkStore):
    """Intake's store for the CLI: the same repositories and handlers as the service, no container."""

    repositories = REPOSITORIES


def units_of(client, config: dict):
    return CliStore(client, client[database_name(config, "intake")], Settings.from_config(config)).units()


def progress(done: int, total: int, stored: int, failed: int, stream=sys.stderr) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} stored={stored} errors={failed}")
    stream.flush()


def import_csv(path: str, config: dict, hub: str, report_errors=None, stream=sys.stderr) -> dict:
    """Import ``path``; returns counts. ``report_errors(line, problems)`` receives each bad row."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        text = handle.read()
    total = max(0, sum(1 for _ in csv.reader(text.splitlines())) - 1)
    uri = config.get("MONGODB_URI")
    client = acquire_client(uri)
    try:
        units = units_of(client, config)
        categories = units.read(handlers.form_registry)["categories"]
        counts = {"rows": 0, "stored": 0, "already_imported": 0, "errors": 0}
        for line, form, problems, key in csv_import.parse(text, categories):
            if line > 1:  # line 1 is the header (its problems stop the import)
                counts["rows"] += 1
            if form is None:
                counts["errors"] += 1
                if report_errors:
                    report_errors(line, problems)
            else:
                stored = units.run(handlers.import_report, {"form": form, "hub": hub, "key": key})
                counts["stored" if stored else "already_imported"] += 1
            progress(min(counts["rows"], total), total, counts["stored"], counts["errors"], stream)
        stream.write("\n")
        return counts
    finally:
        release_client(uri)


def hub_keygen(path: str, keys=sealing) -> int:
    """Write a new private key to ``path`` (never overwriting one) and print the public key
    (``keys``: ``sealing``, the X25519 sealing key, or ``hubsign``, the Ed25519 signing key)."""
    try:
        print(keys.write_private_key(path))
    except FileExistsError:
        try:
            print(keys.public_key_of(keys.read_private_key(path)))  # the same key, its public half
        except (sealing.SealError, hubsign.SignError) as exc:
            print(str(exc), file=sys.stderr)
            return 1
    except OSError as exc:
        print(f"cannot write {path}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


def open311_keys(config: dict, action: str, client: str | None) -> int:
    """Issue (prints the key once), revoke or list the api_keys of Open311 clients."""
    if action != "list":
        try:
            client = ApiKeyIn().load({"client": client})["client"]
        except ValidationError as exc:
            for item in errors.from_validation_error(exc).errors:
                print(f"{item['field']}: {item['message']}", file=sys.stderr)
            return 2
    uri = config.get("MONGODB_URI")
    client_of_store = acquire_client(uri)
    units = units_of(client_of_store, config)
    try:
        if action == "issue":
            key = units.run(handlers.issue_key, client)["api_key"]
            print(f"api_key for {client} (shown once, keep it secret): {key}")
        elif action == "revoke":
            print(f"revoked {units.run(handlers.revoke_keys, client)} key(s) of {client}")
        else:
            for row in units.read(handlers.list_keys):
                state = f"revoked {row['revoked_at']:%Y-%m-%d}" if row.get("revoked_at") else "active"
                print(f"{row['client']}\tissued {row['created_at']:%Y-%m-%d}\t{state}")
        return 0
    finally:
        release_client(uri)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="intake.cli", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import offline reports from a CSV file")
    imp.add_argument("file")
    imp.add_argument("--config", default="services/intake/config.yml")
    imp.add_argument("--errors", help="write the per-row error report to this CSV file (default: stderr)")
    key = sub.add_parser("hub-keygen", help="make this hub's key pair: the private key to a new file (mode 0600), "
                                            "the public key (for the hub directory) printed")
    key.add_argument("file")
    key.add_argument("--config", help=argparse.SUPPRESS)
    sign = sub.add_parser("hub-signing-keygen", help="make this hub's signing key pair (Ed25519): the private key "
                                                     "to a new file (mode 0600), the public key (the directory's "
                                                     "signing_key) printed")
    sign.add_argument("file")
    sign.add_argument("--config", help=argparse.SUPPRESS)
    keys = sub.add_parser("open311-key", help="issue, revoke or list Open311 clients' api_keys")
    keys.add_argument("action", choices=("issue", "revoke", "list"))
    keys.add_argument("client", nargs="?")
    keys.add_argument("--config", default="services/intake/config.yml")
    args = parser.parse_args(argv)
    if args.command == "hub-keygen":
        return hub_keygen(args.file)
    if args.command == "hub-signing-keygen":
        return hub_keygen(args.file, hubsign)
    config = load_config(args.config)
    if args.command == "open311-key":
        return open311_keys(config, args.action, args.client)
    rows = []

    def collect(line, problems):
        rows.extend([line, p["field"], p["code"], p["message"], p["message_id"]] for p in problems)

    counts = import_csv(args.file, config, config.get("HUB_CODE") or "ID", collect)
    out = open(args.errors, "w", newline="", encoding="utf-8") if args.errors else sys.stderr
    writer = csvfile.writer(out)
    if rows:
        writer.writerow(["line", "field", "code", "message", "message_id"])
        writer.writerows(rows)
    if args.errors:
        out.close()
    print(f"rows={counts['rows']} stored={counts['stored']} already_imported={counts['already_imported']} "
          f"errors={counts['errors']}")
    return 1 if counts["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())

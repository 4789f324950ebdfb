"""A new hub joins its parent with one command (issue 19; docs/hubs.md "A hub joins"):

    python deploy/hubs/join.py --code 5171 --parent http://127.0.0.1:10890 --token join_... --offset 291
        [--name "Simpul Kota Denpasar"] [--region "5171=Kota Denpasar"] [--dir .run/joined-5171] [--no-start]
    make hub-join CODE=5171 PARENT=http://127.0.0.1:10890 TOKEN=join_... OFFSET=291 [NAME=... REGION=5171=...]

In its run folder (default .run/joined-<code>): the hub's intake and signing keys (secrets/, mode
0600, as deploy/hubs/prepare.py makes them), a password for its parent's link user on its broker;
then ``POST <parent>/hubs/join`` with the one-time token (``make hub-invite`` at the parent), its
keys, address and link; from the answer the directory (directory.yml), its registry (registry.yml:
what the parent holds, plus the regions given with --region, owned by this hub, which it publishes
on start) and its link secrets (secrets/links.yml: its login on the parent's broker). It writes a
one-hub hubs file (hubs.yml) and starts the stack with ``deploy/hubs/hubs.sh start`` on it, which
applies this hub's side of the link (its link user for the parent, its shovel to the parent),
starts its link metrics and records the run folder in .run/hubs-started (``make stop`` stops it).
The parent's side follows by itself (contract.hubkeeper). No password is printed.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import requests
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import prepare  # noqa: E402  (deploy/hubs/prepare.py: the same keys as the demo hubs)

from contract import hublink, hubnet, localstack  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
JOINED = "joined.yml"  # the run folder was made by a join (hubs.sh start then skips prepare.py)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hub-join", description=__doc__.split("\n")[0])
    parser.add_argument("--code", required=True, help="the new hub's code (a string: 5171)")
    parser.add_argument("--parent", required=True, help="the parent's front door, http://host:port")
    parser.add_argument("--token", required=True, help="the one-time token the parent's operator issued")
    parser.add_argument("--offset", type=int, required=True, help="port offset (contract.localstack.ports)")
    parser.add_argument("--name", default=None, help="the hub's name (default: Simpul <code>)")
    parser.add_argument("--region", action="append", default=[], metavar="CODE=NAME",
                        help="a region this hub owns (a district of the parent's region)")
    parser.add_argument("--dir", default=None, help="run folder (default .run/joined-<code>)")
    parser.add_argument("--no-start", action="store_true", help="prepare and join, do not start the stack")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[A-Z0-9]{2,8}", args.code):
        parser.error(f"--code {args.code!r}: a hub code is 2-8 of A-Z0-9")
    return args


def own_regions(pairs: list[str], code: str, parent_region: dict | None) -> list[dict]:
    """The --region CODE=NAME pairs as registry regions owned by hub ``code`` (districts of the parent's)."""
    regions = []
    for pair in pairs:
        region, _, name = pair.partition("=")
        if not region or not name or parent_region is None:
            raise SystemExit(f"--region {pair!r}: CODE=NAME of a district of the parent's region expected")
        regions.append({"code": region, "name": name, "level": "district", "parent": parent_region["code"],
                        "timezone": parent_region["timezone"], "hub": code, "keywords": [name.lower()]})
    return regions


def join(args, run_dir: Path, env: dict) -> dict:
    """The join posted to the parent; its answer (or SystemExit naming the refusal)."""
    password = secrets.token_hex(24)  # the parent's link user on this broker
    body = {"token": args.token, "code": args.code, "name": args.name or f"Simpul {args.code}",
            "public_url": f"http://127.0.0.1:{env['LAPOR_HTTP_PORT']}",
            "public_key": prepare.key_pair(run_dir), "signing_key": prepare.signing_key_pair(run_dir),
            "link": {"amqp_address": f"127.0.0.1:{env['LAPOR_AMQP_PORT']}", "password": password}}
    answer = requests.post(f"{args.parent.rstrip('/')}/hubs/join", json=body, timeout=60)
    if answer.status_code != 201:
        errors = answer.json().get("errors", []) if answer.headers.get("Content-Type", "").startswith(
            "application/json") else []
        raise SystemExit(f"hub-join: the parent refused ({answer.status_code}): "
                         + ("; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors) or answer.text[:200]))
    return {**answer.json(), "inbound_password": password}


def write_run_folder(args, root: Path, run_dir: Path, env: dict, joined: dict) -> Path:
    """directory.yml, registry.yml, secrets/links.yml, hub.env and the one-hub hubs file."""
    entry, parent, link = joined["hub"], joined["parent"], joined["link"]
    (root / "directory.yml").write_text(yaml.safe_dump({"hubs": joined["directory"]}, sort_keys=False))
    registry = dict(joined["registry"])
    parent_hub = next(h for h in joined["directory"] if h["code"] == parent)
    regions = {r["code"]: r for r in registry.get("regions", [])}
    registry["regions"] = list(regions.values()) + [
        r for r in own_regions(args.region, args.code, regions.get(parent_hub.get("region_code") or parent))
        if r["code"] not in regions]
    registry["hubs"] = joined["directory"]
    (run_dir / "registry.yml").write_text(yaml.safe_dump(registry, sort_keys=False, allow_unicode=True))
    (run_dir / "hub.env").write_text(prepare.hub_settings(entry))
    links = {"hub": args.code,
             "local_amqp_uri": localstack.amqp_uri(run_dir, env["LAPOR_AMQP_PORT"]),
             "local_management_uri": localstack.api_uri(run_dir, env["LAPOR_RABBIT_MGMT_PORT"]),
             "inbound": {parent: {"user": hubnet.link_user(parent),
                                  "password_hash": hublink.password_hash(joined["inbound_password"])}},
             "neighbours": {parent: {"amqp_uri": f"amqp://{link['user']}:{link['password']}@{link['amqp_address']}/%2F"}}}
    prepare._write_private(run_dir / "secrets" / "links.yml", yaml.safe_dump(links, sort_keys=False))
    hubs_file = root / "hubs.yml"
    hubs_file.write_text(yaml.safe_dump({"base_offset": args.offset, "hubs": [
        {"code": args.code, "name": entry["name"], "tier": entry["tier"], "parent": parent, "offset": 0}]},
        sort_keys=False, allow_unicode=True))
    (root / JOINED).write_text(yaml.safe_dump({"code": args.code, "parent": parent, "parent_url": args.parent}))
    return hubs_file


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    root = Path(args.dir or ROOT / ".run" / f"joined-{args.code}").resolve()
    run_dir = root / args.code
    if (root / JOINED).exists():
        raise SystemExit(f"hub-join: {root} has joined already; start it with: deploy/hubs/hubs.sh start {root / 'hubs.yml'}")
    env = {k: str(v) for k, v in localstack.ports(args.offset).items()}
    prepare.private_folder(root)
    prepare.private_folder(run_dir)  # 0711: nobody else lists or reads it (prepare.private_folder)
    joined = join(args, run_dir, env)
    if "link" not in joined:
        raise SystemExit("hub-join: the parent's answer carries no link (is it on an older version?)")
    hubs_file = write_run_folder(args, root, run_dir, env, joined)
    print(f"hub {args.code} joined {joined['parent']} (neighbours {', '.join(joined['neighbours'])}); run folder {root}")
    if args.no_start:
        return 0
    start = {**os.environ, "LAPOR_HUBS_DIR": str(root), "LAPOR_HUBS_OFFSET": str(args.offset)}
    return subprocess.run([str(HERE / "hubs.sh"), "start", str(hubs_file)], env=start).returncode


if __name__ == "__main__":
    sys.exit(main())

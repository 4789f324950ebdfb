"""Link this hub's broker to its neighbours': topology, inbound link users and dynamic shovels.

    python -m contract.hublink apply  --hub 51 --directory FILE.yml --secrets FILE.yml
    python -m contract.hublink status --hub 51 --directory FILE.yml --secrets FILE.yml [--json]

``apply`` is idempotent: it declares the hub queues (``contract.hubnet.declare_topology``) for
this hub's neighbours in the directory, makes one user per neighbour on this broker that may
only publish to ``lapor.hubs.in`` (the neighbour's shovel logs in as it), puts one dynamic shovel
``lapor-hub-to-<N>`` per neighbour (``ack-mode: on-confirm``), and removes the shovels and link
users of hubs that are no longer neighbours. Their ``lapor.hubs.out.<N>`` queues are kept (they
may hold undelivered reports) and reported by ``status``.

The directory is a registry file's ``hubs`` list (docs/hubs.md). Broker URIs and credentials
come only from the secrets file (mode 0600, never in the repository or the registry)::

    hub: "51"
    local_amqp_uri: amqp://lapor:<password>@127.0.0.1:5882/           # this hub's broker
    local_management_uri: http://lapor:<password>@127.0.0.1:16010     # its management API
    inbound:      # neighbours' shovels log in here as these users (publish to lapor.hubs.in only)
      "ID": {user: hub-ID, password_hash: <RabbitMQ's salted SHA-256 of the password>}
      "5108": {user: hub-5108, password_hash: <...>}
    neighbours:   # this hub's login on each neighbour's broker (its shovel's destination)
      "ID": {amqp_uri: "amqp://hub-51:<password>@127.0.0.1:5872/"}
      "5108": {amqp_uri: "amqp://hub-51:<password>@127.0.0.1:5902/"}

This broker only verifies an inbound user's password, so the file keeps its hash (``password_hash``,
RabbitMQ's ``rabbit_password_hashing_sha256``: :func:`password_hash`; a clear ``password`` of an older
file is still read, and hashed before it reaches the broker). A neighbour's URI keeps its password
in clear: the shovel needs it at the source.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
from urllib.parse import quote, urlsplit, urlunsplit

import requests
import yaml
from marshmallow import INCLUDE, ValidationError, fields, validate, validates_schema

from contract import hubnet
from contract.schema import Schema

LINK_USER_TAG = "lapor-hub-link"
SHOVEL_PREFIX = hubnet.shovel_name("")
HUB_CODE = validate.Regexp(r"^[A-Z0-9]{2,8}$", error="a hub code is 2-8 of A-Z0-9, a string")


class HubSchema(Schema):
    class Meta:
        unknown = INCLUDE  # name, region_code, public_url, public_key: the service side's fields

    code = fields.String(required=True, validate=HUB_CODE)
    tier = fields.String(validate=validate.OneOf(hubnet.TIERS))
    level = fields.String(validate=validate.OneOf(hubnet.TIERS))  # older spelling of tier
    parent = fields.String(allow_none=True, validate=HUB_CODE)


HASHING_ALGORITHM = "rabbit_password_hashing_sha256"
PASSWORD_HASH = r"^[A-Za-z0-9+/]{48}$"  # base64 of a 4-byte salt and a SHA-256 digest


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's stored form of a password (``rabbit_password_hashing_sha256``): base64 of a random
    4-byte salt followed by SHA-256(salt + password)."""
    salt = os.urandom(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def hash_matches(password: str, hashed: str) -> bool:
    """Whether ``hashed`` (:func:`password_hash`) is the hash of ``password``."""
    salt = base64.b64decode(hashed)[:4]
    return hmac.compare_digest(password_hash(password, salt), hashed)


class InboundSchema(Schema):
    user = fields.String(required=True, validate=validate.Regexp(r"^hub-[A-Z0-9]{2,8}$"))
    password_hash = fields.String(validate=validate.Regexp(PASSWORD_HASH))
    password = fields.String(validate=validate.Length(min=16))  # an older file's clear password

    @validates_schema
    def _one_credential(self, data, **kwargs):
        if ("password_hash" in data) == ("password" in data):
            raise ValidationError("give password_hash (or, in an older file, password)", "password_hash")


def inbound_hash(entry: dict) -> str:
    """The hash of an inbound user's password as the secrets file gives it."""
    return entry.get("password_hash") or password_hash(entry["password"])


class NeighbourSchema(Schema):
    amqp_uri = fields.String(required=True, validate=validate.Regexp(r"^amqps?://[^@/]+:[^@/]+@"))


class SecretsSchema(Schema):
    hub = fields.String(required=True, validate=HUB_CODE)
    local_amqp_uri = fields.String(required=True, validate=validate.Regexp(r"^amqps?://"))
    local_management_uri = fields.String(required=True, validate=validate.Regexp(r"^https?://[^@/]+:[^@/]+@"))
    inbound = fields.Dict(keys=fields.String(validate=HUB_CODE), values=fields.Nested(InboundSchema),
                          load_default=dict)
    neighbours = fields.Dict(keys=fields.String(validate=HUB_CODE), values=fields.Nested(NeighbourSchema),
                             load_default=dict)

    @validates_schema
    def _inbound_user_names_the_neighbour(self, data, **kwargs):
        for code, entry in data.get("inbound", {}).items():
            if entry["user"] != f"hub-{code}":
                raise ValidationError(f"must be hub-{code}", f"inbound.{code}.user")


class LinkError(ValueError):
    """The directory or the secrets do not allow linking this hub (each problem named)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def load_directory(text: str) -> list[dict]:
    """The hub directory from a registry file (its ``hubs`` list), validated as a tree."""
    data = yaml.safe_load(text) or {}
    rows = data.get("hubs") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not rows:
        raise LinkError(["directory: a 'hubs' list is expected (docs/hubs.md)"])
    hubs, problems = [], []
    for index, row in enumerate(rows):
        try:
            hub = HubSchema().load(row)
        except ValidationError as error:
            problems += [f"hubs[{index}].{field}: {' '.join(map(str, msgs))}" for field, msgs in error.messages.items()]
            continue
        hub["tier"] = hub.get("tier") or hub.pop("level", None)
        hubs.append(hub)
    problems += hubnet.validate_directory(hubs) if not problems else []
    if problems:
        raise LinkError(problems)
    return hubs


def load_secrets(text: str) -> dict:
    try:
        return SecretsSchema().load(yaml.safe_load(text) or {})
    except ValidationError as error:
        raise LinkError([f"secrets: {field}: {msgs}" for field, msgs in error.messages.items()]) from None


def plan(directory: list[dict], hub: str, secrets: dict, shovels: dict[str, dict],
         link_users: list[str]) -> dict:
    """What ``apply`` changes, given what the broker has (pure: no I/O).

    ``shovels``: the broker's shovel parameters by name (value dicts); ``link_users``: the names
    of its users tagged as link users. Returns ``neighbours``, ``put_shovels`` (name -> value),
    ``delete_shovels``, ``put_users`` (name -> password hash), ``delete_users``.
    """
    if secrets["hub"] != hub:
        raise LinkError([f"the secrets file is hub {secrets['hub']}'s, not hub {hub}'s"])
    codes = hubnet.neighbours(directory, hub)
    problems = [f"secrets: neighbours.{code}.amqp_uri missing" for code in codes if code not in secrets["neighbours"]]
    problems += [f"secrets: inbound.{code} missing" for code in codes if code not in secrets["inbound"]]
    if problems:
        raise LinkError(problems)
    wanted = {hubnet.shovel_name(code): hubnet.shovel_definition(
        "amqp://", secrets["neighbours"][code]["amqp_uri"], code)["value"] for code in codes}
    users = {secrets["inbound"][code]["user"]: inbound_hash(secrets["inbound"][code]) for code in codes}
    return {
        "neighbours": codes,
        "put_shovels": {name: value for name, value in wanted.items() if shovels.get(name) != value},
        "delete_shovels": sorted(name for name in shovels if name.startswith(SHOVEL_PREFIX) and name not in wanted),
        "put_users": users,
        "delete_users": sorted(name for name in link_users if name not in users),
    }


class Management:
    """The few management-API calls linking needs (vhost ``/``)."""

    def __init__(self, uri: str, timeout: float = 10):
        parts = urlsplit(uri)
        self.base = urlunsplit((parts.scheme, f"{parts.hostname}:{parts.port}", parts.path.rstrip("/"), "", ""))
        self.session = requests.Session()
        self.session.auth = (parts.username, parts.password)
        self.timeout = timeout

    def _call(self, method: str, path: str, body=None):
        response = self.session.request(method, f"{self.base}/api/{path}", json=body, timeout=self.timeout)
        if response.status_code == 404 and method in ("GET", "DELETE"):
            return None
        response.raise_for_status()
        return response.json() if response.content else None

    def shovel_parameters(self) -> dict[str, dict]:
        return {p["name"]: p["value"] for p in self._call("GET", "parameters/shovel/%2F") or []}

    def put_shovel(self, name: str, value: dict) -> None:
        self._call("PUT", f"parameters/shovel/%2F/{quote(name, safe='')}", {"value": value})

    def delete_shovel(self, name: str) -> None:
        self._call("DELETE", f"parameters/shovel/%2F/{quote(name, safe='')}")

    def link_users(self) -> list[str]:
        return [u["name"] for u in self._call("GET", "users") or []
                if LINK_USER_TAG in (u["tags"] if isinstance(u["tags"], list) else u["tags"].split(","))]

    def put_link_user(self, name: str, hashed: str) -> None:
        """The link user with its password's hash (:func:`password_hash`): the clear one never sent."""
        self._call("PUT", f"users/{quote(name, safe='')}", {"password_hash": hashed, "hashing_algorithm": HASHING_ALGORITHM,
                                                             "tags": LINK_USER_TAG})
        # publish to the inbound exchange, nothing else (no declaring, no reading)
        self._call("PUT", f"permissions/%2F/{quote(name, safe='')}",
                   {"configure": "^$", "write": f"^{hubnet.IN_EXCHANGE.replace('.', '[.]')}$", "read": "^$"})

    def delete_user(self, name: str) -> None:
        self._call("DELETE", f"users/{quote(name, safe='')}")

    def shovel_states(self) -> dict[str, str]:
        return {s["name"]: s.get("state", "unknown") for s in self._call("GET", "shovels/%2F") or []}

    def queue_info(self, name: str) -> dict:
        """The queue's management record (``messages``, ``message_bytes``, ...; counts lag ~5 s)."""
        return self._call("GET", f"queues/%2F/{quote(name, safe='')}") or {}

    def queue_depths(self, prefix: str) -> dict[str, int]:
        rows = self._call("GET", "queues/%2F?columns=name,messages") or []
        return {q["name"]: int(q.get("messages") or 0) for q in rows if q["name"].startswith(prefix)}


def declare(amqp_uri: str, neighbours: list[str]) -> None:
    from kombu import Connection

    with Connection(amqp_uri, connect_timeout=10) as connection:
        hubnet.declare_topology(connection.default_channel, neighbours)


def apply(directory: list[dict], hub: str, secrets: dict) -> dict:
    management = Management(secrets["local_management_uri"])
    changes = plan(directory, hub, secrets, management.shovel_parameters(), management.link_users())
    declare(secrets["local_amqp_uri"], changes["neighbours"])
    for name, hashed in changes["put_users"].items():
        management.put_link_user(name, hashed)
    for name in changes["delete_users"]:
        management.delete_user(name)
    for name, value in changes["put_shovels"].items():
        management.put_shovel(name, value)
    for name in changes["delete_shovels"]:
        management.delete_shovel(name)
    return changes


def status(directory: list[dict], hub: str, secrets: dict) -> list[dict]:
    """One row per neighbour (and per former neighbour whose queue is still there)."""
    management = Management(secrets["local_management_uri"])
    states, depths = management.shovel_states(), management.queue_depths(hubnet.OUT_EXCHANGE + ".")
    codes = hubnet.neighbours(directory, hub)
    former = [name[len(hubnet.OUT_EXCHANGE) + 1:] for name in depths if name[len(hubnet.OUT_EXCHANGE) + 1:] not in codes]
    return [{"neighbour": code, "neighbour_now": code in codes,
             "shovel": states.get(hubnet.shovel_name(code), "absent"),
             "backlog": depths.get(hubnet.out_queue(code))} for code in codes + former]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="contract.hublink", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("apply", "status"))
    parser.add_argument("--hub", required=True, help="this hub's code (a string: 5108)")
    parser.add_argument("--directory", required=True, help="registry YAML file with the 'hubs' list")
    parser.add_argument("--secrets", required=True, help="this hub's link secrets (YAML, mode 0600)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        with open(args.directory, encoding="utf-8") as file:
            directory = load_directory(file.read())
        with open(args.secrets, encoding="utf-8") as file:
            secrets = load_secrets(file.read())
        if args.command == "apply":
            changes = apply(directory, args.hub, secrets)
            print(json.dumps(changes | {"put_users": sorted(changes["put_users"])}) if args.json else
                  f"hub {args.hub}: linked to {', '.join(changes['neighbours']) or 'no neighbour'}; "
                  f"shovels put {sorted(changes['put_shovels']) or '-'}, removed {changes['delete_shovels'] or '-'}; "
                  f"link users removed {changes['delete_users'] or '-'}")
        else:
            rows = status(directory, args.hub, secrets)
            print(json.dumps(rows) if args.json else "\n".join(
                f"{row['neighbour']:>6}  shovel {row['shovel']:<12} backlog {row['backlog']}"
                f"{'' if row['neighbour_now'] else '  (no longer a neighbour)'}" for row in rows))
    except (LinkError, KeyError, OSError, requests.RequestException) as error:
        print(f"hublink: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Who may do what on the broker: one RabbitMQ user per service, allowed only what it does.

Each service logs in as ``lapor-<service>`` (its own password, from its own secret) and may
- publish only its own events: write on its exchange ``<service>.events`` and, through topic
  permissions, only with its own event types as routing key (never another service's exchange);
- call over RPC only the methods ``contract.rpc_table.METHODS`` lists for it (``nameko-rpc`` routing keys
  ``<target>.<method>``, one by one: issue 20) and answer calls (a caller's reply routing key, a uuid);
- bind on ``nameko-rpc`` only its own RPC key ``<service>.*`` and its reply queues' uuids: a queue
  bound with ``#`` (or with another service's key) is refused, so no one can capture the replies
  of ``intake.reporter_contact``;
- bind its queue on the exchanges of the services whose events it consumes, with their event types
  as keys only (no wildcards);
- declare, bind and consume only its own queues (``<service>.inbox``, ``<service>.deadletters``,
  ``rpc-<service>``, ``rpc.reply-<service>-*``, intake's hub queues) and publish its dead letters.
It declares no other service's exchange: the operator declares the shared exchanges (:func:`apply`,
``SHARED_EXCHANGES``) and the services run with ``DECLARE_EVENT_EXCHANGES: false``.

The operator user (administrator) runs the CLIs (dead letters, registry import, hub links); the
hub-link users that neighbours' shovels log in as are made by ``contract.hublink``.

    python -m contract.brokeracl apply --api http://ADMIN:PW@HOST:15672 [--vhost /] [--run-dir DIR]
    python -m contract.brokeracl show [--json]            # the rules, for review

``apply --rpc-mirrors`` (a cluster: ``deploy/local/cluster.sh``, ``rabbitmq-users-job.yaml``) also sets
the policy ``lapor-rpc-mirrors`` (``RPC_MIRRORS``): nameko 2.14 declares its RPC queues
(``rpc-<service>``, ``rpc.reply-*``) as classic queues, which live on one node; mirrored on every
node, an RPC survives the loss of that node (docs/operations.md). Classic mirroring exists up to
RabbitMQ 3.13 and is gone in 4.0 (then: quorum RPC queues).

``apply`` takes each service's password from ``LAPOR_RABBIT_<SERVICE>_PASSWORD`` (Kubernetes: a
secret per service) or, with ``--run-dir``, from the local stack's generated secrets
(``contract.localstack.service_credentials``). It is idempotent.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from urllib.parse import quote

import requests

from contract import events as catalogue
from contract import hublink
from contract import rpc_table as rpc_surface

SERVICES = ("intake", "routing", "followup", "notification", "assessment")
USER_PREFIX = "lapor-"
RPC_EXCHANGE = "nameko-rpc"
DEAD_LETTER_EXCHANGE = "lapor.deadletter"  # contract.batch.DEAD_LETTER_EXCHANGE
# whose events each service consumes (its contract.batch table, and intake's hub event handlers);
# tests/unit/contract/test_brokeracl.py checks this against the services' tables
CONSUMES = {
    "intake": ("routing", "followup", "notification"),
    "routing": ("intake", "followup"),
    "followup": ("intake", "routing"),
    "notification": ("intake", "routing", "followup"),
    "assessment": ("intake", "routing", "followup"),
}
# whom each service calls over RPC, method by method: contract.rpc_table.METHODS
CALLS = {service: tuple(sorted(rpc_surface.targets_of(service))) for service in SERVICES}
# declared by the operator, so that no service needs the right to (re)declare another's exchange
SHARED_EXCHANGES = [(f"{service}.events", "topic") for service in SERVICES] + [
    (RPC_EXCHANGE, "topic"), (DEAD_LETTER_EXCHANGE, "direct")]
UUID = "[0-9a-f-]+"  # an RPC reply routing key (nameko: str(uuid4()))
NOTHING = "^$"


def user(service: str) -> str:
    return USER_PREFIX + service


def _name(text: str) -> str:
    return text.replace(".", r"\.")


def _any_of(patterns: list[str]) -> str:
    return "^(" + "|".join(patterns) + ")$"


def event_types(source: str) -> list[str]:
    return sorted(t for t, (owner, _) in catalogue.CATALOGUE.items() if owner == source)


def _consumed_queues(service: str) -> list[str]:
    """The queues the service declares and consumes (its reply queues: nameko's and contract.auth's)."""
    queues = [_name(f"{service}.inbox"), f"rpc-{service}",
              rf"rpc\.reply-{service}-{UUID}", rf"rpc\.reply-standalone_rpc_proxy-{UUID}"]
    if service == "intake":  # the hub events handlers (nameko @event_handler) and the hub inbox
        queues += [r"evt-(routing|followup)-[a-z_]+--intake\.[a-z_]+", r"lapor\.hubs\.in"]
    return queues


def _declared_queues(service: str) -> list[str]:
    """The queues it declares but never reads: its dead letters (the operator's), intake's hub queues."""
    queues = [_name(f"{service}.deadletters")]
    if service == "intake":
        queues += [r"lapor\.hubs\.(dead|out\.[A-Z0-9]+)"]
    return queues


def vhost_permissions(service: str) -> dict[str, str]:
    """configure / write / read regexes of the service's user (resource names, anchored)."""
    consumed, declared = _consumed_queues(service), _declared_queues(service)
    exchanges = [RPC_EXCHANGE, _name(DEAD_LETTER_EXCHANGE), _name(f"{service}.events")]
    if service == "intake":
        exchanges.append(r"lapor\.hubs\.(in|dead|out)")
    sources = [_name(f"{source}.events") for source in CONSUMES[service]]
    return {
        "configure": _any_of(consumed + declared + exchanges),
        # publishing needs write on the exchange; binding, write on the queue
        "write": _any_of(consumed + declared + exchanges),
        # binding needs read on the exchange; consuming, read on the queue
        "read": _any_of(consumed + exchanges + sources),
    }


def topic_permissions(service: str) -> list[dict[str, str]]:
    """Routing keys the service may publish with (write) and bind with (read), per topic exchange."""
    methods = "|".join(_name(method) for method in rpc_surface.callable_by(service))
    rules = [{"exchange": RPC_EXCHANGE,
              "write": rf"^({methods + '|' if methods else ''}{UUID})$",
              "read": rf"^({service}\.\*|{UUID})$"}]
    for source in SERVICES:
        own = source == service
        readable = source in CONSUMES[service]
        rules.append({"exchange": f"{source}.events",
                      "write": _any_of(event_types(source)) if own else NOTHING,
                      "read": _any_of(event_types(source)) if readable else NOTHING})
    return rules


def plan() -> dict:
    """Every service user's rules, as one document (``show``, the docs, the Kubernetes Job)."""
    return {user(service): {"service": service, "permissions": vhost_permissions(service),
                            "topic_permissions": topic_permissions(service)} for service in SERVICES}


class Management(hublink.Management):
    """The management-API calls that applying the rules needs (hublink's client, any vhost)."""

    def put(self, path: str, body: dict) -> None:
        self._call("PUT", path, body)

    def get(self, path: str):
        return self._call("GET", path)

    def delete(self, path: str) -> None:
        self._call("DELETE", path)

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.get("whoami")
                return
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)


RPC_MIRRORS = "lapor-rpc-mirrors"


def rpc_mirrors_policy() -> dict:
    """Every node keeps a copy of nameko's RPC queues (synchronised at once, promoted on a node's loss)."""
    return {"pattern": r"^rpc[-.]", "apply-to": "queues", "priority": 1,
            "definition": {"ha-mode": "all", "ha-sync-mode": "automatic"}}


def apply(api_uri: str, passwords: dict[str, str], vhost: str = "/", rpc_mirrors: bool = False) -> list[str]:
    """Create or update each service's user, permissions and topic permissions; declare the
    shared exchanges; with ``rpc_mirrors``, mirror the RPC queues on every node (a cluster).
    Returns the users written."""
    api = Management(api_uri)
    api.wait_ready()
    v = quote(vhost, safe="")
    if rpc_mirrors:
        api.put(f"policies/{v}/{RPC_MIRRORS}", rpc_mirrors_policy())
    for name, kind in SHARED_EXCHANGES:
        api.put(f"exchanges/{v}/{quote(name, safe='')}", {"type": kind, "durable": True, "auto_delete": False})
    written = []
    for service in SERVICES:
        name = quote(user(service), safe="")
        api.put(f"users/{name}", {"password": passwords[service], "tags": ""})
        api.put(f"permissions/{v}/{name}", vhost_permissions(service))
        wanted = {rule["exchange"]: rule for rule in topic_permissions(service)}
        for rule in api.get(f"users/{name}/topic-permissions") or []:
            if rule["vhost"] == vhost and rule["exchange"] not in wanted:
                api.delete(f"topic-permissions/{v}/{name}")  # stale rules: start again
                break
        for rule in wanted.values():
            api.put(f"topic-permissions/{v}/{name}", rule)
        written.append(user(service))
    return written


def passwords_from(env: dict, run_dir: str | None) -> dict[str, str]:
    if run_dir:
        from contract import localstack
        return {s: c["password"] for s, c in localstack.service_credentials(run_dir).items()}
    missing = [s for s in SERVICES if not env.get(f"LAPOR_RABBIT_{s.upper()}_PASSWORD")]
    if missing:
        raise KeyError(f"no password for {', '.join(missing)}: set LAPOR_RABBIT_<SERVICE>_PASSWORD")
    return {s: env[f"LAPOR_RABBIT_{s.upper()}_PASSWORD"] for s in SERVICES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contract.brokeracl", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("apply", "show"))
    parser.add_argument("--api", default=os.environ.get("RABBIT_API_URI", ""),
                        help="management API of the broker, as its administrator")
    parser.add_argument("--vhost", default="/")
    parser.add_argument("--run-dir", help="the local stack's run folder (its generated secrets)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rpc-mirrors", action="store_true",
                        help="a cluster: mirror nameko's RPC queues on every node (policy lapor-rpc-mirrors)")
    args = parser.parse_args(argv)
    if args.action == "show":
        rules = plan()
        print(json.dumps(rules, indent=2) if args.json else "\n".join(
            f"{name}: {json.dumps(rule['permissions'])}\n" + "\n".join(
                f"  topic {t['exchange']}: write {t['write']}  read {t['read']}" for t in rule["topic_permissions"])
            for name, rule in rules.items()))
        return 0
    try:
        users = apply(args.api, passwords_from(os.environ, args.run_dir), args.vhost, args.rpc_mirrors)
    except Exception as error:  # requests' errors, a missing password
        print(f"brokeracl: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    print(f"broker users: {', '.join(users)} (own permissions and topic permissions on vhost {args.vhost})"
          + ("; RPC queues mirrored on every node" if args.rpc_mirrors else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

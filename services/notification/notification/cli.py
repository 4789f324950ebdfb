"""Operator CLI for notification's dead letters and webhook subscriptions.

    python -m notification.cli dead-letters [--limit 50] [--channel sms]
    python -m notification.cli retry NOTIFICATION_ID ... | --all [--channel sms]
    python -m notification.cli subscriptions
    python -m notification.cli subscribe URL [--event case_overdue ...] [--agency PEMKAB-BULELENG]
    python -m notification.cli unsubscribe SUBSCRIPTION_ID
    (each takes --config services/notification/config.yml)

Works on the store directly; the running service's delivery worker picks retried messages up
within one poll.  Prints JSON.
"""
from __future__ import annotations

import argparse
import json
import sys

from marshmallow import ValidationError

from contract.config import load_config
from contract.errors import ApiError, from_validation_error
from contract.store import acquire_client, database_name, release_client
from notification import handlers, schemas
from notification.dependencies import NotificationStore, StoreClient

DEFAULT_CONFIG = "services/notification/config.yml"


def _print(value) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def run(args, store) -> int:
    """``store``: the service's units of work (``StoreClient(...).units()``); each command a handler."""
    if args.command == "dead-letters":
        _print(schemas.NotificationOut(many=True).dump(store.read(handlers.dead_letters, args.limit, args.channel)))
    elif args.command == "retry":
        ids = [d["_id"] for d in store.read(handlers.dead_letters, 5000, args.channel)] if args.all else args.ids
        retried = [i for i in ids if _retried(store, i)]
        _print({"retried": retried, "not_dead": sorted(set(ids) - set(retried))})
        return 0 if len(retried) == len(ids) else 1
    elif args.command == "subscriptions":
        _print(schemas.SubscriptionOut(many=True).dump(store.read(handlers.subscriptions)))
    elif args.command == "subscribe":
        try:
            form = schemas.SubscriptionIn().load({"url": args.url, "events": args.event or [],
                                                  "agency_code": args.agency, "description": args.description})
        except ValidationError as exc:
            _print(from_validation_error(exc).to_dict())
            return 2
        _print(schemas.SubscriptionCreated().dump(store.run(handlers.subscribe, form, "cli")))
    elif args.command == "unsubscribe":
        try:
            store.run(handlers.unsubscribe, args.subscription_id)
        except ApiError:
            _print({"errors": [{"field": "subscription_id", "code": "not_found"}]})
            return 1
        _print({"removed": args.subscription_id})
    return 0


def _retried(store, notification_id: str) -> bool:
    try:
        store.run(handlers.retry_dead_letter, notification_id, "cli")
    except ApiError:  # unknown, or not dead-lettered
        return False
    return True


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="notification.cli", description=__doc__.split("\n")[0])
    p.add_argument("--config", default=DEFAULT_CONFIG)
    sub = p.add_subparsers(dest="command", required=True)
    dead = sub.add_parser("dead-letters", help="list dead letters, newest first")
    dead.add_argument("--limit", type=int, default=50)
    dead.add_argument("--channel", choices=("email", "sms", "social", "webhook"))
    retry = sub.add_parser("retry", help="queue dead letters again for a fresh round of attempts")
    retry.add_argument("ids", nargs="*")
    retry.add_argument("--all", action="store_true")
    retry.add_argument("--channel", choices=("email", "sms", "social", "webhook"))
    sub.add_parser("subscriptions", help="list active webhook subscriptions")
    subscribe = sub.add_parser("subscribe", help="subscribe a system; prints its secret once")
    subscribe.add_argument("url")
    subscribe.add_argument("--event", action="append")
    subscribe.add_argument("--agency")
    subscribe.add_argument("--description", default="")
    unsubscribe = sub.add_parser("unsubscribe")
    unsubscribe.add_argument("subscription_id")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.command == "retry" and not (args.ids or args.all):
        parser().error("retry needs notification ids or --all")
    config = load_config(args.config)
    uri = config["MONGODB_URI"]
    client = acquire_client(uri)
    try:
        db = client[database_name(config, "notification")]
        return run(args, StoreClient(client, db, NotificationStore.parse_settings(config)).units())
    finally:
        release_client(uri)


if __name__ == "__main__":
    sys.exit(main())

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
import secrets
import sys

from marshmallow import ValidationError

from contract.config import load_config
from contract.errors import from_validation_error
from contract.store import acquire_client, database_name, release_client, utcnow
from notification import schemas, webhooks
from notification.dependencies import Notifications

DEFAULT_CONFIG = "services/notification/config.yml"


def _print(value) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def run(args, repo: Notifications) -> int:
    if args.command == "dead-letters":
        _print(schemas.NotificationOut(many=True).dump(repo.dead_letters(args.limit, args.channel)))
    elif args.command == "retry":
        ids = [d["_id"] for d in repo.dead_letters(5000, args.channel)] if args.all else args.ids
        retried = [i for i in ids if repo.retry(i, utcnow(), "cli")]
        _print({"retried": retried, "not_dead": sorted(set(ids) - set(retried))})
        return 0 if len(retried) == len(ids) else 1
    elif args.command == "subscriptions":
        _print(schemas.SubscriptionOut(many=True).dump(repo.subscriptions()))
    elif args.command == "subscribe":
        try:
            form = schemas.SubscriptionIn().load({"url": args.url, "events": args.event or [],
                                                  "agency_code": args.agency, "description": args.description})
        except ValidationError as exc:
            _print(from_validation_error(exc).to_dict())
            return 2
        subscription = {**form, "_id": "sub_" + secrets.token_hex(8), "secret": webhooks.new_secret(),
                        "active": True, "created_at": utcnow(), "created_by": "cli"}
        _print(schemas.SubscriptionCreated().dump(repo.add_subscription(subscription)))
    elif args.command == "unsubscribe":
        if not repo.deactivate_subscription(args.subscription_id, utcnow()):
            _print({"errors": [{"field": "subscription_id", "code": "not_found"}]})
            return 1
        _print({"removed": args.subscription_id})
    return 0


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
        return run(args, Notifications(client, client[database_name(config, "notification")]))
    finally:
        release_client(uri)


if __name__ == "__main__":
    sys.exit(main())

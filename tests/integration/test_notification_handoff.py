"""The courier records the hand-off before sending: a notification whose earlier hand-off has no
recorded outcome (a courier stopped between sending and recording) is sent again with the same
Message-ID and its record says it may have been repeated; a plain delivery says nothing of the kind."""
from datetime import datetime, timedelta, timezone

from contract import events
from notification import domain
from notification.service import NotificationService
from tests.integration.conftest import wait_for
from tests.integration.conftest_notification import *  # noqa: F403  (fixtures: smtp, notification_config, ...)
from tests.integration.conftest_notification import contact_directory, make_event

REF = "rpt_handoff"
CONTACTS = {REF: {"email": "handoff@example.com", "channel": "email", "name": "Made"}}


def planned(now):
    event = events.load(events.CASE_UPDATED, make_event(events.CASE_UPDATED, reporter_ref=REF, language="id"))
    return [n for n in domain.plan(events.CASE_UPDATED, event, now) if n["recipient_kind"] == "reporter"]


def test_a_handoff_without_outcome_is_resent_with_the_same_message_id_and_marked(
        start_services, mongo_client, notification_config, smtp):
    db = mongo_client[f"{notification_config['MONGODB_DATABASE_PREFIX']}notification"]
    now = datetime.now(timezone.utc)
    interrupted, plain = planned(now - timedelta(minutes=5)), planned(now - timedelta(minutes=5))
    for n in interrupted:  # what a courier stopped after sending leaves: a hand-off, no outcome, lease over
        n.update(handoff={"at": now - timedelta(minutes=3)}, handoffs=1, next_attempt_at=now - timedelta(minutes=1))
    db.notifications.insert_many(interrupted + plain)
    start_services(contact_directory(CONTACTS), NotificationService, config=notification_config)

    ids = [n["_id"] for n in interrupted + plain]
    done = wait_for(lambda: (d := list(db.notifications.find({"_id": {"$in": ids}, "status": "sent"})))
                    and len(d) == len(ids) and d, timeout=20)
    by_id = {d["_id"]: d for d in done}
    assert all(by_id[n["_id"]]["possible_repeat"] is True for n in interrupted)
    assert all(not by_id[n["_id"]].get("possible_repeat") for n in plain)
    assert all(d["handoff"] is None and d["handoffs"] >= 1 for d in done)  # the outcome closed each hand-off
    sent_ids = {m["message_id"] for m in smtp.to("handoff@example.com")}
    assert {f"<{n['_id']}@lapor-hub>" for n in interrupted} <= sent_ids

"""The courier with in-memory stand-ins for the store (the fake unit of work), directory and
channels: routes, outcomes and what is recorded (never the reporter's contact)."""
import logging
from datetime import datetime, timedelta, timezone

import pytest

from contract import events
from notification import delivery, domain
from notification.courier import Courier
from notification.domain import Settings
from notification.exceptions import PermanentError, TransientError
from notification.templates import Renderer
from tests.fakes.events import make_event
from tests.fakes.notification import notification_units

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
CONTACT = {"reporter_ref": "rpt_a", "name": "Wayan Anonim", "email": "wayan@example.org", "phone": "+628111",
           "channel": "email", "language": "id"}


class Directory:
    def __init__(self, error=None):
        self.error, self.batches = error, []

    def reporter(self, ref):
        return CONTACT

    def reporters(self, refs):
        self.batches.append(sorted(refs))
        if self.error:
            raise self.error
        return {ref: {**CONTACT, "reporter_ref": ref} for ref in refs if ref == "rpt_a"}

    def officials(self, ref):
        return [{"official_id": "lo", "name": "Pejabat Penghubung", "email": "pupr@bulelengkab.example.go.id"}]


class Mailer:
    def __init__(self, error=None):
        self.sent, self.error = [], error

    def send(self, to, message, message_id, language):
        if self.error:
            raise self.error
        self.sent.append((to, message.subject, message_id))


class Store:
    """The service's store in memory (``tests.fakes.notification``) holding ``notifications``, queued."""

    def __init__(self, notifications, attempts=3):
        settings = Settings("ID", delivery.RetryPolicy(attempts, 10, 100), concurrency=2)
        self.units = notification_units(settings)
        self.units.run(lambda uow: uow.notifications.queue(notifications))
        self.ids = [n["_id"] for n in notifications]

    @property
    def recorded(self):
        """(id, outcome, delivered channel, events) of each notification attempted, in queue order."""
        docs = self.units.state["FakeNotifications"]["notifications"]
        out = []
        for nid in self.ids:
            doc = docs[nid]
            if doc.get("last_attempt_at") is None:
                continue
            outcome = delivery.Outcome(doc["status"], doc["attempts"], doc["next_attempt_at"], doc["last_error"])
            announced = [e for e in self.units.outbox if e["payload"].get("notification_id") == nid
                         and e["event_type"] != events.NOTIFICATION_QUEUED]
            out.append((nid, outcome, doc.get("delivered_channel"), announced))
        return out


def courier(store, mailer, directory=None):
    return Courier(store.units, directory or Directory(), Renderer("https://lapor.example.go.id/r/"), mailer, None,
                   None, None, lambda: NOW)


def queued(event_type=events.CASE_UPDATED, **overrides):
    event = events.load(event_type, make_event(event_type, reporter_ref="rpt_a", **overrides))
    return domain.plan(event_type, event, NOW - timedelta(seconds=2))


def test_everything_due_is_sent_and_announced():
    store, mailer = Store(queued(events.REPORT_DISPOSITIONED)), Mailer()
    assert courier(store, mailer).deliver_due() == 2
    assert sorted(to[0] for to, *_ in mailer.sent) == ["pupr@bulelengkab.example.go.id", "wayan@example.org"]
    assert all(o.status == "sent" and evs[0]["event_type"] == events.NOTIFICATION_SENT for _, o, _, evs in store.recorded)


def test_a_batch_asks_for_its_reporters_contacts_once_and_an_unknown_one_fails_alone():
    batch = [*queued(), *queued(), *[{**n, "recipient_ref": "rpt_gone"} for n in queued()]]
    directory, mailer, store = Directory(), Mailer(), Store(batch)
    assert courier(store, mailer, directory=directory).deliver_due() == 3
    assert directory.batches == [["rpt_a", "rpt_a", "rpt_gone"]]
    statuses = sorted((o.status, o.error) for _, o, _, _ in store.recorded)
    assert statuses == [("dead", "intake knows no reporter rpt_gone"), ("sent", None), ("sent", None)]


def test_intake_not_answering_for_a_batch_retries_each_reporter_message_later():
    store = Store([*queued(), *queued()])
    directory = Directory(TransientError("intake did not answer within 5 s"))
    courier(store, Mailer(), directory=directory).deliver_due()
    assert [(o.status, o.attempts, o.error) for _, o, _, _ in store.recorded] == [
        ("queued", 1, "intake did not answer within 5 s")] * 2


def test_a_transient_failure_is_retried_later_without_an_event():
    store = Store(queued())
    courier(store, Mailer(TransientError("SMTP server unreachable"))).deliver_due()
    (_, outcome, channel, evs), = store.recorded
    assert (outcome.status, outcome.attempts, channel, evs) == ("queued", 1, "email", [])
    assert outcome.next_attempt_at == NOW + timedelta(seconds=10)


def test_errors_are_stored_and_logged_without_the_reporters_contact(caplog):
    caplog.set_level(logging.DEBUG)
    store = Store(queued())
    refusal = PermanentError("SMTP error 550: <wayan@example.org> (Wayan Anonim) unknown")
    courier(store, Mailer(refusal)).deliver_due()
    (_, outcome, _, evs), = store.recorded
    assert outcome.status == "dead" and outcome.error == "SMTP error 550: <[redacted]> ([redacted]) unknown"
    assert evs[0]["payload"]["error"] == outcome.error
    assert "wayan@example.org" not in caplog.text and "Wayan Anonim" not in caplog.text


def test_an_unexpected_defect_is_recorded_and_retried_not_lost():
    store = Store(queued())
    courier(store, Mailer(RuntimeError("boom for wayan@example.org"))).deliver_due()
    (_, outcome, _, _), = store.recorded
    assert outcome.status == "queued" and outcome.error == "unexpected RuntimeError"  # its text is never kept


def test_digest_cutoff_is_the_last_local_digest_hour():
    at = datetime(2026, 11, 20, 1, 30, tzinfo=timezone.utc)  # 08:30 WIB (UTC+7): today's 07:00 has passed
    assert domain.digest_cutoff(at, "Asia/Jakarta", 7) == datetime(2026, 11, 20, 0, 0, tzinfo=timezone.utc)
    early = datetime(2026, 11, 19, 23, 0, tzinfo=timezone.utc)  # 06:00 WIB on the 20th: yesterday's
    assert domain.digest_cutoff(early, "Asia/Jakarta", 7) == datetime(2026, 11, 19, 0, 0, tzinfo=timezone.utc)


def test_gateway_refusals_are_classified_never_their_text():
    from notification import delivery
    assert delivery.http_failure("SMS gateway", 400) == "SMS gateway answered HTTP 400 (request refused as invalid)"
    assert delivery.http_failure("SMS gateway", 502) == "SMS gateway answered HTTP 502 (server error)"
    assert delivery.smtp_failure(550) == "SMTP error 550 (mailbox unavailable)"
    assert delivery.smtp_failure(499) == "SMTP error 499 (temporary refusal)"


class WatchingMailer(Mailer):
    """Notes, at each send, which of the batch's messages the store already holds as sent."""

    def __init__(self, store):
        super().__init__()
        self.store, self.seen = store, []

    def send(self, to, message, message_id, language):
        docs = self.store.units.state["FakeNotifications"]["notifications"]
        self.seen.append(sum(1 for d in docs.values() if d["status"] == "sent"))
        super().send(to, message, message_id, language)


def test_each_accepted_message_is_recorded_before_the_next_one_goes_out():
    batch = [n for _ in range(5) for n in queued()]
    store = Store(batch)
    store.units.settings = Settings("ID", delivery.RetryPolicy(3, 10, 100), concurrency=1)
    mailer = WatchingMailer(store)
    assert courier(store, mailer).deliver_due() == 5
    assert mailer.seen == [0, 1, 2, 3, 4]  # one message on the connection at a time, each recorded on acceptance
    assert store.units.commits == 1 + 1 + 5  # queue, claim, one small unit per outcome


def test_an_outcome_the_store_refuses_stops_the_batch():
    batch = [n for _ in range(4) for n in queued()]
    store = Store(batch)
    store.units.settings = Settings("ID", delivery.RetryPolicy(3, 10, 100), concurrency=1)
    run = store.units.run

    def store_away(handler, *args, **kwargs):
        if handler.__name__ == "record_attempt":
            raise ConnectionError("store away")
        return run(handler, *args, **kwargs)

    store.units.run = store_away
    mailer = Mailer()
    with pytest.raises(ConnectionError):
        courier(store, mailer).deliver_due()
    assert len(mailer.sent) == 1  # the others stay claimed, unsent, until the lease ends


def backlog_of(count, first_seconds_ago=200):
    """``count`` due reporter emails, one a second from ``first_seconds_ago`` seconds ago."""
    notifications = []
    for i in range(count):
        (n,) = queued()
        notifications.append({**n, "_id": f"ntf_backlog_{i:04d}",
                              "next_attempt_at": NOW - timedelta(seconds=first_seconds_ago - i)})
    return notifications


def claims_of(store):
    """The ``window`` of every claim the courier makes (None: the whole due range)."""
    windows, run = [], store.units.run

    def watched(handler, *args, **kwargs):
        if handler.__name__ == "claim_batch":
            windows.append(args[2] if len(args) > 2 else None)
        return run(handler, *args, **kwargs)

    store.units.run = watched
    return windows


def test_a_drain_claims_from_a_slice_after_the_previous_claim_and_still_finds_what_fell_behind():
    store = Store(backlog_of(120))
    windows = claims_of(store)
    (late,) = queued()
    late = {**late, "_id": "ntf_committed_late", "next_attempt_at": NOW - timedelta(seconds=1000)}

    class LateMailer(Mailer):  # while the first batch goes out, an older notification is committed
        def send(self, *args):
            if not self.sent:
                store.units.run(lambda uow: uow.notifications.queue([late]))
            super().send(*args)

    mailer = LateMailer()
    assert courier(store, mailer).deliver_due() == 121
    assert sorted(message_id for _, _, message_id in mailer.sent) == sorted(store.ids + [late["_id"]])
    assert windows[0] is None and all(w is not None for w in windows[1:]) and len(windows) == 3
    floor, width = windows[1]
    assert floor == NOW - timedelta(seconds=151) and width == timedelta(seconds=98)  # twice the first claim's spread


def test_a_long_drain_reads_the_whole_due_range_now_and_then():
    store = Store(backlog_of(300, first_seconds_ago=400))
    windows = claims_of(store)
    ticks = iter(range(10 ** 6))
    drain = Courier(store.units, Directory(), Renderer("https://lapor.example.go.id/r/"), Mailer(), None, None, None,
                    lambda: NOW + timedelta(seconds=0.5 * next(ticks)))  # the clock moves on as it sends
    assert drain.deliver_due() == 300
    assert windows[0] is None and None in windows[2:]  # a full claim again after FULL_CLAIM_SECONDS


def test_a_claim_window_is_twice_the_claims_spread_within_bounds():
    at = [{"next_attempt_at": NOW + timedelta(seconds=s)} for s in (0, 3, 10)]
    assert domain.claim_window(at) == (NOW + timedelta(seconds=10), timedelta(seconds=20))
    same = [{"next_attempt_at": NOW}] * 3
    assert domain.claim_window(same) == (NOW, domain.MIN_SLICE)
    assert domain.claim_window([{"next_attempt_at": NOW}, {"next_attempt_at": NOW + timedelta(days=2)}])[1] == domain.MAX_SLICE
    assert domain.claim_window([]) is None

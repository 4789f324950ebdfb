"""A reporter whose contact details were erased (intake.privacy: on request or after the retention)
gets nothing more: their messages are withheld, not sent, retried or dead-lettered."""
from notification import domain
from tests.unit.notification.test_courier import CONTACT, Directory, Mailer, Store, courier, queued


class ErasedDirectory(Directory):
    def reporter(self, ref):
        return {"reporter_ref": ref, "name": None, "email": None, "phone": None, "handle": None,
                "channel": "social", "language": "id", "erased": True}

    def reporters(self, refs):
        self.batches.append(sorted(refs))
        return {ref: self.reporter(ref) for ref in refs}


def test_an_erased_reporter_gets_nothing_and_nothing_is_retried_or_dead_lettered():
    store, mailer = Store(queued()), Mailer()
    assert courier(store, mailer, directory=ErasedDirectory()).deliver_due() == 1
    (_, outcome, _, announced), = store.recorded
    assert (outcome.status, outcome.attempts, outcome.next_attempt_at, outcome.error) == ("withheld", 0, None, None)
    assert announced == [] and mailer.sent == []
    assert courier(store, mailer, directory=ErasedDirectory()).deliver_due() == 0  # never due again
    assert "withheld" in domain.STATUSES


def test_a_single_delivery_of_an_erased_reporter_is_withheld_too():
    store, mailer = Store(queued()), Mailer()
    notification = store.units.state["FakeNotifications"]["notifications"][store.ids[0]]
    _, outcome, *_ = courier(store, mailer, directory=ErasedDirectory()).attempt(notification)
    assert outcome.status == "withheld" and mailer.sent == [] and CONTACT["email"] not in str(outcome)

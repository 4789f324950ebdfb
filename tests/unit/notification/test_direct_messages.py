"""A social draft's completion link goes to its reporter by direct message only (issue 20): the
courier asks intake for a fresh link at send time and hands it to the social channel's DM hook,
never to the public reply hook."""
from datetime import timedelta

from contract import events
from notification import domain
from notification.courier import Courier
from notification.templates import Renderer
from tests.fakes.events import make_event
from tests.unit.notification.test_courier import NOW, Mailer, Store

LINK = "https://lapor.example.go.id/lapor/ID-AAAAA-AAAAA?kode=ABCD-EFGH-JKMN"
SOCIAL = {"reporter_ref": "rpt_a", "handle": "@canary_x9", "channel": "social", "language": "id"}


class Directory:
    def __init__(self, link):
        self.link, self.asked = link, []

    def reporters(self, refs):
        return {ref: SOCIAL for ref in refs}

    def completion_link(self, reporter_ref, notification_id):
        self.asked.append((reporter_ref, notification_id))
        return self.link and {"tracking_id": "ID-AAAAA-AAAAA", "url": self.link, "valid_days": 7}


class Social:
    def __init__(self):
        self.public, self.direct_messages = [], []

    def send(self, reporter_ref, handle, text, reference, tracking_id):
        self.public.append(text)

    def direct(self, reporter_ref, handle, text, reference, tracking_id):
        self.direct_messages.append((handle, text))


def social_draft_saved() -> list[dict]:
    event = events.load(events.REPORT_DRAFT_SAVED,
                        make_event(events.REPORT_DRAFT_SAVED, reporter_ref="rpt_a", channel="social"))
    return domain.plan(events.REPORT_DRAFT_SAVED, event, NOW - timedelta(seconds=2))


def deliver(link):
    planned = social_draft_saved()
    store, social, directory = Store(planned), Social(), Directory(link)
    Courier(store.units, directory, Renderer("https://lapor.example.go.id/lacak/"), Mailer(), None, social, None,
            lambda: NOW).deliver_due()
    return planned, store, social, directory


def test_a_social_drafts_reminder_is_a_direct_message_with_a_link_minted_for_it():
    planned, store, social, directory = deliver(LINK)
    assert [n["template"] for n in planned] == ["social_completion"]
    assert social.public == []  # nothing on the public timeline
    (handle, text), = social.direct_messages
    assert handle == "@canary_x9" and LINK in text
    assert directory.asked == [("rpt_a", planned[0]["_id"])]  # the request names its notification
    assert [o.status for _, o, _, _ in store.recorded] == ["sent"]
    web = events.load(events.REPORT_DRAFT_SAVED, make_event(events.REPORT_DRAFT_SAVED, reporter_ref="rpt_b"))
    assert [(n["template"], n["channel"]) for n in domain.plan(events.REPORT_DRAFT_SAVED, web, NOW)] == \
        [("incomplete_reminder", "email")]  # a web draft's reminder is unchanged


def test_a_draft_no_link_may_complete_gets_a_direct_message_without_one():
    _, _, social, _ = deliver(None)
    (_, text), = social.direct_messages
    assert social.public == [] and "kode=" not in text and "https://lapor.example.go.id/lacak/" in text

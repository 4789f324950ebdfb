"""Issue 19: a message to the reporter of a report filed at another hub links to the page where
they filed (the origin's ``/lacak/<id>``, named by intake's contact), not to this hub's page."""
from contract import events

from .test_courier import CONTACT, Directory, Store, courier, queued

ORIGIN_PAGE = "http://127.0.0.1:10780/lacak/ID-9GY8C-PDGMR"


class Mailer:
    def __init__(self):
        self.texts = []

    def send(self, to, message, message_id, language):
        self.texts.append((to, message.text))


class FiledElsewhere(Directory):
    def reporters(self, refs):
        return {ref: {**CONTACT, "reporter_ref": ref, "tracking_url": ORIGIN_PAGE} for ref in refs}


def test_the_reporter_of_a_report_filed_at_another_hub_is_sent_to_its_page_there_and_others_to_this_hubs():
    store, mailer = Store(queued(events.CASE_ANSWERED)), Mailer()
    courier(store, mailer, directory=FiledElsewhere()).deliver_due()
    to_reporter = [text for to, text in mailer.texts if to == ["wayan@example.org"]]
    assert to_reporter and all(ORIGIN_PAGE in text and "lapor.example.go.id/r/" not in text for text in to_reporter)
    store, mailer = Store(queued(events.CASE_ANSWERED)), Mailer()  # filed here: intake names no other page
    courier(store, mailer).deliver_due()
    to_reporter = [text for to, text in mailer.texts if to == ["wayan@example.org"]]
    assert to_reporter and all("https://lapor.example.go.id/r/" in text for text in to_reporter)

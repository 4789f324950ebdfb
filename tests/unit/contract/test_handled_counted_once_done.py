"""``lapor_events_handled_total`` counts an event once its outcome is done: a dead letter is published
before the count moves, so that a reader who waits on the metric (an SRE, a test) finds it in the
dead-letter queue (a test waiting on the metric once read an empty queue under load)."""
from contract import metrics
from contract.batch import EventBatches


def handled(service, event_type, outcome):
    return metrics.EVENTS_HANDLED.labels(service, event_type, outcome)._value.get()


def test_a_dead_letter_is_published_before_it_is_counted():
    consumer = EventBatches({})
    consumer.service = "countprobe"
    seen = []
    consumer._dead_letter = lambda message, event_type, reason: seen.append(
        handled("countprobe", event_type, "dead_lettered"))
    before = handled("countprobe", "report_received", "dead_lettered")
    consumer._handle([("report_received", None, object(), "undecodable")])
    assert seen == [before]  # not yet counted while its dead letter was being published
    assert handled("countprobe", "report_received", "dead_lettered") == before + 1

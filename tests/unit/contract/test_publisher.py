"""A consumer applies an event only from the broker user of the service that owns its type (issue 20:
a case_closed forged with the operator's account changed intake's report)."""
from types import SimpleNamespace

from contract.publisher import PUBLISHER_HEADER, SEAL_HEADER, Publishers

INTAKE = "amqp://lapor-intake:s3cret@127.0.0.1:5682/"
BODY = b'{"event_id": "evt_1", "tracking_id": "ID-X"}'


def message(user_id=None, headers=None, body=BODY):
    return SimpleNamespace(properties={"user_id": user_id} if user_id else {}, headers=headers or {}, body=body)


def test_an_event_from_its_source_is_accepted_and_from_anyone_else_refused():
    intake = Publishers("intake", INTAKE)
    assert intake.checked
    assert intake.refused(message("lapor-followup"), "case_closed") is None
    for forger in ("lapor", "lapor-routing", "lapor-intake", None):
        reason = intake.refused(message(forger), "case_closed")
        assert reason and "lapor-followup" in reason, forger


def test_a_dead_letter_replayed_by_the_operator_keeps_the_publisher_its_consumer_sealed():
    intake = Publishers("intake", INTAKE)
    original = message("lapor-followup")
    replayed = message("lapor", headers=intake.record(original, "case_closed"))  # the operator's replay
    assert intake.refused(replayed, "case_closed") is None
    forged = message("lapor", headers=intake.record(message("lapor"), "case_closed"))  # a forgery, sealed as such
    assert intake.refused(forged, "case_closed")


def test_a_seal_made_without_the_consumers_credentials_or_for_another_body_is_worthless():
    intake = Publishers("intake", INTAKE)
    other = Publishers("intake", "amqp://lapor-intake:guessed@127.0.0.1:5682/")
    made_up = message("lapor", headers=other.record(message("lapor-followup"), "case_closed"))
    assert intake.refused(made_up, "case_closed")
    headers = intake.record(message("lapor-followup"), "case_closed")
    assert intake.refused(message("lapor", headers=headers, body=b'{"event_id": "evt_2"}'), "case_closed")
    assert intake.refused(message("lapor", headers={**headers, SEAL_HEADER: ""}), "case_closed")
    assert intake.refused(message("lapor", headers={PUBLISHER_HEADER: "lapor-followup"}), "case_closed")


def test_a_service_running_as_the_operator_cannot_tell_publishers_apart_and_does_not_check():
    operator = Publishers("intake", "amqp://lapor:pw@127.0.0.1:5682/%2Ft1")
    assert not operator.checked and operator.refused(message("lapor"), "case_closed") is None


def test_an_unknown_event_type_is_left_to_the_batch_and_a_failover_uri_names_one_user():
    intake = Publishers("intake", f"{INTAKE};amqp://lapor-intake:s3cret@127.0.0.1:5683/")
    assert intake.checked and intake.user == "lapor-intake"
    assert intake.refused(message("lapor"), "no_such_event") is None

"""intake.reporter_contacts, the courier's batch lookup (issue 12), on the real broker and store: one
answer for many reporters, the same contact as reporter_contact, unknown refs left out, and a list
longer than the limit refused by the schema."""
import pytest
import requests
from nameko.exceptions import RemoteError

from intake.schemas import CONTACTS_MAX
from tests.factories import make_report
from tests.integration.test_intake_submission import intake


def test_reporter_contacts_answers_a_batch_like_reporter_contact(start_services, service_config, mongo_client, rpc):
    base = intake(start_services, service_config)
    named = make_report(reporter={"name": "Made Wirawan", "email": "made@example.com"})
    anonymous = make_report(is_anonymous=True, reporter={"email": "anon@example.com"})
    tracking_ids = [requests.post(f"{base}/reports", json=r, timeout=5).json()["tracking_id"]
                    for r in (named, anonymous)]
    reports = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"].reports
    refs = [reports.find_one({"_id": t})["reporter_ref"] for t in tracking_ids]

    contacts = rpc.intake.reporter_contacts([*refs, "rpt_unknown", refs[0]])
    assert sorted(c["reporter_ref"] for c in contacts) == sorted(refs)  # unknown left out, duplicate once
    assert {c["reporter_ref"]: c for c in contacts} == {ref: rpc.intake.reporter_contact(ref) for ref in refs}
    assert {c["email"] for c in contacts} == {"made@example.com", "anon@example.com"}
    assert rpc.intake.reporter_contacts([]) == []

    with pytest.raises(RemoteError) as refused:
        rpc.intake.reporter_contacts([f"rpt_{i}" for i in range(CONTACTS_MAX + 1)])
    assert refused.value.exc_type == "ValidationError" and "reporter_refs" in str(refused.value)
    with pytest.raises(RemoteError):
        rpc.intake.reporter_contacts("rpt_not_a_list")

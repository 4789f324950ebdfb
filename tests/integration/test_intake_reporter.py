"""The reporter secret: issued once at submission, verified by intake for other services."""
import requests

from intake.service import IntakeService

from tests.factories import make_report


def test_secret_issued_once_and_verified_over_rpc(start_services, rpc, mongo_client, service_config):
    urls = start_services(IntakeService)
    receipt = requests.post(f"{urls['intake']}/reports", json=make_report(), timeout=5).json()
    tracking_id, secret = receipt["tracking_id"], receipt["secret"]

    assert rpc.intake.verify_reporter(tracking_id, secret) is True
    assert rpc.intake.verify_reporter(tracking_id.lower(), secret.lower()) is True
    assert rpc.intake.verify_reporter(tracking_id, "AAAA-BBBB-CCCC") is False
    assert rpc.intake.verify_reporter("ID-NOT-ATICKET", secret) is False
    assert rpc.intake.verify_reporter(tracking_id, None) is False

    stored = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"].reports.find_one({"_id": tracking_id})
    assert secret not in repr(stored) and stored["secret_hash"]
    view = requests.get(f"{urls['intake']}/reports/{tracking_id}", timeout=5).text
    assert secret not in view and "secret" not in view

"""With the store out of reach, intake answers the truth (issue 13): 503 with Retry-After (in the
Open311 format under /open311/), not a 500 claiming nothing changed; a resend with the same
Idempotency-Key once the store is back records the report once."""

import requests

from tests.factories import make_report
from tests.integration.conftest import through
from tests.integration.test_intake_submission import intake


def test_store_down_is_a_503_with_retry_after_and_the_resend_is_recorded_once(start_services, service_config,
                                                                             store_proxy, mongo_client):
    uri = through(store_proxy, service_config["MONGODB_URI"])
    base = intake(start_services, {**service_config, "MONGODB_URI": uri})
    assert requests.post(f"{base}/reports", json=make_report(), timeout=15).status_code == 201

    store_proxy.cut()
    report, key = make_report(), {"Idempotency-Key": "outage-7c1d"}
    down = requests.post(f"{base}/reports", json=report, headers=key, timeout=30)
    assert down.status_code == 503, down.text
    assert int(down.headers["Retry-After"]) > 0
    item = down.json()["errors"][0]
    assert item["code"] == "store_unavailable" and "Idempotency-Key" in item["message"] and item["message_id"]
    open311 = requests.get(f"{base}/open311/v2/requests.xml", timeout=30)
    assert open311.status_code == 503 and "<code>503</code>" in open311.text and open311.headers["Retry-After"]

    health = requests.get(f"{base}/health", timeout=30)  # an entrypoint without the API wrapper
    assert health.status_code >= 500 and health.headers["Content-Type"].startswith("application/json")
    assert "Error" not in health.text and health.json()["errors"][0]["code"] in ("internal", "unavailable")

    store_proxy.restore()
    again = requests.post(f"{base}/reports", json=report, headers=key, timeout=30)
    assert again.status_code in (200, 201), again.text
    db = mongo_client[f"{service_config['MONGODB_DATABASE_PREFIX']}intake"]
    assert db.reports.count_documents({"title": report["title"]}) == 1

"""GET /notifications/reports/{id} has the report's own read scope (issue 13): an official of an
unrelated agency or unit does not read another report's notification records."""
import requests

from contract import events
from tests.factories import make_report
from tests.integration.conftest import ALL_SERVICES, handled
from tests.integration.conftest_notification import *  # noqa: F403  (fixtures: smtp, notification_config, ...)
from tests.integration.conftest_notification import bearer


def test_notification_records_follow_the_reports_scope(service_config, start_services, rpc, notification_config, demo_registry):
    urls = start_services(*ALL_SERVICES, config=notification_config)
    rpc.routing.import_registry(demo_registry)
    # the only report: notification plans the liaison's message when it handles the disposition
    with handled(start_services.containers["notification"], event=events.REPORT_DISPOSITIONED):
        tracking_id = requests.post(f"{urls['intake']}/reports", json=make_report(), timeout=5).json()["tracking_id"]
    # routed to PEMKAB-BULELENG / BLL-PUPR (region 5108, infrastruktur): the liaison is told
    assert [n for n in rpc.notification.for_report(tracking_id) if n["recipient_kind"] != "reporter"]
    url = f"{urls['notification']}/notifications/reports/{tracking_id}"

    def read(official_id):
        return requests.get(url, headers=bearer(service_config, official_id), timeout=5)

    for outsider in ("adm-luwu", "lo-bll-dinkes", "spv-luwu", "lo-pln-bali"):
        answer = read(outsider)
        assert answer.status_code == 404, (outsider, answer.status_code)
        assert tracking_id not in answer.text
    for insider in ("nas-admin-1", "adm-buleleng", "spv-buleleng", "lo-bll-pupr"):
        answer = read(insider)
        assert answer.status_code == 200 and answer.json()["notifications"], (insider, answer.text[:200])
    assert read("adm-luwu").json()["errors"][0]["field"] == "tracking_id"
    unknown = requests.get(f"{urls['notification']}/notifications/reports/ID-00000-00000",
                           headers=bearer(service_config, "adm-buleleng"), timeout=5)
    assert unknown.status_code == 404

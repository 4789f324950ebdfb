"""The demo stack delivers (issue 13): `make run` starts a mail catcher and a recording SMS gateway
(real servers on loopback) that notification uses, and Prometheus scraping every service and
RabbitMQ's per-queue metrics."""
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import gateway_headers
from tests.factories import make_report
from tests.waiting import json_lines, wait_for

pytestmark = pytest.mark.e2e


def kept(path: Path) -> list[dict]:
    return json_lines(path)


def test_the_reporters_email_and_sms_reach_the_demo_sinks(stack):
    sinks = Path(stack["env"]["LAPOR_RUN_DIR"]) / "sinks"
    receipt = requests.post(f"{stack['base']}/reports", json=make_report(), timeout=10).json()
    tracking_id = receipt["tracking_id"]
    mails = wait_for(lambda: [m for m in kept(sinks / "mail" / "index.jsonl") if tracking_id in m["subject"]],
                     timeout=20, interval=0.2)
    receipt_mail = (sinks / "mail" / mails[0]["file"]).read_text(encoding="utf-8")
    assert tracking_id in receipt_mail and mails[0]["to"]

    sms = requests.post(f"{stack['base']}/channels/sms", timeout=10, headers=gateway_headers(stack, "sms"), json={
        "message_id": f"sink-{tracking_id}", "from": "+6281234500077",
        "text": "Buleleng Jalan rusak parah di Jl Pramuka dekat SD 3 Singaraja sejak minggu lalu"}).json()
    sent = wait_for(lambda: [s for s in kept(sinks / "sms.jsonl") if sms["tracking_id"] in s["body"]["text"]],
                    timeout=20, interval=0.2)
    assert sent[0]["body"]["to"] == "+6281234500077" and sent[0]["body"]["sender"] == "1708"
    recorded = requests.get(f"http://127.0.0.1:{int(stack['env']['LAPOR_HTTP_PORT']) + 8}/sms", timeout=5).json()
    assert any(s["body"]["text"] == sent[0]["body"]["text"] for s in recorded["items"])


def test_prometheus_scrapes_every_service_and_each_rabbitmq_queue(stack):
    prometheus = f"http://127.0.0.1:{int(stack['env']['LAPOR_HTTP_PORT']) + 9}"

    wanted = {"lapor-intake", "lapor-routing", "lapor-followup", "lapor-notification", "lapor-assessment",
              "rabbitmq"}

    def targets_up():
        active = requests.get(f"{prometheus}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
        health = {t["labels"]["job"]: t["health"] for t in active}
        return health if all(health.get(job) == "up" for job in wanted) else None
    wait_for(targets_up, timeout=60, interval=1)
    queues = requests.get(f"{prometheus}/api/v1/query", params={"query": "rabbitmq_queue_messages_ready"},
                          timeout=5).json()["data"]["result"]
    assert {"routing.inbox", "intake.inbox"} <= {q["metric"].get("queue") for q in queues}
    rules = requests.get(f"{prometheus}/api/v1/rules", timeout=5).json()["data"]["groups"]
    assert "LaporQueueBacklog" in {r["name"] for g in rules for r in g["rules"]}


def links_in(text: str) -> list[str]:
    import re
    return re.findall(r"https?://[^\s<>\"')]+", text)


def mail_text(path: Path) -> str:
    import email
    from email import policy
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    return message.get_body(preferencelist=("plain",)).get_content()


def test_every_link_in_every_message_the_demo_sends_opens_a_page(stack):
    """Issue 21: every email, SMS and social reply linked to /reports/<id>, which answered JSON to a
    browser. A reporter's link opens the tracking page, an official's the report's officials' page
    (the sign-in page first, without a session)."""
    sinks = Path(stack["env"]["LAPOR_RUN_DIR"]) / "sinks"
    tracking_id = requests.post(f"{stack['base']}/reports", json=make_report(), timeout=10).json()["tracking_id"]
    sms = requests.post(f"{stack['base']}/channels/sms", timeout=10, headers=gateway_headers(stack, "sms"), json={
        "message_id": f"links-{tracking_id}", "from": "+6281234500078",
        "text": "Buleleng Lampu jalan mati di Jl Pramuka dekat SD 3 Singaraja sejak minggu lalu"}).json()
    # the receipt, the disposition (reporter) and the unit's new report (official)
    mails = wait_for(lambda: len(m := [m for m in kept(sinks / "mail" / "index.jsonl") if tracking_id in m["subject"]])
                     >= 3 and m, timeout=60, interval=0.5)
    texts = [mail_text(sinks / "mail" / m["file"]) for m in mails]
    texts += [s["body"]["text"] for s in wait_for(
        lambda: [s for s in kept(sinks / "sms.jsonl") if sms["tracking_id"] in s["body"]["text"]], timeout=30)]
    links = sorted({link for text in texts for link in links_in(text)})
    assert any("/lacak/" in link for link in links) and any("/petugas/laporan/" in link for link in links), links
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    for link in links:
        assert "/reports/" not in link, link
        page = requests.get(link, headers=browser, timeout=10)  # redirects followed (sign-in for officials)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html"), (link, page.status_code)
    # an old message's /reports/<id> link, opened in a browser, lands on the tracking page too
    old = requests.get(f"{stack['base']}/reports/{tracking_id}", headers=browser, timeout=10)
    assert old.status_code == 200 and old.url.endswith(f"/lacak/{tracking_id}") and "text/html" in old.headers["Content-Type"]

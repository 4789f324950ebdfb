"""Two hubs on the real broker and store, linked by real dynamic shovels (issue 14).

The national hub ``ID`` and the Bali province hub ``51`` each run intake and routing in their
own vhost with their own databases; a RabbitMQ dynamic shovel (ack-mode on-confirm) moves each
hub's ``lapor.hubs.out.<neighbour>`` queue to the other's ``lapor.hubs.in`` exchange, as
between two stacks. A report filed at the national hub for a Buleleng region (owned by hub 51)
is accepted once at 51 under the same tracking ID, routed by 51's rules, and its steps come
back to the national tracking page; a copy delivered twice changes nothing; malformed messages
are dead-lettered; a relay refuses a loop. Each shovel logs in to the other hub's broker as its
link user (``hub-<code>``, publish to ``lapor.hubs.in`` only) and stamps that ``user_id``; every
message is signed by the hub that puts it on the link (issue 18).
"""
import copy
import json
import re
import urllib.parse
import uuid

import pytest
import requests
from kombu import Connection, Exchange
from nameko.standalone.rpc import ClusterRpcProxy

from contract import events, hubnet, hubsign, hubwire, sealing
from contract.ids import new_tracking_id
from followup.service import FollowupService
from intake import hub_metrics
from intake.service import IntakeService
from routing.service import RoutingService
from tests.factories import make_report
from tests.integration.conftest import handled, wait_for
from tests.waiting import hub_received
from tests.credentials import issue_token

OWNED_BY_51 = {"51", "5108"}
AGENCIES_OF_51 = {"PEMPROV-BALI", "PEMKAB-BULELENG"}


def counter(metric, *labels) -> float:
    return metric.labels(*labels)._value.get()


def amqp(uri: str) -> str:
    return uri.replace("pyamqp://", "amqp://", 1)


@pytest.fixture
def hub_keys(tmp_path):
    keys = {}
    for code in ("ID", "51", "5108"):
        path = tmp_path / f"{code}.key"
        keys[code] = {"file": str(path), "public": sealing.write_private_key(str(path)),
                      "signing_file": str(tmp_path / f"{code}-signing.key")}
        keys[code]["signing_public"] = hubsign.write_private_key(keys[code]["signing_file"])
        keys[code]["signing"] = hubsign.read_private_key(keys[code]["signing_file"])
    return keys


def link_user(api: str, amqp_uri: str, code: str) -> str:
    """Hub ``code``'s link user on the broker of ``amqp_uri`` (publish to lapor.hubs.in only): its URI."""
    parsed = urllib.parse.urlparse(amqp_uri)
    vhost = parsed.path.lstrip("/")
    user, password = hubnet.link_user(code), uuid.uuid4().hex
    requests.put(f"{api}/api/users/{user}", json={"password": password, "tags": ""}, timeout=10).raise_for_status()
    requests.put(f"{api}/api/permissions/{urllib.parse.quote(vhost, safe='')}/{user}", timeout=10,
                 json={"configure": "^$", "write": "^lapor\\.hubs\\.in$", "read": "^$"}).raise_for_status()
    return f"{parsed.scheme}://{user}:{password}@{parsed.hostname}:{parsed.port}/{urllib.parse.quote(vhost, safe='')}"


@pytest.fixture
def second_vhost(servers, rabbit_config):
    """A vhost of its own for the second hub (the first uses nameko's per-test vhost)."""
    api = servers["api_uri"].rstrip("/")
    parsed = urllib.parse.urlparse(rabbit_config["AMQP_URI"])
    user = urllib.parse.unquote(parsed.username)
    name = f"hub51-{uuid.uuid4().hex[:8]}"
    requests.put(f"{api}/api/vhosts/{name}", timeout=10).raise_for_status()
    requests.put(f"{api}/api/permissions/{name}/{urllib.parse.quote(user)}",
                 json={"configure": ".*", "write": ".*", "read": ".*"}, timeout=10).raise_for_status()
    uri = f"{parsed.scheme}://{parsed.netloc}/{name}"
    yield uri
    requests.delete(f"{api}/api/vhosts/{name}", timeout=10)


def link(api: str, from_uri: str, to_uri: str, to_code: str) -> None:
    """A real dynamic shovel: from_uri's outbound queue for ``to_code`` to to_uri's inbound exchange."""
    vhost = urllib.parse.urlparse(from_uri).path.lstrip("/")
    body = hubnet.shovel_definition(amqp(from_uri), amqp(to_uri), to_code)
    with Connection(amqp(from_uri)) as conn:  # the source queue exists before the shovel starts
        hubnet.declare_topology(conn.default_channel, [to_code])
    url = f"{api}/api/parameters/shovel/{urllib.parse.quote(vhost, safe='')}/{hubnet.shovel_name(to_code)}"
    requests.put(url, json=body, timeout=10).raise_for_status()


def registry_for(demo_registry: dict, hub_keys: dict, urls: dict) -> dict:
    registry = copy.deepcopy(demo_registry)
    registry["hubs"] = [
        {"code": "ID", "name": "Simpul Nasional", "tier": "national", "public_url": urls.get("ID"),
         "public_key": hub_keys["ID"]["public"], "signing_key": hub_keys["ID"]["signing_public"]},
        {"code": "51", "name": "Simpul Provinsi Bali", "tier": "province", "parent": "ID",
         "public_url": urls.get("51"), "public_key": hub_keys["51"]["public"],
         "signing_key": hub_keys["51"]["signing_public"]},
        {"code": "5108", "name": "Simpul Kabupaten Buleleng", "tier": "district", "parent": "51",
         "public_url": "http://127.0.0.1:9", "public_key": hub_keys["5108"]["public"],
         "signing_key": hub_keys["5108"]["signing_public"]},
    ]
    for region in registry["regions"]:
        region["hub"] = "51" if region["code"] in OWNED_BY_51 else "ID"
    for agency in registry["agencies"]:
        agency["hub"] = "51" if agency["code"] in AGENCIES_OF_51 else "ID"
    return registry


@pytest.fixture
def two_hubs(servers, start_services, service_config, second_vhost, hub_keys, demo_registry):
    """Hub ID (nameko's test vhost) and hub 51 (a second vhost), linked both ways by shovels."""
    configs = {
        "ID": {**service_config, "HUB_CODE": "ID", "HUB_KEY_FILE": hub_keys["ID"]["file"], "RATE_LIMIT_EXEMPT": "",
               "HUB_SIGNING_KEY_FILE": hub_keys["ID"]["signing_file"]},
        "51": {**service_config, "AMQP_URI": second_vhost, "HUB_CODE": "51", "HUB_KEY_FILE": hub_keys["51"]["file"],
               "HUB_SIGNING_KEY_FILE": hub_keys["51"]["signing_file"],
               "MONGODB_DATABASE_PREFIX": service_config["MONGODB_DATABASE_PREFIX"] + "h51_", "RATE_LIMIT_EXEMPT": ""},
    }
    api = servers["api_uri"].rstrip("/")
    logins = {("ID", "51"): link_user(api, configs["51"]["AMQP_URI"], "ID"),   # ID's shovel logs in at 51
              ("51", "ID"): link_user(api, configs["ID"]["AMQP_URI"], "51"),
              ("5108", "51"): link_user(api, configs["51"]["AMQP_URI"], "5108")}  # a test publishes as 5108
    link(api, configs["ID"]["AMQP_URI"], logins[("ID", "51")], "51")
    link(api, configs["51"]["AMQP_URI"], logins[("51", "ID")], "ID")
    urls, containers = {}, {}
    for code, cfg in configs.items():  # each hub's own containers (start_services keeps the last started)
        urls[code] = start_services(IntakeService, RoutingService, config=cfg)
        containers[code] = {name: start_services.containers[name] for name in urls[code]}
    start_services(FollowupService, config=configs["51"])  # the owner opens a case
    public = {code: u["intake"] for code, u in urls.items()}
    for code, cfg in configs.items():  # intake has the directory (registry_updated) and its links
        with handled(containers[code]["intake"], event=events.REGISTRY_UPDATED, timeout=60):
            with ClusterRpcProxy(cfg, timeout=20) as proxy:
                proxy.routing.import_registry(registry_for(demo_registry, hub_keys, public))
        assert requests.get(f"{public[code]}/reports/{new_tracking_id('5108')}", allow_redirects=False,
                            timeout=5).headers.get("Location")
    return {"urls": public, "configs": configs, "api": api, "routing": {c: u["routing"] for c, u in urls.items()},
            "logins": logins, "keys": hub_keys, "containers": containers}


def track(url: str, tracking_id: str) -> dict | None:
    response = requests.get(f"{url}/reports/{tracking_id}", timeout=5, allow_redirects=False)
    return response.json() if response.status_code == 200 else None


def wait_view(url: str, tracking_id: str, predicate, timeout: float = 60) -> dict:
    """The tracking view once ``predicate(view)`` holds; on timeout the last view is in the error."""
    seen = {}

    def check():
        seen["view"] = track(url, tracking_id)
        return seen["view"] if seen["view"] and predicate(seen["view"]) else None
    try:
        return wait_for(check, timeout=timeout)
    except AssertionError:
        raise AssertionError(f"{tracking_id} at {url}: last view {seen.get('view')}")


def publish_in(amqp_uri: str, body, content_type="application/json", user_id=None) -> None:
    """Put a message into a hub's inbound exchange (as a shovel would when ``amqp_uri`` is a link
    user's and ``user_id`` its name)."""
    with Connection(amqp(amqp_uri)) as conn:
        producer = conn.Producer()
        payload = body if isinstance(body, (bytes, str)) else json.dumps(body)
        producer.publish(payload, exchange=Exchange(hubnet.IN_EXCHANGE, type="fanout", durable=True),
                         routing_key="", content_type=content_type, content_encoding="utf-8",
                         delivery_mode=2, **({"user_id": user_id} if user_id else {}))


def send_on_link(two_hubs, sender: str, receiver: str, message: dict) -> None:
    """``message`` put on the link ``sender`` -> ``receiver``, signed by ``sender``, as its shovel would."""
    body = hubwire.for_neighbour(message, hubwire.SCHEMA_VERSION, two_hubs["keys"][sender]["signing"])
    publish_in(two_hubs["logins"][(sender, receiver)], body, user_id=hubnet.link_user(sender))


def dead_letters(amqp_uri: str) -> int:
    with Connection(amqp(amqp_uri)) as conn:
        return conn.default_channel.queue_declare(hubnet.DEAD_QUEUE, passive=True).message_count


def steps(view: dict) -> list[str]:
    return [h["step"] for h in view["history"]]


def test_a_report_filed_at_the_wrong_hub_is_handled_by_its_owner_and_tracked_from_the_first(
        two_hubs, mongo_client, service_config):
    urls, configs = two_hubs["urls"], two_hubs["configs"]
    # the owner hub accepts it under the same ID and routes it by its own rules: its intake has the
    # disposition of its routing (the test's only report: its ID is known once the POST returns)
    with handled(two_hubs["containers"]["51"]["intake"], event=events.REPORT_DISPOSITIONED,
                 timeout=60):
        filed = requests.post(f"{urls['ID']}/reports", timeout=10, json=make_report(
            region_code="5108", is_anonymous=True,
            reporter={"name": "Kadek Canary", "email": "kadek.canary@example.com", "phone": "+6281200000001"}))
    assert filed.status_code == 201, filed.text
    tracking_id = filed.json()["tracking_id"]
    assert tracking_id.startswith("ID-")

    owner_view = track(urls["51"], tracking_id)
    assert owner_view and owner_view["status"] in ("dispositioned", "in_follow_up"), owner_view
    assert owner_view["tracking_id"] == tracking_id
    assert owner_view["assignment"]["agency_code"] == "PEMKAB-BULELENG"
    assert "hub_received" in steps(owner_view)

    # the origin's tracking page shows the owner's steps and the delivery; Open311 follows
    origin_view = wait_for(lambda: (v := track(urls["ID"], tracking_id)) and "hub_case_opened" in steps(v) and v,
                           timeout=60)
    assert origin_view["delivery"]["hub"] == "51" and origin_view["delivery"]["state"] == "accepted"
    assert {"forwarded", "hub_waiting", "hub_accepted", "hub_dispositioned", "hub_case_opened"} <= set(steps(origin_view))
    assert origin_view["status"] == "in_follow_up"
    open311 = requests.get(f"{urls['ID']}/open311/v2/requests/{tracking_id}.json", timeout=5)
    assert open311.status_code == 200, open311.text  # status_notes: a sentence for the reporter (issue 21)
    assert open311.json()[0]["status_notes"] == "Instansi yang berwenang sedang menindaklanjuti laporan ini."

    # the identity reached the owner's intake (it can notify), sealed on the way
    owner_db = mongo_client[f"{configs['51']['MONGODB_DATABASE_PREFIX']}intake"]
    stored = owner_db.reports.find_one({"_id": tracking_id})
    assert stored["reporter"]["email"] == "kadek.canary@example.com" and stored["is_anonymous"] is True
    with ClusterRpcProxy(configs["51"], timeout=10) as proxy:
        assert proxy.intake.reporter_contact(stored["reporter_ref"])["email"] == "kadek.canary@example.com"
    origin_db = mongo_client[f"{configs['ID']['MONGODB_DATABASE_PREFIX']}intake"]
    sent = origin_db.outbox.find_one({"event_type": "hub_transfer", "payload.tracking_id": tracking_id})
    wire = json.dumps(sent["payload"], default=str)
    assert "canary" not in wire.lower() and "6281200000001" not in wire
    for url in urls.values():  # no public page shows the identity
        assert "canary" not in requests.get(f"{url}/reports/{tracking_id}", timeout=5).text.lower()

    # each event's history step and hub effect are one entry of intake's table: one processed marker
    def markers(config, source, event_type):
        event = mongo_client[f"{config['MONGODB_DATABASE_PREFIX']}{source}"].outbox.find_one(
            {"event_type": event_type, "payload.tracking_id": tracking_id})
        db = mongo_client[f"{config['MONGODB_DATABASE_PREFIX']}intake"]
        return sorted(d["_id"] for d in db.processed_events.find(
            {"_id": {"$regex": f"^{re.escape(event['payload']['event_id'])}"}}))
    assert len(markers(configs["ID"], "routing", "report_forwarded")) == 1  # and the transfer went out
    assert len(markers(configs["51"], "followup", "case_opened")) == 1  # and the origin was told

    # delivered twice (at-least-once transport): accepted once
    duplicates = counter(hub_metrics.RECEIVED, "ID", "transfer", "duplicate")
    with hub_received(two_hubs["containers"]["51"]["intake"], tracking_id=tracking_id):
        send_on_link(two_hubs, "ID", "51", sent["payload"])
    assert counter(hub_metrics.RECEIVED, "ID", "transfer", "duplicate") == duplicates + 1
    assert owner_db.reports.count_documents({"_id": tracking_id}) == 1
    assert steps(track(urls["51"], tracking_id)).count("hub_received") == 1
    routing_db = mongo_client[f"{configs['51']['MONGODB_DATABASE_PREFIX']}routing"]
    assert routing_db.outbox.count_documents({"payload.tracking_id": tracking_id,
                                              "event_type": "report_dispositioned"}) == 1

    # metrics (docs/hubs.md): forwarded out to 51, in from ID; gauges exported
    metrics = requests.get(f"{urls['ID']}/metrics", timeout=5).text
    assert counter(hub_metrics.FORWARDED, "out", "51") >= 1 and counter(hub_metrics.FORWARDED, "in", "ID") >= 1
    assert 'lapor_intake_hub_messages_sent_total{kind="transfer",neighbour="51"}' in metrics
    assert "lapor_intake_hub_oldest_undelivered_age_seconds" in metrics
    assert 'lapor_intake_hub_outbound_backlog{neighbour="51"}' in metrics

    # a lookup at a hub that does not hold the ID redirects to the hub that issued it
    elsewhere = new_tracking_id("ID")
    redirect = requests.get(f"{urls['51']}/reports/{elsewhere}", allow_redirects=False, timeout=5)
    assert redirect.status_code == 307 and redirect.headers["Location"] == f"{urls['ID']}/reports/{elsewhere}"


def test_malformed_and_unknown_version_messages_are_dead_lettered_and_the_hub_keeps_working(two_hubs):
    configs, urls = two_hubs["configs"], two_hubs["urls"]
    before = dead_letters(configs["51"]["AMQP_URI"])
    publish_in(configs["51"]["AMQP_URI"], b"{not json", content_type="application/json")
    publish_in(configs["51"]["AMQP_URI"], {"schema_version": 3, "kind": "transfer"})
    publish_in(configs["51"]["AMQP_URI"], "plain text", content_type="text/plain")
    wait_for(lambda: dead_letters(configs["51"]["AMQP_URI"]) == before + 3, timeout=60)
    with handled(two_hubs["containers"]["51"]["intake"], event=events.REPORT_DISPOSITIONED,
                 timeout=60):  # the hub's only report
        filed = requests.post(f"{urls['51']}/reports", json=make_report(region_code="5108"), timeout=10)
    assert filed.status_code == 201, filed.text
    assert track(urls["51"], filed.json()["tracking_id"])["assignment"]


def test_a_relay_refuses_a_loop_and_tells_the_origin(two_hubs):
    refused = counter(hub_metrics.RECEIVED, "5108", "transfer", "refused")
    told = counter(hub_metrics.RECEIVED, "51", "status", "refused")
    tracking_id = new_tracking_id("ID")
    message = {
        "schema_version": 1, "kind": "transfer", "message_id": uuid.uuid4().hex, "tracking_id": tracking_id,
        "origin_hub": "ID", "source_hub": "ID", "target_hub": "5108", "hops": ["ID", "5108"],
        "sent_at": "2026-11-30T05:00:00+00:00",
        "transfer": {"report": {"title": "t", "description": "d", "classification": "complaint",
                                "category_code": "infrastruktur", "region_code": "5108", "channel": "web",
                                "is_anonymous": False, "is_confidential": False,
                                "received_at": "2026-11-30T05:00:00+00:00"},
                     "reason": "region 5108", "forwarded_by": "system"}}
    with hub_received(two_hubs["containers"]["ID"]["intake"], tracking_id=tracking_id), \
            hub_received(two_hubs["containers"]["51"]["intake"], tracking_id=tracking_id):
        send_on_link(two_hubs, "5108", "51", message)  # 51 would send it to 5108, already visited
    assert counter(hub_metrics.RECEIVED, "5108", "transfer", "refused") == refused + 1
    # the origin (ID) receives "not ours either" over the reverse link (no such report filed there)
    assert counter(hub_metrics.RECEIVED, "51", "status", "refused") == told + 1


def test_an_official_forwards_a_report_by_hand_to_another_hub_with_a_reason(two_hubs):
    urls, configs = two_hubs["urls"], two_hubs["configs"]
    token = issue_token(configs["ID"], "nas-admin-1")
    with handled(two_hubs["containers"]["ID"]["intake"], event=events.REPORT_DISPOSITIONED,
                 timeout=60):  # the test's only report: into the national triage
        filed = requests.post(f"{urls['ID']}/reports", json=make_report(region_code="9471", category_code="bansos"),
                              timeout=10)
    assert filed.status_code == 201, filed.text
    tracking_id = filed.json()["tracking_id"]
    assert track(urls["ID"], tracking_id)["status"] == "triage"
    routing_url = two_hubs["routing"]["ID"]
    headers = {"Authorization": f"Bearer {token}"}
    refused = requests.post(f"{routing_url}/admin/reports/{tracking_id}/forward", headers=headers, timeout=10,
                            json={"target_hub": "9999", "reason": "Bukan wewenang simpul nasional"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "target_hub", refused.text
    missing = requests.post(f"{routing_url}/admin/reports/{tracking_id}/forward", headers=headers, timeout=10,
                            json={"target_hub": "51"})
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "reason", missing.text
    # hub 51's intake has its routing's disposition of the transfer (the only report at 51)
    with handled(two_hubs["containers"]["51"]["intake"],
                 event=events.REPORT_DISPOSITIONED, tracking_id=tracking_id, timeout=60):
        done = requests.post(f"{routing_url}/admin/reports/{tracking_id}/forward", headers=headers, timeout=10,
                             json={"target_hub": "51", "reason": "Bukan wewenang: ditangani Pemprov Bali"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "forwarded"
    assert done.json()["history"][-1]["action"] == "forward" and "51" in done.json()["history"][-1]["reason"]
    # hub 51's own rules (region 9471 is the national hub's) do not bounce it back: handled at 51
    owner = track(urls["51"], tracking_id)
    assert owner and (owner["assignment"] or {}).get("queue") == "national_triage", owner
    assert owner["tracking_id"] == tracking_id and "forwarded" not in steps(owner)
    origin = wait_view(urls["ID"], tracking_id, lambda v: "hub_accepted" in steps(v))
    assert origin["delivery"]["hub"] == "51"


def test_a_report_that_comes_back_not_ours_either_returns_to_the_origins_triage(two_hubs, mongo_client):
    from datetime import datetime, timezone

    from contract import hubwire
    from intake import transfer
    urls, configs = two_hubs["urls"], two_hubs["configs"]
    token = issue_token(configs["ID"], "nas-admin-1")
    headers = {"Authorization": f"Bearer {token}"}
    origin = two_hubs["containers"]["ID"]
    with handled(origin["intake"], event=events.REPORT_DISPOSITIONED, timeout=60):  # the only report
        filed = requests.post(f"{urls['ID']}/reports", json=make_report(region_code="9471", category_code="bansos"),
                              timeout=10)
    tracking_id = filed.json()["tracking_id"]
    assert track(urls["ID"], tracking_id)["status"] == "triage"
    routing_url = two_hubs["routing"]["ID"]
    # the origin's intake stages the transfer when it handles routing's report_forwarded
    with handled(origin["intake"], event=events.REPORT_FORWARDED, tracking_id=tracking_id,
                 timeout=60):
        sent = requests.post(f"{routing_url}/admin/reports/{tracking_id}/forward", headers=headers, timeout=10,
                             json={"target_hub": "5108", "reason": "Bukan wewenang: urusan Kabupaten Buleleng"})
    assert sent.status_code == 200, sent.text
    origin_db = mongo_client[f"{configs['ID']['MONGODB_DATABASE_PREFIX']}intake"]
    outbound = origin_db.outbox.find_one({"event_type": "hub_transfer", "payload.tracking_id": tracking_id})
    assert outbound
    # hub 51 finds hub 5108 unreachable and sends it back, as a relay does (intake.transfer.refusal)
    directory = origin_db.registry.find_one({"_id": "current"})["hubs"]
    back, hop = transfer.refusal(hubwire.load(outbound["payload"]), "51", "no path to hub 5108", directory,
                                 datetime.now(timezone.utc))
    assert hop == "ID"
    # the status comes in over the link (intake's hub entrypoint, not its event consumer): its
    # report_handed_back, staged with the returned delivery, is handled by the origin's routing
    with handled(origin["routing"], event=events.REPORT_HANDED_BACK, tracking_id=tracking_id,
                 timeout=60):
        send_on_link(two_hubs, "51", "ID", back)
    page = track(urls["ID"], tracking_id)
    assert page and page["delivery"]["state"] == "returned", page
    assert page["status"] == "triage" and "hub_returned" in steps(page)  # in plain words: back in triage here (issue 18)
    item = requests.get(f"{routing_url}/admin/reports/{tracking_id}", headers=headers, timeout=10).json()
    assert item["status"] == "returned", item
    assert item["queue"] == "national_triage" and item["history"][-1]["action"] == "handed_back"
    assert "forward" in item["allowed_actions"] or "verify" in item["allowed_actions"]

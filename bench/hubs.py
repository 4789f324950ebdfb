"""Hub-to-hub benchmark: forwarding latency per hop and reports/s across a link, with the raw
shovel rate of the same link in the same run.

Starts the three demo hubs (deploy/hubs/hubs.sh: national ID, Bali 51, Buleleng 5108) on their
own ports (offset 260 by default; make run-hubs uses 200) unless they are running, then:
  1. latency, idle: one report at a time filed at the origin for a region the owner hub holds;
     forwarding latency = owner's `hub_received` - origin's `hub_waiting` history entry (the
     transfer staged in the origin's outbox, in the same transaction; both hubs
     on this machine: one clock), per path: 51 -> 5108 (1 hop), ID -> 5108 and 5108 -> ID
     (2 hops each, via 51); p50/p99;
  2. throughput across the link 51 -> 5108: the shovel is removed, N reports are filed at 51
     for Buleleng and wait in lapor.hubs.out.5108; the shovel is put back and the drain is timed
     until all N are stored at 5108 (transport + the receiving intake);
  3. raw shovel rate, same brokers: N persistent messages of a transfer's size moved by a
     temporary on-confirm shovel from 51 to a scratch queue at 5108;
  4. registry propagation (issue 19): M changes of the national hub's part (a category renamed),
     each imported at ID (POST /admin/registry, or routing's CLI with --registry-via cli, whose
     events routing's outbox relay finds at its next poll); time from the import's answer until
     the new version is committed at 51 and at 5108 (its routing store's `hub_parts` record, written
     in the transaction that applied it, polled every 50 ms): 5108 is the deepest district, two
     links away, as every district of a three-tier tree is from the national hub.

    python bench/hubs.py [--samples 30] [--reports 200] [--registry 10] [--only-registry] [--offset 260] [--keep]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path

import requests
from kombu import Connection, Exchange, Producer, Queue
from pymongo import MongoClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "services" / "contract"))
from contract import hublink, hubnet, localstack  # noqa: E402

OWNED = {"ID": {"region_code": "7317", "location_text": "Belopa, Luwu"}, "5108": {"region_code": "5108"}}
PATHS = [("51", "5108", 1), ("ID", "5108", 2), ("5108", "ID", 2)]


def report(i: int, owner: str) -> dict:
    return {"title": f"Laporan uji simpul {i}", "classification": "complaint", "category_code": "infrastruktur",
            "location_text": "Jl. Uji No. 1", "incident_date": (date.today() - timedelta(days=1)).isoformat(),
            "description": "Jalan berlubang di depan sekolah sejak minggu lalu, membahayakan pengendara motor.",
            "reporter": {"name": "Pelapor Uji", "email": f"uji{i}@example.com"}, **OWNED[owner]}


class Hub:
    def __init__(self, code: str, hubs_env: dict):
        out = subprocess.run([str(ROOT / "deploy" / "hubs" / "hubs.sh"), "env", code], env=hubs_env,
                             check=True, capture_output=True, text=True).stdout
        self.code, self.env = code, dict(p.split("=", 1) for line in out.splitlines()
                                         for p in line.removeprefix("export ").split())
        uris = localstack.env_uris(self.env)
        self.amqp, self.api, self.stores = uris["amqp"], uris["api"], uris["stores"]
        self.url = f"http://127.0.0.1:{self.env['LAPOR_HTTP_PORT']}"
        self.secrets_file = Path(self.env["LAPOR_RUN_DIR"]) / "secrets" / "links.yml"


def file(hub: Hub, body: dict) -> str:
    response = requests.post(f"{hub.url}/reports", json=body, timeout=30)
    response.raise_for_status()
    return response.json()["tracking_id"]


def at(entry: dict) -> datetime:
    return datetime.fromisoformat(entry["at"])


def latency(hubs: dict, origin: str, owner: str, samples: int) -> list[float]:
    out = []
    for i in range(samples):
        tracking_id = file(hubs[origin], report(i, owner))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            answer = requests.get(f"{hubs[owner].url}/reports/{tracking_id}", timeout=10, allow_redirects=False)
            if answer.status_code == 200 and any(h["step"] == "hub_received" for h in answer.json()["history"]):
                break
            time.sleep(0.02)
        else:
            raise RuntimeError(f"{tracking_id} did not reach hub {owner} within 60 s")
        received = next(at(h) for h in answer.json()["history"] if h["step"] == "hub_received")
        staged = None
        while staged is None and time.monotonic() < deadline:  # the origin's history may lag
            history = requests.get(f"{hubs[origin].url}/reports/{tracking_id}", timeout=10).json()["history"]
            staged = next((at(h) for h in history if h["step"] == "hub_waiting"), None)
        out.append((received - staged).total_seconds())
    return out


def queue_depth(amqp_uri: str, queue: str) -> int:
    with Connection(amqp_uri) as connection:
        return connection.default_channel.queue_declare(queue, passive=True).message_count


def wait_until(predicate, timeout: float, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(interval)


def mean_size(management: hublink.Management, queue: str, n: int) -> int:
    """The mean body size of the messages waiting in ``queue`` (the management API's counts lag)."""
    wait_until(lambda: management.queue_info(queue).get("messages", 0) >= n, timeout=60, interval=0.5)
    info = management.queue_info(queue)
    return int(info["message_bytes"] / info["messages"])


def link_rate(hubs: dict, n: int) -> tuple[float, int]:
    """Reports/s across 51 -> 5108, from a staged backlog to all stored at 5108; and the size of
    one transfer message as the link carries it."""
    province, district = hubs["51"], hubs["5108"]
    management = hublink.Management(province.api)
    directory = hublink.load_directory((Path(province.env["LAPOR_RUN_DIR"]).parent / "directory.yml").read_text())
    secrets = hublink.load_secrets(province.secrets_file.read_text())
    out_queue = hubnet.out_queue("5108")
    management.delete_shovel(hubnet.shovel_name("5108"))
    try:
        with ThreadPoolExecutor(4) as pool:
            ids = list(pool.map(lambda i: file(province, report(i, "5108")), range(n)))
        wait_until(lambda: queue_depth(province.amqp, out_queue) >= n, timeout=120, interval=0.2)
        size = mean_size(management, out_queue, n)
    finally:
        started = time.monotonic()
        hublink.apply(directory, "51", secrets)
    reports = MongoClient(district.stores["intake"], directConnection=True)["lapor_intake"]["reports"]
    wait_until(lambda: reports.count_documents({"tracking_id": {"$in": ids}}) >= n, timeout=300, interval=0.05)
    return n / (time.monotonic() - started), size


def raw_shovel_rate(hubs: dict, n: int, size: int) -> float:
    """Messages/s moved by an on-confirm shovel 51 -> 5108 (persistent, `size` bytes each)."""
    province, district = hubs["51"], hubs["5108"]
    name, management = "lapor-bench-raw", hublink.Management(province.api)
    with Connection(province.amqp) as source, Connection(district.amqp) as target:
        Queue(name, durable=True, queue_arguments={"x-queue-type": "quorum"})(source.default_channel).declare()
        Queue(name, durable=True, queue_arguments={"x-queue-type": "quorum"})(target.default_channel).declare()
        source.default_channel.queue_purge(name)
        target.default_channel.queue_purge(name)
    try:
        with Connection(province.amqp, transport_options={"confirm_publish": True}) as connection:
            producer = Producer(connection.default_channel, exchange=Exchange(""))
            body = "x" * size
            for _ in range(n):
                producer.publish(body, routing_key=name, delivery_mode=2)
        started = time.monotonic()
        value = {**hubnet.shovel_definition("amqp://", district.amqp.rstrip("/") + "/%2F", "5108")["value"],
                 "src-queue": name, "dest-queue": name}
        value.pop("dest-exchange")
        management.put_shovel(name, value)
        wait_until(lambda: queue_depth(district.amqp, name) >= n, timeout=300, interval=0.02)
        return n / (time.monotonic() - started)
    finally:
        management.delete_shovel(name)
        with Connection(province.amqp) as source, Connection(district.amqp) as target:
            source.default_channel.queue_delete(name)
            target.default_channel.queue_delete(name)


def registry_propagation(hubs: dict, samples: int, via: str = "http") -> dict[str, list[float]]:
    """Seconds from the national hub's import of a new version of its registry part (committed) until
    it is applied at 51 and at 5108, for ``samples`` changes imported one at a time."""
    import tempfile

    import yaml

    registry = yaml.safe_load((Path(hubs["ID"].env["LAPOR_RUN_DIR"]) / "registry.yml").read_text())
    stores = {code: MongoClient(hub.stores["routing"], serverSelectionTimeoutMS=5000)["lapor_routing"]["hub_parts"]
              for code, hub in hubs.items()}
    out: dict[str, list[float]] = {"51": [], "5108": []}
    token = subprocess.run([str(ROOT / "deploy" / "local" / "cli.sh"), "routing", "token", "nas-admin-1"],
                           env={**os.environ, **hubs["ID"].env}, check=True, capture_output=True,
                           text=True).stdout.split()[-1]
    for i in range(samples):
        registry["categories"][0]["name_en"] = f"Infrastructure (bench {i} {time.time():.0f})"
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as handle:
            yaml.safe_dump(registry, handle, allow_unicode=True)
        if via == "cli":  # another process: routing's outbox relay finds its events at its next poll (<= 15 s)
            subprocess.run([str(ROOT / "deploy" / "local" / "cli.sh"), "routing", "import", handle.name],
                           env={**os.environ, **hubs["ID"].env}, check=True, stdout=subprocess.DEVNULL)
        else:  # the national admin's POST /admin/registry: routing's own commit wakes its relay
            response = requests.post(f"{hubs['ID'].url}/admin/registry", data=Path(handle.name).read_bytes(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/yaml"},
                                     timeout=120)
            response.raise_for_status()
        imported = time.monotonic()  # the import's transaction is committed when it answers
        os.unlink(handle.name)
        version = stores["ID"].find_one({"_id": "ID:registry"})["version"]
        pending = set(out)
        while pending:
            for code in list(pending):
                if (stores[code].find_one({"_id": "ID:registry"}) or {}).get("version") == version:
                    out[code].append(time.monotonic() - imported)
                    pending.discard(code)
            if time.monotonic() - imported > 120:
                raise RuntimeError(f"registry version {version} not applied at {sorted(pending)} in 120 s")
            time.sleep(0.05)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--offset", type=int, default=260)
    parser.add_argument("--dir", default=str(ROOT / ".run" / "bench-hubs"))
    parser.add_argument("--registry", type=int, default=10, help="registry changes timed to the district")
    parser.add_argument("--only-registry", action="store_true", help="time only the registry's propagation")
    parser.add_argument("--registry-via", choices=("http", "cli"), default="http",
                        help="import at ID through POST /admin/registry (default) or routing's CLI")
    parser.add_argument("--keep", action="store_true", help="leave the hubs running")
    args = parser.parse_args()
    hubs_env = {**os.environ, "LAPOR_HUBS_DIR": args.dir, "LAPOR_HUBS_OFFSET": str(args.offset)}
    try:
        subprocess.run([str(ROOT / "deploy" / "hubs" / "hubs.sh"), "start"], env=hubs_env, check=True,
                       stdout=subprocess.DEVNULL)
        hubs = {code: Hub(code, hubs_env) for code in ("ID", "51", "5108")}
        print(f"load: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f} (1/5/15 min)")
        if args.registry:
            spread = registry_propagation(hubs, args.registry, args.registry_via)
            for code, values in spread.items():
                print(f"registry change at ID ({args.registry_via}) applied at {code} ({1 if code == '51' else 2} link{'s' * (code != '51')}, "
                      f"{len(values)} changes one at a time): p50 {statistics.median(values) * 1000:.0f} ms, "
                      f"p99 {pct(values, 0.99) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms")
            print(f"load: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f} (1/5/15 min)")
        if args.only_registry:
            return
        for origin, owner, hops in PATHS:
            values = latency(hubs, origin, owner, args.samples)
            print(f"forwarding {origin} -> {owner} ({hops} hop{'s' * (hops > 1)}, {len(values)} reports one at a time): "
                  f"p50 {statistics.median(values) * 1000:.0f} ms, p99 {pct(values, 0.99) * 1000:.0f} ms; "
                  f"per hop p50 {statistics.median(values) / hops * 1000:.0f} ms, p99 {pct(values, 0.99) / hops * 1000:.0f} ms")
        rate, size = link_rate(hubs, args.reports)
        raw = raw_shovel_rate(hubs, args.reports, size)
        print(f"link 51 -> 5108, {args.reports} reports staged then drained: {rate:.1f} reports/s stored at 5108; "
              f"raw on-confirm shovel, same brokers, {args.reports} x {size} B (a transfer's mean size): {raw:.1f} msg/s; "
              f"ratio {rate / raw:.2f}")
        print(f"load: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f} (1/5/15 min)")
    finally:
        if not args.keep:
            subprocess.run([str(ROOT / "deploy" / "hubs" / "hubs.sh"), "stop"], env=hubs_env,
                           stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()

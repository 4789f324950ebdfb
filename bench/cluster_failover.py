"""The production broker topology under failure: one hub's stack on a three-node RabbitMQ cluster.

Starts ``deploy/local/cluster.sh`` on its own ports (three nodes clustered, quorum queues, the
services' users; the services connected to all three nodes through kombu failover URIs), then:
  - offers web reports at ``--rate`` per second through the front door (POST /reports) all along;
  - kill -9 of the node that leads the most services' queues (``<service>.inbox``), ``--down``
    seconds down, restarted, waits until it has rejoined; ``--settle`` seconds later the same for
    the node that leads the most of them then;
  - probes an RPC (``routing.health``) every 0.5 s, to show how long calls between services failed;
  - once the load stops, waits until every accepted report is in follow-up, and checks through the
    front door (GET /reports/<id>) and the store: none lost (every 201 has status in_follow_up and a
    case), none duplicated (one dispositioned step, one case_opened step, one case, one routing
    disposition per report), no service process restarted (same PIDs).
Prints, per kill: the node, the seconds until a report accepted after the kill reached follow-up
(processing resumed), the longest gap between two cases opened, POSTs that failed, the rejoin
time, the RPC outage; and the totals, with the load average.

    python bench/cluster_failover.py [--rate 10] [--warmup 10] [--down 10] [--settle 15] [--tail 10]
                                     [--offset 64] [--no-rpc-mirrors] [--keep] [--stall 90]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import requests
from pymongo import MongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "services" / "contract"))
from _load import offer  # noqa: E402

from contract import localstack  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = ROOT / "deploy" / "local" / "cluster.sh"
SERVICES = ("intake", "routing", "followup", "notification", "assessment")


class Cluster:
    """The stack of deploy/local/cluster.sh at one offset, and what the run needs to ask of it."""

    def __init__(self, offset: int, run_dir: Path, rpc_mirrors: bool = True):
        self.offset, self.run_dir = offset, run_dir
        self.env = {**os.environ, "PYTHONWARNINGS": "ignore", "LAPOR_CLUSTER_OFFSET": str(offset),
                    "LAPOR_CLUSTER_RUN_DIR": str(run_dir)}
        self.env["LAPOR_CLUSTER_RPC_MIRRORS"] = "1" if rpc_mirrors else "0"
        self.env["LAPOR_STORE_PER_SERVICE"] = "0"  # one store (self.mongodb): the run is about the broker
        self.nodes = localstack.cluster_node_ports(offset)
        ports = localstack.ports(offset)
        self.http = f"http://127.0.0.1:{ports['LAPOR_HTTP_PORT']}"
        self.mongodb = f"mongodb://127.0.0.1:{ports['LAPOR_STORE_PORT']}/?retryWrites=false&directConnection=true"

    def run(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run([str(CLUSTER), *args], env=self.env, timeout=timeout, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            raise RuntimeError(f"cluster.sh {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}")
        return done.stdout

    def api(self, path: str):
        """GET from the management API of the first node that answers."""
        creds = localstack.credentials(self.run_dir)
        for node in self.nodes:
            try:
                answer = requests.get(f"http://127.0.0.1:{node['LAPOR_RABBIT_MGMT_PORT']}/api/{path}",
                                      auth=(creds["user"], creds["password"]), timeout=3)
                if answer.ok:
                    return answer.json()
            except requests.RequestException:
                continue
        raise RuntimeError("no node's management API answers")

    def leaders(self) -> dict[str, int]:
        """Queue -> index (1..3) of the node leading it, for the services' quorum queues."""
        rows = self.api("queues/%2F?columns=name,type,leader")
        return {r["name"]: node_index(r["leader"]) for r in rows
                if r.get("type") == "quorum" and r.get("leader") and r["name"] in {f"{s}.inbox" for s in SERVICES}}

    def leading_node(self) -> int:
        counts = Counter(self.leaders().values())
        return max(sorted(counts), key=lambda node: counts[node])

    def running_nodes(self) -> int:
        try:
            return sum(1 for n in self.api("nodes?columns=name,running") if n.get("running"))
        except RuntimeError:
            return 0

    def service_pids(self) -> dict[str, int]:
        return {s: int((self.run_dir / "services" / f"{s}.pid").read_text()) for s in SERVICES}

    def operator_uri(self) -> str:
        return localstack.amqp_uri(self.run_dir, ",".join(n["LAPOR_AMQP_PORT"] for n in self.nodes))


class ClusterUnavailable(RuntimeError):
    """The three nodes could not be started or clustered on this machine."""


def node_index(name: str) -> int:
    return int(re.search(r"n(\d+)@", name).group(1))


class RpcProbe(threading.Thread):
    """Calls routing.health every ``every`` s through the cluster; keeps (time, ok) of each call."""

    def __init__(self, amqp_uri: str, every: float = 0.5):
        super().__init__(daemon=True)
        self.amqp_uri, self.every = amqp_uri, every
        self.calls: list[tuple[float, bool]] = []
        self.stop = threading.Event()

    def run(self):
        code = ("import sys, time\nfrom nameko.standalone.rpc import ClusterRpcProxy\n"
                "with ClusterRpcProxy({'AMQP_URI': sys.argv[1]}, timeout=2) as rpc:\n"
                "    while True:\n        t = time.time()\n"
                "        try:\n            rpc.routing.health(); print(t, 1, flush=True)\n"
                "        except Exception:\n            print(t, 0, flush=True); raise\n"
                "        time.sleep(float(sys.argv[2]))\n")
        while not self.stop.is_set():  # a proxy whose node died is replaced by a new one
            proc = subprocess.Popen([sys.executable, "-c", code, self.amqp_uri, str(self.every)],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            for line in proc.stdout:
                t, ok = line.split()
                self.calls.append((float(t), ok == "1"))
                if self.stop.is_set():
                    break
            proc.kill()
            proc.wait()
            if not self.stop.is_set():
                self.calls.append((time.time(), False))
                self.stop.wait(self.every)

    def outage_after(self, t0: float, until: float) -> float:
        """Seconds from ``t0`` until the first successful call after the last failed one before ``until``."""
        failed = [t for t, ok in self.calls if not ok and t0 <= t <= until]
        if not failed:
            return 0.0
        after = [t for t, ok in self.calls if ok and t > failed[-1]]
        return (after[0] if after else float("nan")) - t0


def report_states(http: str, ids: list[str]) -> dict[str, dict]:
    """Each report as the front door shows it: status and history step counts."""
    session, out = requests.Session(), {}
    for tid in ids:
        view = session.get(f"{http}/reports/{tid}", timeout=10)
        body = view.json() if view.status_code == 200 else {}
        out[tid] = {"status": body.get("status"), "steps": Counter(h["step"] for h in body.get("history", []))}
    return out


def wait_followed_up(cluster: Cluster, ids: list[str], stall: float, log=print) -> dict[str, float]:
    """Tracking id -> case opened_at (epoch s), once every report has a case and the services' queues
    are empty, or when no case was opened and no queue shrank for ``stall`` seconds (progress printed
    every 15 s)."""
    client = MongoClient(cluster.mongodb, tz_aware=True)
    opened: dict[str, float] = {}
    progress_at, said, best = time.time(), time.time(), None
    try:
        while True:
            before = len(opened)
            for chunk in range(0, len(ids), 500):
                for case in client["lapor_followup"]["cases"].find(
                        {"tracking_id": {"$in": ids[chunk:chunk + 500]}}, {"tracking_id": 1, "opened_at": 1}):
                    opened[case["tracking_id"]] = case["opened_at"].timestamp()
            try:
                depths = {q["name"]: q.get("messages", 0) for q in cluster.api("queues/%2F?columns=name,messages")
                          if q["name"].endswith(".inbox")}
            except RuntimeError:
                depths = {}
            backlog = sum(depths.values())
            if len(opened) > before or best is None or backlog < best:
                progress_at, best = time.time(), backlog if best is None else min(best, backlog)
            # done once every report has its case and every service has applied what followed
            # (intake's tracking view, read next, lags behind the case by intake's own queue)
            if (len(opened) >= len(ids) and depths and backlog == 0) or time.time() - progress_at > stall:
                return opened
            if time.time() - said > 15:
                log(f"  {len(opened)}/{len(ids)} in follow-up; queues {depths}")
                said = time.time()
            time.sleep(2.0)
    finally:
        client.close()


def store_counts(mongodb: str, ids: list[str]) -> dict[str, Counter]:
    """Per report: cases (followup) and routing dispositions (routing's reports), to find duplicates."""
    client = MongoClient(mongodb, tz_aware=True)
    try:
        cases = Counter(c["tracking_id"] for c in client["lapor_followup"]["cases"].find(
            {"tracking_id": {"$in": ids}}, {"tracking_id": 1}))
        received = {r["_id"]: r["received_at"].timestamp() for r in client["lapor_intake"]["reports"].find(
            {"_id": {"$in": ids}}, {"received_at": 1})}
        return {"cases": cases, "received": received}
    finally:
        client.close()


def longest_gap(times: list[float], start: float, end: float) -> float:
    """The longest time in [start, end] without a case opened (end counts: a stall to the end shows)."""
    inside = sorted([start, end] + [t for t in times if start <= t <= end])
    return max((b - a for a, b in zip(inside, inside[1:])), default=0.0)


def run(offset: int = 64, rate: float = 10.0, warmup: float = 10.0, down: float = 10.0, settle: float = 15.0,
        tail: float = 10.0, rpc_mirrors: bool = True, keep: bool = False, fresh: bool = True, stall: float = 90.0,
        log=print) -> dict:
    """The whole scenario; returns its figures (see the module's docstring)."""
    run_dir = ROOT / ".run" / f"bench-cluster-{offset}"
    cluster = Cluster(offset, run_dir, rpc_mirrors)
    if fresh:
        cluster.run("stop")
        shutil.rmtree(run_dir, ignore_errors=True)
    load_before = os.getloadavg()
    t_start = time.time()
    log(f"starting the cluster stack (offset {offset}, run folder {run_dir}) ...")
    try:
        cluster.run("start", timeout=600)
    except RuntimeError as exc:
        cluster.run("stop")
        if "cluster: " in str(exc) or "rabbitmq-server is not installed" in str(exc):
            raise ClusterUnavailable(str(exc)) from exc
        raise
    log(f"  started in {time.time() - t_start:.0f} s; leaders of the services' queues: {cluster.leaders()}")
    pids = cluster.service_pids()
    probe = RpcProbe(cluster.operator_uri())
    probe.start()
    stop = threading.Event()
    holder = {}
    loader = threading.Thread(target=lambda: holder.update(offered=offer(
        cluster.http, count=100000, clients=16, rate=rate, start_index=0, stop=stop)), daemon=True)
    loader.start()
    kills = []
    try:
        time.sleep(warmup)
        for round_ in (1, 2):
            node = cluster.leading_node()
            leads = sorted(q for q, n in cluster.leaders().items() if n == node)
            t_kill = time.time()
            cluster.run("kill", str(node))
            log(f"kill {round_}: kill -9 node {node} (leader of {', '.join(leads)})")
            time.sleep(down)
            t_restart = time.time()
            cluster.run("start-node", str(node))
            while cluster.running_nodes() < len(cluster.nodes):
                time.sleep(0.5)
            t_rejoined = time.time()
            log(f"  node {node} restarted after {t_restart - t_kill:.0f} s down; rejoined "
                f"{t_rejoined - t_restart:.1f} s after its restart; new leaders {cluster.leaders()}")
            kills.append({"round": round_, "node": node, "leads": leads, "t_kill": t_kill,
                          "t_restart": t_restart, "t_rejoined": t_rejoined})
            time.sleep(settle if round_ == 1 else tail)
    finally:
        stop.set()
        loader.join(timeout=60)
        probe.stop.set()
    offered = holder["offered"]
    t_load_end = time.time()
    ids = offered.ids
    log(f"load stopped: {offered.sent} POSTs, {len(ids)} accepted (201), {len(offered.failures)} failed; "
        f"waiting until every accepted report is in follow-up ...")
    opened = wait_followed_up(cluster, ids, stall=stall, log=log)
    t_done = time.time()
    states = report_states(cluster.http, ids)
    counts = store_counts(cluster.mongodb, ids)
    pids_after = {s: pid for s, pid in cluster.service_pids().items()}
    alive = {s: os.path.exists(f"/proc/{pid}") for s, pid in pids.items()}
    lost = sorted(t for t in ids if t not in opened or states[t]["status"] != "in_follow_up")
    duplicated = sorted(t for t in ids if counts["cases"][t] > 1 or states[t]["steps"]["dispositioned"] > 1
                        or states[t]["steps"]["case_opened"] > 1 or states[t]["steps"]["received"] > 1)
    received = counts["received"]
    windows = []
    for i, k in enumerate(kills):
        end = kills[i + 1]["t_kill"] if i + 1 < len(kills) else t_done
        after = [opened[t] for t in ids if t in opened and received.get(t, 0) >= k["t_kill"]]
        windows.append({**k, "resumed_s": (min(after) - k["t_kill"]) if after else float("nan"),
                        "longest_case_gap_s": longest_gap(list(opened.values()), k["t_kill"], end),
                        "rpc_outage_s": probe.outage_after(k["t_kill"], end)})
    result = {"offset": offset, "rate": rate, "rpc_mirrors": rpc_mirrors, "sent": offered.sent,
              "accepted": len(ids), "failed_posts": len(offered.failures),
              "failures": sorted(Counter(offered.failures).items())[:5], "late": offered.late,
              "lost": lost, "duplicated": duplicated, "processed": len(opened),
              "pids_unchanged": pids == pids_after and all(alive.values()),
              "kills": windows, "drain_s": t_done - t_load_end,
              "accept_p99_ms": 1000 * sorted(offered.latencies)[int(0.99 * (len(ids) - 1))] if ids else float("nan"),
              "accept_max_ms": 1000 * max(offered.latencies, default=0),
              "load_before": load_before, "load_after": os.getloadavg()}
    if not keep:
        cluster.run("stop")
    return result


def describe(r: dict) -> str:
    lines = [f"cluster failover: {r['rate']:.0f} reports/s offered; {r['sent']} POSTs, {r['accepted']} accepted (201), "
             f"{r['failed_posts']} failed {r['failures'] or ''}; {r['late']} sent late by > 100 ms; "
             f"acceptance p99 {r['accept_p99_ms']:.0f} ms, max {r['accept_max_ms']:.0f} ms; "
             f"RPC queues mirrored: {'yes (policy lapor-rpc-mirrors)' if r['rpc_mirrors'] else 'no'}"]
    for k in r["kills"]:
        lines.append(
            f"  kill {k['round']}: node {k['node']} (leader of {', '.join(k['leads'])}): processing resumed "
            f"{k['resumed_s']:.1f} s after the kill (first report accepted after it reached follow-up); longest gap "
            f"between cases opened {k['longest_case_gap_s']:.1f} s; node down {k['t_restart'] - k['t_kill']:.0f} s, "
            f"rejoined {k['t_rejoined'] - k['t_restart']:.1f} s after its restart; RPC (routing.health) failing for "
            f"{k['rpc_outage_s']:.1f} s after the kill")
    lines.append(f"  lost: {len(r['lost'])} {r['lost'][:5]}; duplicated: {len(r['duplicated'])} {r['duplicated'][:5]}; "
                 f"{r['processed']}/{r['accepted']} in follow-up, the last {r['drain_s']:.0f} s after the load stopped; "
                 f"service processes unchanged (none restarted): {'yes' if r['pids_unchanged'] else 'NO'}")
    lines.append("  load average before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f} (1/5/15 min, {} cores)".format(
        *r["load_before"], *r["load_after"], os.cpu_count()))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of load before the first kill")
    parser.add_argument("--down", type=float, default=10.0, help="seconds a killed node stays down")
    parser.add_argument("--settle", type=float, default=15.0, help="seconds between a rejoin and the next kill")
    parser.add_argument("--tail", type=float, default=10.0, help="seconds of load after the last rejoin")
    parser.add_argument("--offset", type=int, default=64, help="port offset: the nodes take offset .. offset+2")
    parser.add_argument("--no-rpc-mirrors", dest="rpc_mirrors", action="store_false",
                        help="leave nameko's classic RPC queues on one node (no lapor-rpc-mirrors policy)")
    parser.add_argument("--keep", action="store_true", help="leave the cluster stack running")
    parser.add_argument("--stall", type=float, default=90.0,
                        help="give up waiting for follow-up after this many seconds without progress")
    args = parser.parse_args()
    print(f"uptime: {subprocess.run(['uptime'], text=True, stdout=subprocess.PIPE).stdout.strip()}", flush=True)
    result = run(args.offset, args.rate, args.warmup, args.down, args.settle, args.tail, args.rpc_mirrors, args.keep,
                 stall=args.stall, log=lambda text: print(text, flush=True))
    print(describe(result))
    print(f"uptime: {subprocess.run(['uptime'], text=True, stdout=subprocess.PIPE).stdout.strip()}")
    sys.exit(0 if not result["lost"] and not result["duplicated"] and result["pids_unchanged"] else 1)


if __name__ == "__main__":
    main()

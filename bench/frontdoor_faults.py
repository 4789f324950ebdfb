"""The front door under a crash of RabbitMQ or of the store (issue 22).

A stack of its own (``deploy/local``: RabbitMQ, the store, the demo sinks, the five services, the
demo region, the nginx front door; no Prometheus) takes ``--rate`` web reports per second through
the front door (``POST /reports``). ``--before`` seconds in, the broker's (or the store's) process
is killed with ``kill -9``; ``--down`` seconds later it is started again by its script, as a
supervisor would (no service is touched); the load goes on ``--after`` seconds past the restart, and
on (up to 60 s) until a report is accepted after it.
Then, once the services have drained, every 201 is checked in the store: one routing decision
(routing's first audit entry: the rules' ``route``), one follow-up case, one ``dispositioned`` step in
intake's history. Printed per fault: requests, 201/503 (with ``Retry-After``)/other/no answer,
answer time p50/p99/max as the client saw it and as nginx timed it (its access log's
``$request_time``: the client's figure also holds the load generator's own delays when the machine
is starved), the time from the restart until a report accepted after it was routed
(recovered), and what was lost or duplicated, with the machine's load.

    bash bench/run.sh bench/frontdoor_faults.py      # both faults, offset 67
    python bench/frontdoor_faults.py [--fault rabbitmq|store|both] [--rate 10] [--offset 67] [--keep]
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from pymongo import MongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "services" / "contract"))
from _load import pct, report  # noqa: E402
from _stack import bench_env, script, urls  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PID_FILES = {"rabbitmq": "rabbitmq/rabbitmq.pid", "store": "store/secantusd.pid"}
SCRIPTS = {"rabbitmq": "rabbitmq.sh", "store": "store.sh"}
ANSWER_WITHIN_S = 2.0
CLIENT_TIMEOUT_S = 10.0  # longer than the bound: an answer after 2 s is seen (and counted late)


def start_stack(env: dict) -> None:
    """What ``deploy/local/stack.sh start`` starts, without Prometheus."""
    for part in ("rabbitmq.sh", "store.sh", "sinks.sh", "services.sh"):
        script(part, "start", env)
    import_region(env)
    script("frontdoor.sh", "start", env)


def import_region(env: dict) -> None:
    """The demo region into routing's registry (the broker and the store running)."""
    uris = urls(env)
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "routing.cli", "import",
                    str(ROOT / "deploy" / "demo" / "region.yml"), "--config", str(ROOT / "services/routing/config.yml")],
                   env={**env, "MONGODB_URI": uris["mongodb"], "AMQP_URI": uris["amqp"],
                        "PYTHONPATH": f"{ROOT}/services/contract:{ROOT}/services/routing"},
                   check=True, timeout=180, stdout=subprocess.DEVNULL)


def stop_stack(env: dict) -> None:
    for part in ("frontdoor.sh", "services.sh", "sinks.sh", "store.sh", "rabbitmq.sh"):
        try:
            script(part, "stop", env)
        except subprocess.CalledProcessError:
            pass


def kill_9(env: dict, part: str) -> int:
    """kill -9 the process of ``part`` (rabbitmq, store) and wait until it is gone; its pid."""
    pid = int((Path(env["LAPOR_RUN_DIR"]) / PID_FILES[part]).read_text().split()[0])
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):
        if not Path(f"/proc/{pid}").exists() or "Z" in _state(pid):
            return pid
        time.sleep(0.05)
    raise RuntimeError(f"{part} (pid {pid}) still alive after kill -9")


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def service_pids(env: dict) -> dict[str, int]:
    run = Path(env["LAPOR_RUN_DIR"]) / "services"
    return {p.stem: int(p.read_text().split()[0]) for p in sorted(run.glob("*.pid"))}


class Answer:
    __slots__ = ("sent", "took", "status", "retry_after", "tracking_id", "error")

    def __init__(self, sent, took, status=None, retry_after=None, tracking_id=None, error=None):
        self.sent, self.took, self.status = sent, took, status
        self.retry_after, self.tracking_id, self.error = retry_after, tracking_id, error


def burst(base: str, rate: float, seconds: float, clients: int = 32) -> list[Answer]:
    """POST /reports at ``rate`` per second for ``seconds`` (open loop: each request leaves at its
    due time whatever happened to the earlier ones); one :class:`Answer` per request."""
    answers, lock, local = [], threading.Lock(), threading.local()
    start, count = time.time(), int(rate * seconds)

    def send(i: int) -> None:
        delay = start + i / rate - time.time()
        if delay > 0:
            time.sleep(delay)
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        sent, t0 = time.time(), time.perf_counter()
        try:
            r = session.post(f"{base}/reports", json=report(i), timeout=CLIENT_TIMEOUT_S,
                             headers={"Idempotency-Key": str(uuid.uuid4())})
            took = time.perf_counter() - t0
            tid = r.json().get("tracking_id") if r.status_code == 201 else None
            answer = Answer(sent, took, r.status_code, r.headers.get("Retry-After"), tid,
                            None if r.status_code in (200, 201) else r.text[:160])
        except requests.RequestException as exc:
            answer = Answer(sent, time.perf_counter() - t0, error=type(exc).__name__)
        with lock:
            answers.append(answer)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(send, range(count)))
    return sorted(answers, key=lambda a: a.sent)


def access_log(env: dict) -> Path:
    return Path(env["LAPOR_RUN_DIR"]) / "frontdoor" / "logs" / "access.log"


def door_times(env: dict, offset: int) -> list[tuple[int, float]]:
    """(status, seconds nginx took) of each POST /reports in the front door's log after byte ``offset``
    (nginx_conf's ``timed`` format ends with ``$request_time``)."""
    with access_log(env).open("rb") as log_file:
        log_file.seek(offset)
        lines = log_file.read().decode(errors="replace").splitlines()
    out = []
    for line in lines:
        if '"POST /reports HTTP/' in line:
            status = int(line.split('" ', 1)[1].split()[0])
            out.append((status, float(line.rsplit(" ", 1)[1])))
    return out


def outcome_counts(mongodb: str, ids: list[str]) -> dict[str, Counter]:
    """Per tracking ID: routing decisions (audit entries of the disposition), follow-up cases, and
    ``dispositioned`` steps in intake's history."""
    client = MongoClient(mongodb, tz_aware=True)
    try:
        decisions = Counter(a["tracking_id"] for a in client["lapor_routing"]["audit"].find(
            {"tracking_id": {"$in": ids}, "action": {"$in": ["route", "forward"]}, "actor": "system"}, {"tracking_id": 1}))
        cases = Counter(c["tracking_id"] for c in client["lapor_followup"]["cases"].find(
            {"tracking_id": {"$in": ids}}, {"tracking_id": 1}))
        intake = client["lapor_intake"]  # history steps: on the report, or one document each
        steps = Counter(h["tracking_id"] for h in intake["history"].find(
            {"tracking_id": {"$in": ids}, "step": "dispositioned"}, {"tracking_id": 1}))
        for r in intake["reports"].find({"_id": {"$in": ids}}, {"history.step": 1}):
            steps[r["_id"]] += sum(1 for h in r.get("history", []) if h.get("step") == "dispositioned")
        routed_at = {a["tracking_id"]: a["at"].timestamp() for a in client["lapor_routing"]["audit"].find(
            {"tracking_id": {"$in": ids}, "action": {"$in": ["route", "forward"]}, "actor": "system"}, {"tracking_id": 1, "at": 1})}
        return {"decisions": decisions, "cases": cases, "steps": steps, "routed_at": routed_at}
    finally:
        client.close()


def drain(mongodb: str, ids: list[str], timeout: float) -> dict[str, Counter]:
    """Wait until every report in ``ids`` has its case (or ``timeout`` passes), then a little longer
    for late duplicates; the final counts."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        counts = outcome_counts(mongodb, ids)
        if all(counts["cases"][t] and counts["decisions"][t] and counts["steps"][t] for t in ids):
            break
        time.sleep(1.0)
    time.sleep(2.0)  # a redelivery that would duplicate shows up here
    return outcome_counts(mongodb, ids)


def run_fault(env: dict, part: str, rate: float = 10.0, before: float = 4.0, down: float = 4.0,
              after: float = 8.0, drain_timeout: float = 90.0, settle: float = 60.0, log=print) -> dict:
    """One burst with ``part`` killed ``before`` s in and restarted ``down`` s later; its figures."""
    base, mongodb = urls(env)["http"], urls(env)["mongodb"]
    pids = service_pids(env)
    times: dict = {}

    def fault() -> None:
        time.sleep(before)
        times["killed"] = time.time()
        times["pid"] = kill_9(env, part)
        log(f"  kill -9 {part} (pid {times['pid']})")
        time.sleep(down)
        times["restarting"] = time.time()
        script(SCRIPTS[part], "start", env)
        times["restarted"] = time.time()
        log(f"  {part} started again ({times['restarted'] - times['restarting']:.1f} s to be ready)")

    log_offset = access_log(env).stat().st_size
    faulter = threading.Thread(target=fault, daemon=True)
    faulter.start()
    load_before = os.getloadavg()
    answers = burst(base, rate, before + down + after)
    faulter.join(timeout=120)
    if "restarted" in times:  # load until a while after the restart, however long it took to start
        extra = times["restarted"] + after - time.time()
        if extra > 1:
            answers += burst(base, rate, extra)
        # and on (at most ``settle`` s more) until a report is accepted after the restart: the recovery
        # shown, on a machine slow enough for every submission to meet the deadline for a while
        until = time.time() + settle
        while time.time() < until and not any(a.status == 201 and a.sent >= times["restarted"] for a in answers):
            answers += burst(base, rate, 2.0)
    ids = [a.tracking_id for a in answers if a.status == 201]
    counts = drain(mongodb, ids, drain_timeout)
    after_restart = [a for a in answers if a.status == 201 and a.sent >= times.get("restarted", float("inf"))]
    routed_after = [counts["routed_at"][a.tracking_id] for a in after_restart if a.tracking_id in counts["routed_at"]]
    took = [a.took for a in answers if a.status is not None]
    door = [t for _, t in door_times(env, log_offset)]
    return {
        "part": part, "rate": rate, "requests": len(answers), "times": times,
        "statuses": Counter(a.status for a in answers),
        "no_answer": [a.error for a in answers if a.status is None],
        "slow": [round(a.took, 2) for a in answers if a.took > ANSWER_WITHIN_S],
        "slow_sent_after_kill_s": [round(a.sent - times.get("killed", 0), 1) for a in answers if a.took > ANSWER_WITHIN_S],
        "odd": [(a.status, a.error) for a in answers if a.status not in (201, 503, None)],
        "503_without_retry_after": sum(1 for a in answers if a.status == 503 and not a.retry_after),
        "p50": pct(took, 50), "p99": pct(took, 99), "max": max(took, default=float("nan")),
        # the same answers as the front door timed them (from reading the request to sending the
        # answer): without the load generator's own delays on a starved machine
        "door_answers": len(door), "door_p50": pct(door, 50), "door_p99": pct(door, 99),
        "door_max": max(door, default=float("nan")), "door_slow": [t for t in door if t > ANSWER_WITHIN_S],
        "accepted": ids, "accepted_after_restart": len(after_restart),
        "recovered_s": (min(routed_after) - times["restarted"]) if routed_after else float("nan"),
        "accepting_s": (min(a.sent for a in after_restart) - times["restarted"]) if after_restart else float("nan"),
        "lost": sorted(t for t in ids if not (counts["decisions"][t] and counts["cases"][t] and counts["steps"][t])),
        "duplicated": sorted(t for t in ids if max(counts["decisions"][t], counts["cases"][t], counts["steps"][t]) > 1),
        "services_restarted": sorted(s for s, pid in pids.items() if service_pids(env).get(s) != pid
                                     or not Path(f"/proc/{pid}").exists()),
        "load_before": load_before, "load_after": os.getloadavg(),
    }


def summary(values: list[float]) -> str:
    return f"{min(values)} .. {max(values)}" if values else "-"


def describe(r: dict) -> str:
    s = r["statuses"]
    return (f"kill -9 {r['part']} during {r['rate']:.0f} reports/s: {r['requests']} POST /reports; "
            f"201: {s[201]}, 503 (Retry-After): {s[503] - r['503_without_retry_after']}, other: {len(r['odd'])} "
            f"{r['odd'][:3]}, no answer: {len(r['no_answer'])}; answer time p50 {1000 * r['p50']:.0f} ms, "
            f"p99 {1000 * r['p99']:.0f} ms, max {1000 * r['max']:.0f} ms ({len(r['slow'])} over 2 s, sent "
            f"{summary(r['slow_sent_after_kill_s'])} s after the kill); as nginx timed them: p50 "
            f"{1000 * r['door_p50']:.0f} ms, p99 {1000 * r['door_p99']:.0f} ms, max {1000 * r['door_max']:.0f} ms "
            f"({len(r['door_slow'])} over 2 s); "
            f"{r['accepted_after_restart']} accepted after the restart (the first sent {r['accepting_s']:.1f} s "
            f"after it), the first routed {r['recovered_s']:.1f} s after it; lost {len(r['lost'])}, duplicated {len(r['duplicated'])}; "
            f"services restarted: {r['services_restarted'] or 'none'}; load {r['load_before'][0]:.2f} -> "
            f"{r['load_after'][0]:.2f} ({os.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fault", choices=("rabbitmq", "store", "both"), default="both")
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--before", type=float, default=4.0)
    parser.add_argument("--down", type=float, default=4.0)
    parser.add_argument("--after", type=float, default=8.0)
    parser.add_argument("--offset", type=int, default=67)
    parser.add_argument("--keep", action="store_true", help="leave the stack running")
    args = parser.parse_args()
    env = bench_env(f"frontdoor-faults-{args.offset}", args.offset, one_store=True)
    print(f"uptime: {subprocess.run(['uptime'], text=True, stdout=subprocess.PIPE).stdout.strip()}", flush=True)
    failed = False
    stop_stack(env)
    # a fresh store: intake's near-duplicate read grows with the reports an earlier run left
    shutil.rmtree(env["LAPOR_RUN_DIR"], ignore_errors=True)
    start_stack(env)
    try:
        for part in (("rabbitmq", "store") if args.fault == "both" else (args.fault,)):
            r = run_fault(env, part, args.rate, args.before, args.down, args.after,
                          log=lambda text: print(text, flush=True))
            print(describe(r), flush=True)
            failed |= bool(r["odd"] or r["no_answer"] or r["door_slow"] or r["lost"] or r["duplicated"]
                           or r["503_without_retry_after"] or r["services_restarted"])
    finally:
        if not args.keep:
            stop_stack(env)
    print(f"uptime: {subprocess.run(['uptime'], text=True, stdout=subprocess.PIPE).stdout.strip()}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

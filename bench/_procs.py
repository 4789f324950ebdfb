"""Where the CPU goes: per-process CPU seconds of a bench stack's parts, read from /proc.

The parts are found through the pid files that deploy/local's scripts write under the run folder
(``$LAPOR_RUN_DIR/<part>/<name>.pid``); each part counts its process and every descendant (nginx's
workers, RabbitMQ's helper processes). The load generator is this process (all its threads).
A snapshot maps part -> {pid: CPU ticks}; the difference of two snapshots is each part's CPU over
the window. A process started inside the window (a service restarted by the backlog phase) counts
from its start (its start-up included); one that ended inside it counts until the last snapshot
that saw it.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
SERVICES = ("intake", "routing", "followup", "notification", "assessment")
# part -> pid file under the run folder, in the order printed
# (the one store of LAPOR_STORE_PER_SERVICE=0, or each service's own: the parts not running count 0)
PARTS = {"store (secantusd)": "store/secantusd.pid",
         **{f"store {svc}": f"store/{svc}/secantusd.pid" for svc in SERVICES}, "rabbitmq (beam)": "rabbitmq/rabbitmq.pid",
         **{svc: f"services/{svc}.pid" for svc in SERVICES},
         "nginx": "frontdoor/nginx.pid", "mail catcher": "sinks/mail-catcher.pid",
         "sms recorder": "sinks/sms-recorder.pid", "prometheus": "prometheus/prometheus.pid"}
LOADGEN = "load generator (this)"


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, utime + stime ticks) of a live process, or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "; comm may hold spaces
    return int(fields[1]), int(fields[11]) + int(fields[12])


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            found = _stat(int(entry.name))
            if found:
                tree.setdefault(found[0], []).append(int(entry.name))
    return tree


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def snapshot(run_dir: str) -> dict[str, dict[int, int]]:
    """part -> {pid: CPU ticks so far} for the stack in ``run_dir`` and this load generator."""
    tree = _children()
    out: dict[str, dict[int, int]] = {}
    roots = {part: _read_pid(Path(run_dir) / rel) for part, rel in PARTS.items()}
    roots[LOADGEN] = os.getpid()
    for part, root in roots.items():
        pids, seen = [root] if root else [], {}
        while pids:
            pid = pids.pop()
            found = _stat(pid)
            if found and pid not in seen:
                seen[pid] = found[1]
                pids.extend(tree.get(pid, []))
        out[part] = seen
    return out


def machine() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine so far, all processes of everyone; wall clock)."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in first]
    idle = values[3] + values[4]  # idle + iowait
    busy = sum(values[:8]) - idle  # user nice system idle iowait irq softirq steal
    return busy / TICKS, time.time()


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Meter:
    """CPU of every part between ``start()`` and ``stop()``, kept up to date by ``sample()`` calls
    (take one before stopping a part, so that its CPU until then is not lost)."""

    def __init__(self, run_dir: str):
        self.run_dir = run_dir

    def start(self) -> "Meter":
        self.load_before = loadavg()
        self.first = snapshot(self.run_dir)
        self.last: dict[str, dict[int, int]] = {p: dict(v) for p, v in self.first.items()}
        self.machine0 = machine()
        return self

    def sample(self) -> None:
        for part, pids in snapshot(self.run_dir).items():
            self.last.setdefault(part, {}).update(pids)

    def stop(self) -> dict:
        self.sample()
        machine1 = machine()
        wall = machine1[1] - self.machine0[1]
        cpu = {part: sum(t - self.first.get(part, {}).get(pid, 0) for pid, t in pids.items()) / TICKS
               for part, pids in self.last.items()}
        return {"cpu": cpu, "ran": {part for part, pids in self.last.items() if pids}, "wall": wall, "machine_busy": machine1[0] - self.machine0[0],
                "load_before": self.load_before, "load_after": loadavg()}


def table(windows: list[tuple[str, dict, int, str]]) -> str:
    """The CPU table: one row per part; per window (name, Meter.stop() result, units, unit name)
    the CPU seconds, the cores it kept busy on average, and CPU milliseconds per unit."""
    head = f"{'process':<24}" + "".join(f"{name[:30]:>32}" for name, *_ in windows)
    sub = f"{'':<24}" + "".join(f"{'cpu s':>10}{'cores':>8}{'ms/' + unit:>14}" for *_, unit in windows)
    lines = [head, sub]
    ran = set().union(*(w.get("ran", set(w["cpu"])) for _, w, *_ in windows))
    parts = [part for part in PARTS if part in ran] + [LOADGEN]
    stores = [part for part in parts if part.startswith("store ")]

    def row(label: str, values: list[float]) -> str:
        cells = ""
        for value, (_, w, units, _unit) in zip(values, windows):
            per = f"{1000 * value / units:.1f}" if units else "-"
            cells += f"{value:>10.1f}{value / w['wall']:>8.2f}{per:>14}"
        return f"{label:<24}{cells}"

    for part in parts:
        lines.append(row(part, [w["cpu"].get(part, 0.0) for _, w, *_ in windows]))
    if len(stores) > 1:  # a store per service: their sum, to compare with the one store
        lines.append(row("= the five stores", [sum(w["cpu"].get(p, 0.0) for p in stores) for _, w, *_ in windows]))
    lines.append(row("= bench stack + loadgen", [sum(w["cpu"].values()) for _, w, *_ in windows]))
    lines.append(row("whole machine (everyone)", [w["machine_busy"] for _, w, *_ in windows]))
    lines.append(f"{'wall s':<24}" + "".join(f"{w['wall']:>10.1f}{'':>22}" for _, w, *_ in windows))
    lines.append(f"{'load avg before->after':<24}" + "".join(
        f"{w['load_before'] + ' -> ' + w['load_after'].split()[0]:>32}" for _, w, *_ in windows))
    lines.append("")
    lines.extend(verdict(name, w) for name, w, *_ in windows)
    return "\n".join(lines)


def verdict(name: str, w: dict) -> str:
    """Which part is the wall: the machine's busy cores, the stack's share, the busiest part (a Python
    process, the store and each service, keeps at most one core busy: the GIL)."""
    cores = os.cpu_count() or 1
    busy, stack = w["machine_busy"] / w["wall"], sum(w["cpu"].values()) / w["wall"]
    part, top = max(w["cpu"].items(), key=lambda kv: kv[1])
    return (f"{name}: machine {busy:.2f} of {cores} cores busy (this bench {stack:.2f}, everything else "
            f"{max(0.0, busy - stack):.2f}); busiest part {part} at {top / w['wall']:.2f} cores")

"""Memory each hub takes on this machine, from /proc: RSS and PSS summed over its processes.

    python deploy/hubs/memory.py [--parts] CODE=RUN_DIR ...   # what `deploy/hubs/hubs.sh memory` runs

``--parts``: also each part (pid file) of each hub.

A hub's processes are those in the pid files under its run folder (deploy/local writes
``<part>/<name>.pid``: RabbitMQ, the store, the services, nginx, the sinks, Prometheus; deploy/hubs
``hubmetrics.pid``) and all their descendants (nginx's workers, RabbitMQ's helpers). RSS counts a
page shared by two processes twice (nginx's master and workers); PSS divides it among them, so the
PSS sum is what the hub adds to the machine. epmd (a daemon per broker, about 1 MB) is not counted.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                text = Path(f"/proc/{entry.name}/stat").read_text()
            except OSError:
                continue
            parent = int(text[text.rindex(")") + 2:].split()[1])
            tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _kib(pid: int, path: str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def part_roots(run_dir: Path) -> dict[str, int]:
    """pid file (relative to ``run_dir``) -> its live process."""
    roots = {}
    for pidfile in [*run_dir.rglob("*.pid"), *run_dir.rglob("*.pid.launcher")]:
        try:
            pid = int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        if Path(f"/proc/{pid}").exists():
            roots[str(pidfile.relative_to(run_dir))] = pid
    return roots


def hub_pids(run_dir: Path, tree: dict[int, list[int]], roots: set[int] | None = None) -> set[int]:
    """The live processes of the hub in ``run_dir``: its pid files' processes and descendants."""
    roots = set(part_roots(run_dir).values()) if roots is None else roots
    found, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(tree.get(pid, []))
    return found


def measure(run_dir: Path, tree: dict[int, list[int]] | None = None, roots: set[int] | None = None) -> dict:
    """{processes, rss_mib, pss_mib} of one hub (or of the processes ``roots`` and their descendants)."""
    pids = hub_pids(run_dir, tree if tree is not None else _children(), roots)
    rss = sum(_kib(pid, "status", "VmRSS") for pid in pids)
    pss = sum(_kib(pid, "smaps_rollup", "Pss") for pid in pids)
    return {"processes": len(pids), "rss_mib": rss / 1024, "pss_mib": pss / 1024}


def main(args: list[str]) -> int:
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    parts = args[0] == "--parts"
    args = args[1:] if parts else args
    tree = _children()
    total_rss = total_pss = 0.0
    for arg in args:
        code, run_dir = arg.split("=", 1)
        m = measure(Path(run_dir), tree)
        total_rss += m["rss_mib"]
        total_pss += m["pss_mib"]
        print(f"hub {code}: {m['processes']} processes, RSS {m['rss_mib']:.0f} MiB, PSS {m['pss_mib']:.0f} MiB")
        if parts:
            for name, pid in sorted(part_roots(Path(run_dir)).items()):
                p = measure(Path(run_dir), tree, {pid})
                print(f"  {name:<32} {p['processes']:>2} processes, RSS {p['rss_mib']:5.0f} MiB, PSS {p['pss_mib']:5.0f} MiB")
    print(f"all: RSS {total_rss:.0f} MiB, PSS {total_pss:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

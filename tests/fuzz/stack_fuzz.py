"""Schemathesis against the running stack, through its front door (issue 13's "done when").

Every operation of the public ``/openapi.json`` (all five services) gets ``--examples`` generated
cases (positive and negative, half each), sent through nginx with the credentials it needs (a
national admin's token, the demo channel gateways' secrets, an issued Open311 key), and every
answer is checked: ``not_a_server_error``, ``status_code_conformance`` (no undocumented status),
``content_type_conformance`` (no undocumented content type) and ``response_schema_conformance``.

    make fuzz                                   # a stack of its own (offset 170), 300 cases per operation
    python tests/fuzz/stack_fuzz.py --service intake --examples 50
    python tests/fuzz/stack_fuzz.py --running   # the stack already running at --offset (left running)

Prints cases and failures per operation and writes ``$LAPOR_RUN_DIR/fuzz-report.json``; exits 1
on any failure. The stack it starts is stopped at the end unless ``--keep``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for _part in ("contract", "intake", "routing", "followup", "notification", "assessment"):
    sys.path.insert(0, str(ROOT / "services" / _part))

import requests  # noqa: E402
import schemathesis  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.core.failures import Failure, FailureGroup  # noqa: E402
from schemathesis.generation.modes import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,  # noqa: E402
                                               status_code_conformance)

from contract import localstack  # noqa: E402

LOCAL = ROOT / "deploy" / "local"
SERVICES = ("intake", "routing", "followup", "notification", "assessment")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ADMIN = "nas-admin-1"  # the demo region's national admin (deploy/demo/region.yml)


def stack_env(offset: int) -> dict:
    """deploy/local's environment for a fuzz stack: its own run folder and ports (contract.localstack)."""
    return {**os.environ, "PYTHONWARNINGS": "ignore", "LAPOR_RUN_DIR": str(ROOT / ".run" / f"fuzz-{offset}"),
            **localstack.ports(offset), "LAPOR_RABBIT_NODE": f"laporfuzz{offset}@localhost",
            # every request comes from the front door on loopback (exempt from intake's per-address limit);
            # the per-gateway limits would turn most channel cases into 429s
            "INTAKE_GATEWAY_RATE_LIMIT_MAX": "1000000", "INTAKE_CHANNEL_RATE_LIMIT_MAX": "1000000"}


def stack(action: str, env: dict) -> None:
    subprocess.run([str(LOCAL / "stack.sh"), action], env=env, check=True, timeout=600)


def credentials(env: dict) -> dict:
    """Headers per kind of operation: an official's token, each channel gateway's secret; the Open311 key."""
    def cli(*args: str) -> str:  # the operators' CLI (deploy/local/cli.sh), as an operator issues them
        return subprocess.run([str(LOCAL / "cli.sh"), *args], env=env, check=True, timeout=120,
                              capture_output=True, text=True).stdout.strip()

    token = cli("routing", "token", ADMIN, "--days", "1").split()[-1]
    open311_key = cli("intake", "open311-key", "issue", "stack-fuzz").split()[-1]
    line = (Path(env["LAPOR_RUN_DIR"]) / "channel-gateways.env").read_text().strip()
    gateways = dict(item.split(":", 1) for item in line.split("=", 1)[1].split(","))
    return {"official": {"Authorization": f"Bearer {token}"},
            "/channels/sms": {"Authorization": f"Bearer {gateways['sms'].split('=', 1)[1]}"},
            "/channels/social": {"Authorization": f"Bearer {gateways['social'].split('=', 1)[1]}"},
            "open311_key": open311_key}


def service_of(path: str) -> str:
    """The service behind a path (deploy/local/routes.txt: the longest matching prefix)."""
    routes = [line.split() for line in (LOCAL / "routes.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    matches = [(len(prefix), svc) for prefix, svc in routes if path.startswith(prefix.rstrip("/")) and prefix != "/"]
    return max(matches)[1] if matches else "intake"


def headers_for(operation, creds: dict) -> dict:
    if operation.path in creds:
        return creds[operation.path]
    return creds["official"] if operation.definition.raw.get("security") else {}


def content_type(response) -> str | None:
    value = response.headers.get("content-type") or response.headers.get("Content-Type")
    return value[0] if isinstance(value, list) and value else value


def fuzz_operation(operation, base: str, creds: dict, examples: int, failures: dict) -> int:
    """Send ``examples`` cases of one operation; record distinct failures; the number of cases sent."""
    label = f"{operation.method.upper()} {operation.path}"
    headers = headers_for(operation, creds)
    sent = 0
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                         operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case):
        nonlocal sent
        if operation.path.startswith("/open311/") and operation.method == "post" and isinstance(case.body, dict):
            case.body.setdefault("api_key", creds["open311_key"])
        sent += 1
        try:
            response = case.call(base_url=base, headers=headers, timeout=60)
        except requests.RequestException as exc:
            failures[label].setdefault(f"no answer: {type(exc).__name__}", {"count": 0, "example": str(exc)[:300]})
            failures[label][f"no answer: {type(exc).__name__}"]["count"] += 1
            return
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (FailureGroup, Failure) as exc:
            for failure in getattr(exc, "exceptions", (exc,)):
                key = f"{failure.title} (status {response.status_code}, {content_type(response)})"
                entry = failures[label].setdefault(key, {"count": 0, "example": (
                    f"{case.method} {case.formatted_path} query={case.query} body={str(case.body)[:300]} -> "
                    f"{response.status_code} {response.text[:300]} :: {failure.message[:400]}")})
                entry["count"] += 1

    run()
    return sent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offset", type=int, default=170, help="deploy/local port offset (contract.localstack)")
    parser.add_argument("--examples", type=int, default=300, help="generated cases per operation")
    parser.add_argument("--service", action="append", choices=SERVICES, help="only this service's operations")
    parser.add_argument("--running", action="store_true", help="use the stack already running at --offset")
    parser.add_argument("--keep", action="store_true", help="leave the stack this run starts running")
    args = parser.parse_args()
    env = stack_env(args.offset)
    base = f"http://127.0.0.1:{env['LAPOR_HTTP_PORT']}"
    if not args.running:
        stack("start", env)
    try:
        creds = credentials(env)
        schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
        counts: dict[str, int] = {}
        failures: dict[str, dict] = defaultdict(dict)
        started = time.monotonic()
        for result in schema.get_all_operations():
            operation = result.ok()
            if args.service and service_of(operation.path) not in args.service:
                continue
            label = f"{operation.method.upper()} {operation.path}"
            counts[label] = fuzz_operation(operation, base, creds, args.examples, failures)
            print(f"{label}: {counts[label]} cases, {sum(f['count'] for f in failures[label].values())} failing",
                  flush=True)
        report = {"base": base, "examples_per_operation": args.examples, "operations": len(counts),
                  "cases": sum(counts.values()), "seconds": round(time.monotonic() - started),
                  "failing_cases": sum(f["count"] for op in failures.values() for f in op.values()),
                  "cases_per_operation": counts, "failures": {k: v for k, v in failures.items() if v}}
        Path(env["LAPOR_RUN_DIR"], "fuzz-report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
        print(json.dumps({k: report[k] for k in ("operations", "cases", "failing_cases", "seconds")}))
        for label, found in report["failures"].items():
            for key, entry in found.items():
                print(f"FAIL {label}: {key} x{entry['count']}\n     {entry['example']}")
        return 1 if report["failures"] else 0
    finally:
        if not args.running and not args.keep:
            stack("stop", env)


if __name__ == "__main__":
    sys.exit(main())

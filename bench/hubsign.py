"""What signing and checking a hub message costs (issue 18): ``hubwire.for_neighbour`` (version 2,
signed) and ``hubsign.verify`` over a transfer with no evidence, 1 MiB and 5 MiB of it (base64 in
the message), per message, on this machine.

    .venv/bin/python bench/hubsign.py
"""
from __future__ import annotations

import base64
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent / "services" / "contract")]

from contract import hubsign, hubwire  # noqa: E402
from contract.ids import new_tracking_id  # noqa: E402

NOW = datetime.now(timezone.utc)


def transfer(evidence_bytes: int) -> dict:
    evidence = [{"filename": "a.jpg", "content_type": "image/jpeg", "sha256": "0" * 64,
                 "data": base64.b64encode(os.urandom(evidence_bytes)).decode()}] if evidence_bytes else []
    return hubwire.dump(hubwire.new_message(
        "transfer", new_tracking_id("5108"), "5108", "5108", "ID", ["5108"], NOW,
        transfer={"report": {"title": "Jalan rusak", "description": "d" * 800, "classification": "complaint",
                             "category_code": "jalan", "region_code": "7317", "channel": "web",
                             "is_anonymous": False, "is_confidential": False, "received_at": NOW},
                  "evidence": evidence, "sealed_reporter": "x" * 300, "reason": "region 7317",
                  "forwarded_by": "system"}))


def main() -> None:
    private, public = hubsign.generate_key()
    print(f"load average {os.getloadavg()[0]:.1f}")
    for size in (0, 1024 * 1024, 5 * 1024 * 1024):
        message, n = transfer(size), (2000 if size == 0 else 20)
        started = time.perf_counter()
        for _ in range(n):
            signed = hubwire.for_neighbour(message, hubwire.SCHEMA_VERSION, private)
        sign = (time.perf_counter() - started) / n
        started = time.perf_counter()
        for _ in range(n):
            assert hubsign.verify(signed, public)
        verify = (time.perf_counter() - started) / n
        print(f"evidence {size // 1024} KiB: sign {sign * 1000:.2f} ms, verify {verify * 1000:.2f} ms")


if __name__ == "__main__":
    main()

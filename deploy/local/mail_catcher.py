"""The demo stack's mail catcher: a real SMTP server (aiosmtpd) on loopback that keeps every message.

    python deploy/local/mail_catcher.py --port 8786 --dir .run/local/sinks/mail

Every message notification hands over is accepted (250) and kept as it arrived, in
``<dir>/<n>.eml``, with one line in ``<dir>/index.jsonl``:
``{"n", "at", "from", "to", "subject", "file"}``. Nothing is relayed anywhere. Read them with
``make outbox`` or any mail client that opens .eml files. Started and stopped by
``deploy/local/sinks.sh`` (by PID), as part of ``make run``.
"""
from __future__ import annotations

import json
import signal
import threading
from datetime import datetime, timezone
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller

import sink_args  # deploy/local, beside this script


class Catcher:
    """aiosmtpd handler: keep each message as a file and index it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.lock = threading.Lock()
        self.count = len(list(folder.glob("*.eml")))

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        parsed = message_from_bytes(raw, policy=policy.default)
        with self.lock:
            self.count += 1
            name = f"{self.count:06d}.eml"
            (self.folder / name).write_bytes(raw)
            line = {"n": self.count, "at": datetime.now(timezone.utc).isoformat(), "from": envelope.mail_from,
                    "to": list(envelope.rcpt_tos), "subject": str(parsed.get("Subject", "")), "file": name}
            with open(self.folder / "index.jsonl", "a", encoding="utf-8") as index:
                index.write(json.dumps(line, ensure_ascii=False) + "\n")
        return "250 Message accepted for delivery"


def main() -> None:
    args = sink_args.parse(__doc__.splitlines()[0])
    controller = Controller(Catcher(args.dir), hostname=args.host, port=args.port, data_size_limit=30 * 1024 * 1024)
    controller.start()
    print(f"mail catcher: smtp://{args.host}:{args.port}, messages in {args.dir}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()

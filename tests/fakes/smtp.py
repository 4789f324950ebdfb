"""Start the real SMTP server (tests/fakes/smtp_server.py) in its own process and read its mail."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from email import message_from_string, policy
from pathlib import Path
from tests.ports import free_port
from tests.waiting import json_lines

ROOT = Path(__file__).resolve().parents[2]


class SmtpSink:
    """A running aiosmtpd server; ``messages()`` returns what it accepted, parsed."""

    def __init__(self, folder: Path, reject: tuple[str, ...] = (), delay: float = 0.0):
        self.port = free_port()
        self.path = Path(folder) / f"smtp-{self.port}.jsonl"
        self.path.write_text("")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.smtp_server", str(self.port), str(self.path),
             "--delay", str(delay), "--reject", *reject], cwd=str(ROOT), env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("the SMTP server did not start")

    def messages(self) -> list[dict]:
        out = []
        for record in json_lines(self.path):  # whole lines only: the server may be writing one
            mail = message_from_string(record["data"], policy=policy.default)
            text = mail.get_body(preferencelist=("plain",))
            html = mail.get_body(preferencelist=("html",))
            out.append({"rcpt_tos": record["rcpt_tos"], "from": str(mail["From"]), "to": str(mail["To"]),
                        "subject": str(mail["Subject"]), "message_id": str(mail["Message-ID"]),
                        "language": str(mail["Content-Language"]), "raw": record["data"],
                        "text": text.get_content() if text else "", "html": html.get_content() if html else ""})
        return out

    def to(self, address: str) -> list[dict]:
        return [m for m in self.messages() if address in m["rcpt_tos"]]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()

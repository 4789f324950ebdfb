"""The demo stack's recording SMS gateway (and social reply hook): a real HTTP server on loopback.

    python deploy/local/sms_recorder.py --port 8787 --dir .run/local/sinks

Notification posts outgoing SMS to ``/sms`` (``{to, text, sender, reference}``), public replies to
social-media reporters to ``/social`` and direct messages to them (a draft's completion link) to
``/social/dm``; each request is answered 200 ``{"status": "accepted",
"id": n}`` and kept as one line in ``<dir>/sms.jsonl``, ``<dir>/social.jsonl`` or
``<dir>/social_dm.jsonl`` (``{"n", "at", "path", "body"}``). ``GET`` on each path lists what was kept (JSON);
a body that is not a JSON object is refused with 400. Nothing is sent to a phone. Started and
stopped by ``deploy/local/sinks.sh`` (by PID), as part of ``make run``.
"""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sink_args  # deploy/local, beside this script

PATHS = {"/sms": "sms.jsonl", "/social": "social.jsonl", "/social/dm": "social_dm.jsonl"}
MAX_BODY = 64 * 1024


class Recording:
    def __init__(self, folder: Path):
        self.folder, self.lock = folder, threading.Lock()
        self.count = sum(len(self.read(path)) for path in PATHS)

    def read(self, path: str) -> list[dict]:
        file = self.folder / PATHS[path]
        if not file.exists():
            return []
        return [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]

    def keep(self, path: str, body: dict) -> int:
        with self.lock:
            self.count += 1
            line = {"n": self.count, "at": datetime.now(timezone.utc).isoformat(), "path": path, "body": body}
            with open(self.folder / PATHS[path], "a", encoding="utf-8") as handle:
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            return self.count


def handler_for(recording: Recording):
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, code: str, message: str) -> None:
            self._answer(status, {"errors": [{"field": None, "code": code, "message": message}]})

        def do_GET(self):  # noqa: N802 (http.server's naming)
            if self.path not in PATHS:
                return self._error(404, "not_found", "Use /sms, /social or /social/dm.")
            self._answer(200, {"items": recording.read(self.path)})

        def do_POST(self):  # noqa: N802
            if self.path not in PATHS:
                return self._error(404, "not_found", "Use /sms, /social or /social/dm.")
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self._error(413, "too_large", "Body too large.")
            try:
                body = json.loads(self.rfile.read(length) or b"null")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return self._error(400, "invalid", "The body must be a JSON object.")
            self._answer(200, {"status": "accepted", "id": recording.keep(self.path, body)})

        def log_message(self, *args):  # quiet: the recording is the log
            pass
    return Handler


def main() -> None:
    args = sink_args.parse(__doc__.splitlines()[0])
    server = ThreadingHTTPServer((args.host, args.port), handler_for(Recording(args.dir)))
    print(f"sms recorder: http://{args.host}:{args.port}/sms, /social and /social/dm, kept in {args.dir}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

"""A small recording HTTP server (SMS gateway, social reply hook, webhook receiver) for tests.

Runs as an eventlet WSGI server in the test process.  Records every request (path, headers,
raw body, JSON) and answers 200, or the status it was told to fail with for the next N requests
(``fail(times, status)``; ``times=None`` fails until ``recover()``).
"""
from __future__ import annotations

import json

import eventlet
import eventlet.wsgi


class Recorder:
    def __init__(self):
        self.requests: list[dict] = []
        self._failures: int | None = 0
        self._status = 503
        self._body = b'{"error": "told to fail"}'
        self._socket = eventlet.listen(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = eventlet.spawn(eventlet.wsgi.server, self._socket, self._app, log_output=False,
                                      log=_Quiet())

    def fail(self, times: int | None = None, status: int = 503, body: bytes | None = None) -> None:
        self._failures, self._status = times, status
        if body is not None:
            self._body = body

    def recover(self) -> None:
        self._failures = 0

    def received(self, path: str | None = None) -> list[dict]:
        return [r for r in self.requests if path is None or r["path"] == path]

    def ok(self, path: str | None = None) -> list[dict]:
        return [r for r in self.received(path) if r["status"] < 300]

    def _app(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        failing = self._failures is None or self._failures > 0
        if failing and self._failures is not None:
            self._failures -= 1
        status = self._status if failing else 200
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        self.requests.append({"path": environ["PATH_INFO"], "headers": headers, "body": body, "json": parsed,
                              "status": status, "method": environ["REQUEST_METHOD"]})
        start_response(f"{status} {'OK' if status < 300 else 'Failing'}", [("Content-Type", "application/json")])
        return [b'{"accepted": true}' if status < 300 else self._body]

    def stop(self) -> None:
        self._thread.kill()
        self._socket.close()


class _Quiet:
    def write(self, *_):
        pass

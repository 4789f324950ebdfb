"""A TCP forwarder in a process of its own, to put a real server out of reach and back.

``cut()`` ends the process (every connection drops, new ones are refused, as a crashed or
partitioned server looks to a client); ``restore()`` starts it again on the same port. With
``delay`` every chunk a client sends reaches the server that many seconds later (a server far away,
or a slow one: each round trip takes at least ``delay``).
Run as ``python tcp_proxy.py LISTEN_PORT TARGET_HOST TARGET_PORT [DELAY]`` (threads, no eventlet).
"""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, delay: float = 0.0):
        self.target, self.delay = (target_host, target_port), delay
        from tests.ports import free_port  # here: the proxy's own process (run as a script) needs no tests package
        self.port = free_port()
        self._process: subprocess.Popen | None = None
        self.restore()

    def restore(self) -> None:
        if self._process is not None:
            return
        self._process = subprocess.Popen([sys.executable, __file__, str(self.port), *map(str, self.target), str(self.delay)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("tcp proxy did not start")

    def cut(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(10)
            self._process = None

    def stop(self) -> None:
        self.cut()


def _pipe(source: socket.socket, sink: socket.socket, delay: float = 0.0) -> None:
    try:
        while data := source.recv(65536):
            if delay:
                time.sleep(delay)
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _serve(port: int, host: str, target_port: int, delay: float) -> None:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    while True:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection((host, target_port))
        except OSError:
            client.close()
            continue
        for a, b, wait in ((client, upstream, delay), (upstream, client, 0.0)):
            threading.Thread(target=_pipe, args=(a, b, wait), daemon=True).start()


if __name__ == "__main__":
    _serve(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) > 4 else 0.0)

"""Ports for the servers a test starts on its own (a service container's HTTP port, an SMTP sink, a
TCP proxy), from a block of this process's own outside the kernel's ephemeral range.

A port the kernel picks (a probe bound to port 0, closed, the server bound later) is taken from the
range that every outgoing connection on the machine takes its local port from, so between the probe
and the server's bind another connection may take it: the server then fails with "Address already
in use" (ci, session 12: an integration test's service container). Outgoing connections never take a
port below the ephemeral range, and each test process (a lane of tests/run.sh, by its
LAPOR_TEST_PORT_OFFSET) takes its ports from a block no other lane uses.
"""
from __future__ import annotations

import itertools
import os
import socket

# 16400 .. 25399: above contract.localstack's RabbitMQ ranges (.. 16399), below its distribution and
# store ranges (25682 ..) and the kernel's ephemeral range (32768 .. on Debian)
BLOCK_BASE, BLOCK_SIZE, BLOCKS = 16400, 90, 100
OFFSET = int(os.environ.get("LAPOR_TEST_PORT_OFFSET", "10"))  # this test process's (tests/run.sh: its lane's)
_turn = itertools.count()


def ephemeral_range() -> tuple[int, int]:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as handle:
            low, high = (int(v) for v in handle.read().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def block(offset: int = OFFSET) -> range:
    """This process's ports: a block chosen by its test port offset (offsets equal modulo 100 share one)."""
    start = BLOCK_BASE + (offset % BLOCKS) * BLOCK_SIZE
    return range(start, start + BLOCK_SIZE)


def free_port(offset: int = OFFSET) -> int:
    """The next port of this process's block that nothing is bound to (in turn, so that two ports
    asked for before either server binds differ)."""
    ports = block(offset)
    for _ in range(len(ports)):
        port = ports[next(_turn) % len(ports)]
        with socket.socket() as probe:  # no SO_REUSEADDR: a port still in TIME_WAIT is passed over too
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port in {ports.start}..{ports.stop - 1}: {len(ports)} servers of this "
                       "test process still listen")

"""The ports tests give their own servers (tests/ports.py): never from the range outgoing connections
take theirs from, never one a server of this process is bound to, and each lane's block its own."""
import socket

from contract import localstack
from tests import ports
from tests.conftest import free_port


def test_a_test_port_is_outside_the_ephemeral_range_and_the_local_stacks_ranges():
    low, high = ports.ephemeral_range()
    taken = [range(int(base), int(base) + localstack.MAX_OFFSET + 1) for base in localstack.PORT_BASES.values()]
    taken.append(range(localstack.HTTP_BASE, localstack.HTTP_BASE + localstack.HTTP_STEP * (localstack.MAX_OFFSET + 1)))
    for _ in range(3 * ports.BLOCK_SIZE):
        port = free_port()
        assert not low <= port <= high, f"{port} is in the ephemeral range {low}..{high}"
        assert not any(port in r for r in taken), port
    for offset in range(ports.BLOCKS):
        assert ports.block(offset).stop <= low and not any(
            set(ports.block(offset)) & set(r) for r in taken), offset


def test_a_port_a_server_listens_on_is_passed_over_and_two_ports_asked_in_a_row_differ():
    held = []
    try:
        first = free_port()
        for port in ports.block():  # every port of the block but one bound, as running servers would
            if port == first:
                continue
            server = socket.socket()
            try:
                server.bind(("127.0.0.1", port))
            except OSError:
                server.close()
                continue
            server.listen()
            held.append(server)
        assert {free_port() for _ in range(3)} == {first}
        assert free_port() not in {s.getsockname()[1] for s in held}
    finally:
        for server in held:
            server.close()
    assert free_port() != free_port()


def test_the_lanes_blocks_are_apart():
    lanes = [ports.block(10 + step) for step in (0, 2, 3, 6, 7)]  # tests/run.sh's lanes
    assert all(not set(a) & set(b) for i, a in enumerate(lanes) for b in lanes[i + 1:])

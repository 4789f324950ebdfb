"""The local stack's ports per offset and its generated broker credentials."""
import os
import stat

import pytest

from contract import localstack

OFFSETS = [*range(0, 121, 10), 200, 210, 220]
HTTP_PORTS_PER_STACK = 10  # front door + five services, with room to spare


def _all_ports(offset: int) -> set[int]:
    values = localstack.ports(offset)
    http = int(values.pop("LAPOR_HTTP_PORT"))
    return {int(port) for port in values.values()} | set(range(http, http + HTTP_PORTS_PER_STACK))


def test_no_two_offsets_share_a_port():
    seen: dict[int, int] = {}
    # the offsets in use, and each one + 1 (the test suite's second, stoppable broker)
    for offset in OFFSETS + [offset + 1 for offset in OFFSETS]:
        for port in _all_ports(offset):
            assert port not in seen, f"port {port} of offset {offset} is also used by offset {seen[port]}"
            seen[port] = offset


def test_offset_100_no_longer_takes_offset_0s_prometheus_port():
    assert localstack.ports(100)["LAPOR_RABBIT_MGMT_PORT"] not in set(localstack.ports(0).values())


def test_out_of_range_offset_is_refused():
    with pytest.raises(ValueError):
        localstack.ports(localstack.MAX_OFFSET + 1)


def test_credentials_generated_once_private_and_in_the_uris(tmp_path):
    first = localstack.credentials(tmp_path)
    assert first == localstack.credentials(tmp_path)
    assert first["user"] != "guest" and len(first["password"]) >= 32
    path = tmp_path / localstack.CREDENTIALS_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert localstack.amqp_uri(tmp_path, 5682) == f"amqp://{first['user']}:{first['password']}@127.0.0.1:5682/"
    assert localstack.credentials(tmp_path / "other") != first
    with pytest.raises(FileNotFoundError):
        localstack.credentials(tmp_path / "missing", create=False)

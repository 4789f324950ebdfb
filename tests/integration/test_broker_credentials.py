"""The local broker refuses RabbitMQ's default guest/guest (issue 13: its management API accepted it,
and a queue bound to nameko-rpc with '#' could capture reporter_contact replies): the run folder's
generated user is the only way in, on AMQP and on the loopback-bound management API."""
import socket

import pytest
import requests
from kombu import Connection

from contract import localstack


def test_guest_is_refused_and_the_generated_user_is_accepted(servers):
    env = servers["env"]
    management = f"http://127.0.0.1:{env['LAPOR_RABBIT_MGMT_PORT']}/api/whoami"
    assert requests.get(management, auth=("guest", "guest"), timeout=10).status_code == 401
    ours = localstack.credentials(env["LAPOR_RUN_DIR"], create=False)
    assert requests.get(management, auth=(ours["user"], ours["password"]), timeout=10).json()["name"] == ours["user"]
    with pytest.raises(Exception) as refused:
        with Connection(f"amqp://guest:guest@127.0.0.1:{env['LAPOR_AMQP_PORT']}//", connect_timeout=5) as conn:
            conn.connect()
    assert "ACCESS_REFUSED" in str(refused.value) or "403" in str(refused.value), refused.value
    with Connection(servers["amqp_uri"].replace("pyamqp://", "amqp://"), connect_timeout=5) as conn:
        conn.connect()
        assert conn.connected


def _outward_address() -> str | None:
    """This machine's address on its network (no packet is sent), or None without one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_management_and_amqp_listen_on_loopback_only(servers):
    address = _outward_address()
    if address is None:
        pytest.skip("no network address besides loopback on this machine")
    env = servers["env"]
    for port in (env["LAPOR_RABBIT_MGMT_PORT"], env["LAPOR_AMQP_PORT"]):
        with pytest.raises(OSError):
            socket.create_connection((address, int(port)), timeout=3).close()
        socket.create_connection(("127.0.0.1", int(port)), timeout=3).close()

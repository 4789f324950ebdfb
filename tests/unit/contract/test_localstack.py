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


def _stack_env(offset: int, **extra: str) -> dict:
    return {"LAPOR_RUN_DIR": "/nonexistent", **localstack.ports(offset), **extra}


def test_a_store_per_service_by_default_each_on_its_own_port():
    env = _stack_env(44)
    uris = localstack.store_uris(env)
    ports = {service: uri.split("//", 1)[1].split("/", 1)[0] for service, uri in uris.items()}
    assert set(ports) == {"intake", "routing", "followup", "notification", "assessment"}
    assert len(set(ports.values())) == 5
    assert f"127.0.0.1:{env['LAPOR_STORE_PORT']}" not in ports.values()
    assert ports["routing"] == f"127.0.0.1:{env['LAPOR_STORE_PORT_ROUTING']}"
    assert localstack.env_uris(env)["stores"] == uris


def test_one_store_for_all_when_asked():
    env = _stack_env(44, LAPOR_STORE_PER_SERVICE="0")
    assert set(localstack.store_uris(env).values()) == {localstack.env_uris(env)["mongodb"]}


def test_per_service_ports_follow_the_store_port_when_not_set():
    env = {"LAPOR_STORE_PORT": "30000"}
    assert localstack.store_port(env, "intake") == "30300"
    assert localstack.store_port(env, "assessment") == "31500"
    assert localstack.store_port(env) == "30000"


def test_a_bad_mode_or_service_is_refused():
    with pytest.raises(ValueError, match="LAPOR_STORE_PER_SERVICE"):
        localstack.store_uri(_stack_env(44, LAPOR_STORE_PER_SERVICE="yes"), "intake")
    with pytest.raises(ValueError, match="no store for 'billing'"):
        localstack.store_uri(_stack_env(44), "billing")


@pytest.mark.parametrize("mode", ["0", "1"])
def test_the_shell_scripts_find_the_same_store_as_python(mode):
    """deploy/local/env.sh's store_uri (services.sh, cli.sh, stack.sh, hubs.sh) says what
    contract.localstack.store_uri says (tests, benches), for an offset's ports and for env.sh's defaults."""
    import subprocess
    from pathlib import Path

    env_sh = Path(__file__).resolve().parents[3] / "deploy" / "local" / "env.sh"
    for env in (_stack_env(44, LAPOR_STORE_PER_SERVICE=mode), {"LAPOR_STORE_PER_SERVICE": mode}):
        script = f". {env_sh}; " + "; ".join(f"store_uri {s}" for s in localstack.STORE_SERVICES)
        out = subprocess.run(["bash", "-c", script], env={"PATH": os.environ["PATH"], "LAPOR_WEB_SECRET": "x", **env},
                             check=True, capture_output=True, text=True).stdout.split()
        assert out == [localstack.store_uri(env, s) for s in localstack.STORE_SERVICES]


def test_each_service_user_is_the_one_brokeracl_gives_permissions_to(tmp_path):
    from contract import brokeracl

    users = {service: creds["user"] for service, creds in localstack.service_credentials(tmp_path).items()}
    assert users == {service: brokeracl.user(service) for service in brokeracl.SERVICES}


def test_a_services_amqp_uri_is_written_without_importing_nameko(tmp_path):
    """deploy/local/services.sh runs ``localstack service-uri`` for each of the five services at every
    stack start: importing nameko and eventlet there cost ~0.5 CPU-s a call."""
    import subprocess
    import sys

    code = ("import sys; from contract import localstack; localstack.main(sys.argv[1:]); "
            "assert 'nameko' not in sys.modules and 'eventlet' not in sys.modules, 'nameko imported'")
    answer = subprocess.run([sys.executable, "-c", code, "service-uri", str(tmp_path), "intake", "5682"],
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert answer.returncode == 0, answer.stderr[-500:]
    assert answer.stdout.startswith("amqp://lapor-intake:") and answer.stdout.strip().endswith("@127.0.0.1:5682/")

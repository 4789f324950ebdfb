"""Root conftest: eventlet first, then the real servers the tests need.

RabbitMQ and the store are started once per session by the project's own scripts
(deploy/local/*.sh) on test ports and a test run folder, and stopped at the end. Set
LAPOR_TEST_KEEP_SERVERS=1 to leave them running between runs while developing, and
LAPOR_TEST_PORT_OFFSET to move every test port (several checkouts on one machine).
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402  (must precede every other import)

import os  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from contract import localstack  # noqa: E402
from tests.ports import OFFSET, free_port  # noqa: E402,F401  (the tests import free_port from here)

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / "deploy" / "local"


# The shared stacks of the suite (the e2e stack, the hub stacks) answer a report's submission within
# 10 s rather than production's 1.5 s (intake's group-commit deadline, the front door's): a loaded CI
# machine must not turn behaviour tests into 503s. tests/e2e/test_frontdoor_faults.py keeps the defaults.
PATIENT_FRONT_DOOR = {"INTAKE_GROUP_COMMIT_DEADLINE_SECONDS": "10", "LAPOR_FRONTDOOR_REPORTS_TIMEOUT": "10s"}

# The suite's stacks keep one store process for the five services' databases (LAPOR_STORE_PER_SERVICE=0;
# `make run`, the demo hubs and the benches run one per service): five take ~5x the memory of one on
# the 2-core CI machine that runs up to eight stacks at once (README, "Configuration"). A store per
# service is tested on the e2e lane's stack, which runs one per service (tests/e2e/conftest.py, test_store_per_service.py).
ONE_STORE = {"LAPOR_STORE_PER_SERVICE": "0"}


def server_env(name: str = "test", offset: int = OFFSET) -> dict:
    """Environment for deploy/local scripts: a run folder and ports of its own (no two offsets
    share a port: contract.localstack.ports)."""
    return {
        **os.environ,
        "PYTHONWARNINGS": "ignore",
        "LAPOR_RUN_DIR": str(ROOT / ".run" / f"{name}-{offset}"),
        **localstack.ports(offset),
        "LAPOR_RABBIT_NODE": f"lapor{name.replace('-', '')}{offset}@localhost",
        **ONE_STORE,
    }


def server_uris(env: dict) -> dict:
    """AMQP, management and store URIs of a deploy/local environment (generated credentials)."""
    return localstack.env_uris(env)


def run_script(script: str, action: str, env: dict, *args: str) -> None:
    subprocess.run([str(LOCAL / script), action, *args], env=env, check=True, timeout=180,
                   stdout=subprocess.DEVNULL if action == "status" else None)


TEST_DATABASE = re.compile(r"^t[0-9a-f]{10}_")


def drop_test_databases(uri: str) -> None:
    """Drop the per-test databases an earlier session left.

    Done once at session start, never while service containers run: SecantusDB 0.7.0b3 can stall
    when a database is dropped under an open transaction (README, Known issues).
    """
    from contract.store import acquire_client, release_client
    client = acquire_client(uri)
    try:
        for name in client.list_database_names():
            if TEST_DATABASE.match(name):
                client.drop_database(name)
    finally:
        release_client(uri)


@pytest.fixture(scope="session")
def servers():
    """The real RabbitMQ and the real store, started for this test session."""
    env = server_env()
    run_script("rabbitmq.sh", "start", env)
    run_script("store.sh", "start", env)
    drop_test_databases(server_uris(env)["mongodb"])
    uris = server_uris(env)
    yield {"env": env, "amqp_uri": uris["amqp"], "api_uri": uris["api"], "mongodb_uri": uris["mongodb"]}
    if not os.environ.get("LAPOR_TEST_KEEP_SERVERS"):
        run_script("store.sh", "stop", env)
        run_script("rabbitmq.sh", "stop", env)


def pytest_configure(config):
    env = server_env()
    # nameko's pytest plugin creates one vhost per test through these two URIs (the credentials
    # file is created here if the run folder is new; rabbitmq.sh then uses the same one).
    config.option.RABBIT_AMQP_URI = localstack.amqp_uri(env["LAPOR_RUN_DIR"], env["LAPOR_AMQP_PORT"], scheme="pyamqp")
    config.option.RABBIT_API_URI = localstack.api_uri(env["LAPOR_RUN_DIR"], env["LAPOR_RABBIT_MGMT_PORT"])
    config.option.suppress_eventlet_notification = True


def pytest_unconfigure(config):
    """Close the log handlers now and forget their weak references, so that none is collected during
    the interpreter's exit: logging's clean-up callback then takes a lock whose (monkey-patched) threading
    module is half torn down, and Python prints an ignored TypeError after every run."""
    import logging
    logging.shutdown()
    del logging._handlerList[:]


@pytest.fixture
def rabbit_config(servers, rabbit_config):
    """nameko's per-test vhost, once the session's broker is up."""
    yield rabbit_config


@pytest.fixture
def mongo_client(servers):
    from contract.store import acquire_client, release_client
    client = acquire_client(servers["mongodb_uri"])
    yield client
    release_client(servers["mongodb_uri"])


@pytest.fixture
def service_config(servers, rabbit_config):
    """Config for service containers: per-test vhost and per-test databases (dropped at the
    start of the next session, see drop_test_databases)."""
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    config = {
        **rabbit_config,
        "MONGODB_URI": servers["mongodb_uri"],
        "MONGODB_DATABASE_PREFIX": prefix,
        "HUB_CODE": "ID",
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}",
        "SLA_VERIFICATION_WORKING_DAYS": 3,
        "SLA_FOLLOW_UP_WORKING_DAYS": 5,
    }
    yield config

"""The front door through a crash of RabbitMQ, and of the store (issue 22).

During a burst of 10 reports/s (POST /reports through nginx), the broker's (then the store's)
process is killed with ``kill -9`` 2 s in and started again by its script 2 s later, as a supervisor
would (the load goes on 4 s past the restart, and until a report is accepted); no service is
touched. Every request is answered within 2 s, with 201 or with 503 and ``Retry-After`` (nothing
else, no timeout); the services recover by themselves (reports accepted
after the restart are routed); every 201 is routed exactly once (one routing decision, one case,
one ``dispositioned`` step per tracking ID, counted in the store once the services have drained).
The scenario and its figures are ``bench/frontdoor_faults.py``'s. Answer times are asserted as
the front door timed them (nginx's ``$request_time``); the client's own figure, printed too, also
holds the load generator's delays, which on a starved shared machine (load 30-50 on 2 cores) reach
seconds by themselves.

A stack of its own (deploy/local scripts: RabbitMQ, store, sinks, services, demo region, nginx) on
port offset ``LAPOR_TEST_FAULTS_OFFSET`` (default LAPOR_TEST_PORT_OFFSET + 2), fresh each session.
"""
import functools
import os
import shutil
import signal
from pathlib import Path

import eventlet
import pytest

from bench import frontdoor_faults as faults
from tests.conftest import OFFSET, server_env

pytestmark = pytest.mark.e2e

FAULTS_OFFSET = int(os.environ.get("LAPOR_TEST_FAULTS_OFFSET", OFFSET + 2))


# The phases of each burst (bench/frontdoor_faults.py's defaults are 4, 4 and 8 s): 20 requests before
# the kill, the outage itself (2 s plus the time the process takes to start again: the broker's boot
# is ~10 s on an idle machine), 40 requests after the restart (and on until one is accepted).
PHASES = {"before": 2.0, "down": 2.0, "after": 4.0}


def together(*steps):
    """Run ``(script, action)`` steps at once (independent parts of the stack); raise the first error."""
    pool = eventlet.GreenPool()
    threads = [pool.spawn(*step) for step in steps]
    for thread in threads:
        thread.wait()


def kill_9_servers(env: dict) -> None:
    """The stack is thrown away: its services, store and broker are killed at once (by the pids their
    scripts wrote), rather than each stop script giving them up to 10 s to end gracefully."""
    run_dir = Path(env["LAPOR_RUN_DIR"])
    for pid_file in (*sorted((run_dir / "services").glob("*.pid")), *(run_dir / f for f in faults.PID_FILES.values())):
        try:
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        except (OSError, ValueError):  # not started, or gone already
            pass


@pytest.fixture(scope="module")
def faults_stack():
    """bench/frontdoor_faults.py's stack, its independent parts started (and stopped) at once."""
    env = server_env("faults", offset=FAULTS_OFFSET)
    run = functools.partial(faults.script, env=env)
    stop = functools.partial(faults.stop_stack, env)
    stop()
    shutil.rmtree(Path(env["LAPOR_RUN_DIR"]), ignore_errors=True)
    try:
        together((run, "rabbitmq.sh", "start"), (run, "store.sh", "start"), (run, "sinks.sh", "start"))
        together((run, "services.sh", "start"), (run, "frontdoor.sh", "start"))
        faults.import_region(env)  # once the services' queues are there: its registry_updated reaches them
        yield env
    finally:
        kill_9_servers(env)
        together((run, "frontdoor.sh", "stop"), (run, "services.sh", "stop"), (run, "sinks.sh", "stop"))
        together((run, "store.sh", "stop"), (run, "rabbitmq.sh", "stop"))


def assert_survived(result: dict) -> None:
    print(faults.describe(result))
    assert result["statuses"][201] > 0
    assert result["no_answer"] == [], "requests without an answer"
    assert result["odd"] == [], "answers other than 201 or 503"
    assert result["503_without_retry_after"] == 0
    assert result["door_answers"] == result["requests"]
    assert result["door_slow"] == [], "answers after more than 2 s"
    assert result["accepted_after_restart"] > 0, "nothing accepted after the restart"
    assert result["lost"] == [], "accepted (201) but never routed"
    assert result["duplicated"] == [], "routed more than once"
    assert result["services_restarted"] == []


def test_kill_9_of_rabbitmq_during_a_burst(faults_stack):
    assert_survived(faults.run_fault(faults_stack, "rabbitmq", **PHASES))


def test_kill_9_of_the_store_during_a_burst(faults_stack):
    assert_survived(faults.run_fault(faults_stack, "store", **PHASES))

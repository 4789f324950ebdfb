"""The front door answers a report's submission within 2 s, whatever intake does (issue 22).

With intake starved or waiting for a dead store, nginx waited for it up to its 60 s default and the
client timed out. ``POST /reports`` now has a deadline at the front door (``nginx_conf.DEADLINES``):
past it the client gets the documented 503 with ``Retry-After`` ("may or may not be recorded:
resend with the same Idempotency-Key"). Here intake is a socket that takes the request and never
answers.
"""
import os
import socket
import subprocess
import time

import pytest
import requests

from tests.conftest import LOCAL, ROOT, free_port


@pytest.fixture
def front_door_of_a_silent_intake():
    for _ in range(20):
        port = free_port()
        silent = socket.socket()
        try:
            silent.bind(("127.0.0.1", port + 1))  # intake's port: connections are taken, never answered
            break
        except OSError:
            silent.close()
    silent.listen(64)
    env = {**os.environ, "LAPOR_RUN_DIR": str(ROOT / ".run" / f"frontdoor-deadline-{port}"), "LAPOR_HTTP_PORT": str(port)}
    subprocess.run([str(LOCAL / "frontdoor.sh"), "start"], env=env, check=True, timeout=60, stdout=subprocess.DEVNULL)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run([str(LOCAL / "frontdoor.sh"), "stop"], env=env, check=True, timeout=60,
                       stdout=subprocess.DEVNULL)
        silent.close()


def test_a_submission_intake_does_not_answer_is_a_503_with_retry_after_within_2_seconds(
        front_door_of_a_silent_intake):
    started = time.monotonic()
    answer = requests.post(f"{front_door_of_a_silent_intake}/reports", json={"title": "x"}, timeout=10,
                           headers={"Idempotency-Key": "deadline-1"})
    took = time.monotonic() - started
    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) > 0
    item = answer.json()["errors"][0]
    assert item["code"] == "unavailable" and "Idempotency-Key" in item["message"] and item["message_id"]
    assert took < 2.0, f"answered after {took:.1f} s"

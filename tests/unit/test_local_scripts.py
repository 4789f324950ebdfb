"""The local scripts an operator runs (issue 13): the demo sinks record what is sent, `make logs`
reads the run folder it is given, deploy/local/cli.sh runs a service's CLI as the README says."""
import json
import os
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / "deploy" / "local"


def wait_listening(port: int, process: subprocess.Popen) -> None:
    import socket
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else "exited"
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture
def sink(tmp_path):
    started = []

    def start(script: str) -> int:
        port = free_port()
        process = subprocess.Popen([sys.executable, str(LOCAL / script), "--port", str(port), "--dir", str(tmp_path)],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(process)
        wait_listening(port, process)
        return port
    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def test_the_mail_catcher_keeps_every_message(sink, tmp_path):
    port = sink("mail_catcher.py")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "no-reply@lapor.example", "made@example.com", "Laporan ID-1"
    message.set_content("Terima kasih, laporan Anda telah kami terima.")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(message)
    index = [json.loads(line) for line in (tmp_path / "index.jsonl").read_text().splitlines()]
    assert [(m["to"], m["subject"]) for m in index] == [(["made@example.com"], "Laporan ID-1")]
    assert "laporan Anda telah kami terima" in (tmp_path / index[0]["file"]).read_text()


def test_the_sms_recorder_keeps_every_message_and_lists_them(sink, tmp_path):
    port = sink("sms_recorder.py")
    sms = {"to": "+6281200000001", "text": "LAPOR! Laporan diterima.", "sender": "1708", "reference": "n1"}
    answer = requests.post(f"http://127.0.0.1:{port}/sms", json=sms, timeout=5)
    assert answer.status_code == 200 and answer.json()["status"] == "accepted"
    assert requests.post(f"http://127.0.0.1:{port}/sms", data="not json", timeout=5).status_code == 400
    assert requests.post(f"http://127.0.0.1:{port}/elsewhere", json=sms, timeout=5).status_code == 404
    assert [i["body"] for i in requests.get(f"http://127.0.0.1:{port}/sms", timeout=5).json()["items"]] == [sms]
    assert json.loads((tmp_path / "sms.jsonl").read_text())["body"] == sms


def test_make_logs_reads_the_run_folder_it_is_given(tmp_path):
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "routing.log").write_text("routing started on the other run folder\n")
    done = subprocess.run(["make", "-s", "logs"], cwd=ROOT, capture_output=True, text=True, timeout=30,
                          env={**os.environ, "LAPOR_RUN_DIR": str(tmp_path)})
    assert "routing started on the other run folder" in done.stdout, done.stdout + done.stderr


def test_the_cli_wrapper_runs_a_service_cli_with_its_path_and_config():
    done = subprocess.run([str(LOCAL / "cli.sh"), "routing", "--help"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": ""})
    assert done.returncode == 0 and "import" in done.stdout, done.stderr
    assert subprocess.run([str(LOCAL / "cli.sh"), "nowhere"], capture_output=True, timeout=10).returncode == 2


def test_a_service_of_the_cluster_stack_gets_a_failover_uri_to_every_node(tmp_path):
    """deploy/local/cluster.sh (issue 22): services.sh hands each service one URI per node, joined by ';'
    (kombu's failover alternates), all with the service's own user; nodes take consecutive offsets' ports."""
    from kombu import Connection

    from contract import localstack
    nodes = localstack.cluster_node_ports(240)
    ports = ",".join(n["LAPOR_AMQP_PORT"] for n in nodes)
    uri = localstack.service_amqp_uri(tmp_path, "routing", ports)
    connection = Connection(uri)
    assert [Connection(alt).port for alt in connection.alt] == [int(n["LAPOR_AMQP_PORT"]) for n in nodes]
    assert {Connection(alt).userid for alt in connection.alt} == {"lapor-routing"}
    assert localstack.service_amqp_uri(tmp_path, "routing", 5682).count(";") == 0  # one node: as before
    assert len({n["LAPOR_EPMD_PORT"] for n in nodes}) == 1  # one epmd for the three nodes
    for key in ("LAPOR_AMQP_PORT", "LAPOR_RABBIT_DIST_PORT", "LAPOR_RABBIT_MGMT_PORT", "LAPOR_RABBIT_PROM_PORT"):
        assert len({n[key] for n in nodes}) == 3 and nodes[1][key] == localstack.ports(241)[key]


def test_the_cluster_script_says_how_to_use_it(tmp_path):
    assert subprocess.run(["bash", "-n", str(LOCAL / "cluster.sh")], timeout=10).returncode == 0
    done = subprocess.run([str(LOCAL / "cluster.sh"), "kill", "7"], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "LAPOR_CLUSTER_RUN_DIR": str(tmp_path)})
    assert done.returncode == 2 and "1..3" in done.stderr

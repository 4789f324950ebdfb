"""The deployment files parse and agree with the local stack they mirror."""
import functools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def load_all(path):
    return [doc for doc in yaml.load_all(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) if doc]


MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))


def test_kubernetes_manifests_parse_and_name_their_kind():
    assert len(MANIFESTS) >= 5, f"expected the Kubernetes manifests in {DEPLOY / 'kubernetes'}"
    kinds = set()
    for path in MANIFESTS:
        docs = load_all(path)
        assert docs, f"{path.name} holds no manifest"
        for doc in docs:
            assert doc["apiVersion"] and doc["kind"] and doc["metadata"]["name"], path
            kinds.add(doc["kind"])
    assert {"Deployment", "StatefulSet", "Service", "Ingress", "ConfigMap"} <= kinds


def test_ingress_sends_everything_to_the_front_door_which_covers_every_route():
    routes = {(line.split()[0], line.split()[1]) for line in (DEPLOY / "local" / "routes.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")}
    ingress, = load_all(DEPLOY / "kubernetes" / "ingress.yaml")
    paths = [(p["path"], p["backend"]["service"]["name"]) for p in ingress["spec"]["rules"][0]["http"]["paths"]]
    assert paths == [("/", "frontdoor")]
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == "25m"
    locations = set(re.findall(r"location (?:\^~|=) (\S+) \{ proxy_pass http://(\w+):80; \}", frontdoor_conf()))
    assert locations == routes


def test_prometheus_scrapes_every_service_and_its_rules_parse():
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert {f"lapor-{s}" for s in ("intake", "routing", "followup", "notification", "assessment")} <= jobs
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    assert all(rule["expr"] and rule["alert"] for group in rules["groups"] for rule in group["rules"])


# --- Kubernetes: schema-valid, and a hub that survives losing a node (issue 13) ---------------
# validated offline against the Kubernetes JSON schemas that kubernetes-validate ships, strictly
# (an unknown or misspelt field fails), for an older and the newest supported Kubernetes
K8S_VERSIONS = ("1.29.0", "1.37.0")


def all_docs():
    return [(path.name, doc) for path in MANIFESTS for doc in load_all(path)]


def test_every_kubernetes_manifest_is_valid_against_the_kubernetes_schemas(monkeypatch):
    import kubernetes_validate
    from kubernetes_validate import utils

    # each validate() reads its schema and the whole _definitions.json again: read each once here
    monkeypatch.setattr(utils, "schema_contents", functools.lru_cache(maxsize=None)(utils.schema_contents))

    problems = []
    for name, doc in all_docs():
        for version in K8S_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                problems.append(f"{name} {doc['kind']}/{doc['metadata']['name']} (k8s {version}): {exc.message}")
    assert not problems, "\n".join(problems)


def test_the_validator_refuses_a_broken_manifest():
    import kubernetes_validate
    import pytest

    deployment = next(doc for _, doc in all_docs() if doc["kind"] == "Deployment")
    for broken in ({**deployment, "spec": {**deployment["spec"], "replicas": "two"}},
                   {**deployment, "spec": {**deployment["spec"], "replikas": 2}}):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, K8S_VERSIONS[-1], strict=True)


def by_kind(kind):
    return {doc["metadata"]["name"]: doc for _, doc in all_docs() if doc["kind"] == kind}


def test_every_service_runs_two_replicas_with_health_probes_and_a_disruption_budget():
    deployments, budgets = by_kind("Deployment"), by_kind("PodDisruptionBudget")
    assert set(deployments) == {"intake", "routing", "followup", "notification", "assessment", "frontdoor"}
    for name, deployment in deployments.items():
        assert deployment["spec"]["replicas"] >= 2, name
        container, = deployment["spec"]["template"]["spec"]["containers"]
        for probe in ("readinessProbe", "livenessProbe"):  # the front door's own answer, not a service's
            assert container[probe]["httpGet"]["path"] == ("/api" if name == "frontdoor" else "/health"), (name, probe)
        budget = budgets[name]
        assert budget["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
        assert budget["spec"]["minAvailable"] == 1


def test_rabbitmq_is_a_three_node_cluster_formed_by_kubernetes_peer_discovery():
    rabbit = by_kind("StatefulSet")["rabbitmq"]
    assert rabbit["spec"]["replicas"] == 3
    config = by_kind("ConfigMap")["rabbitmq-config"]["data"]
    assert "rabbitmq_peer_discovery_k8s" in config["enabled_plugins"]
    assert "cluster_formation.peer_discovery_backend = rabbit_peer_discovery_k8s" in config["rabbitmq.conf"]
    headless = by_kind("Service")[rabbit["spec"]["serviceName"]]
    assert headless["spec"]["clusterIP"] == "None" and headless["spec"]["publishNotReadyAddresses"] is True
    pod = rabbit["spec"]["template"]["spec"]
    rules = by_kind("Role")["rabbitmq-peer-discovery"]["rules"]
    assert pod["serviceAccountName"] == "rabbitmq" and any("endpoints" in r["resources"] for r in rules)
    container, = pod["containers"]
    assert {"readinessProbe", "livenessProbe"} <= set(container)
    assert by_kind("PodDisruptionBudget")["rabbitmq"]["spec"]["maxUnavailable"] == 1


def test_mongodb_stays_a_three_member_replica_set():
    mongo = by_kind("StatefulSet")["mongodb"]
    assert mongo["spec"]["replicas"] == 3
    assert "--replSet" in mongo["spec"]["template"]["spec"]["containers"][0]["args"]
    assert by_kind("PodDisruptionBudget")["mongodb"]["spec"]["maxUnavailable"] == 1


def test_every_service_logs_in_to_the_broker_as_its_own_user_and_intake_has_its_hub_key():
    from contract import brokeracl

    deployments = by_kind("Deployment")
    job = by_kind("Job")["rabbitmq-users"]["spec"]["template"]["spec"]["containers"][0]
    assert job["command"][2:4] == ["contract.brokeracl", "apply"]
    assert "--rpc-mirrors" in job["command"]  # nameko's RPC queues on every node: RPC survives a node's loss
    job_secrets = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in job["env"] if "valueFrom" in e}
    for name in brokeracl.SERVICES:
        container, = deployments[name]["spec"]["template"]["spec"]["containers"]
        amqp, = [e for e in container["env"] if e["name"] == "AMQP_URI"]
        assert amqp["valueFrom"]["secretKeyRef"] == {"name": f"lapor-broker-{name}", "key": "AMQP_URI"}
        assert job_secrets[f"LAPOR_RABBIT_{name.upper()}_PASSWORD"] == {"name": f"lapor-broker-{name}", "key": "password"}
    assert by_kind("ConfigMap")["lapor-config"]["data"]["LAPOR_DECLARE_EVENT_EXCHANGES"] == "false"
    intake = deployments["intake"]["spec"]["template"]["spec"]
    key_file = {e["name"]: e.get("value") for e in intake["containers"][0]["env"]}["LAPOR_HUB_KEY_FILE"]
    mount, = intake["containers"][0]["volumeMounts"]
    volume, = [v for v in intake["volumes"] if v["name"] == mount["name"]]
    assert key_file.startswith(mount["mountPath"] + "/") and volume["secret"]["secretName"] == "lapor-hub-key"


# --- the front door answers its own errors in the API's format on Kubernetes too (issue 13) -----
sys.path.insert(0, str(DEPLOY / "local"))
sys.path.insert(0, str(DEPLOY / "kubernetes"))


def frontdoor_conf() -> str:
    return by_kind("ConfigMap")["frontdoor-nginx"]["data"]["nginx.conf.template"]


def server_lines(conf: str, upstreams: dict, root: str) -> list[str]:
    """The server block's lines with the deployment's particulars (addresses, paths) named alike."""
    block = conf[conf.index("server {"):]
    out = []
    for line in block.splitlines()[1:]:
        line = line.strip()
        if line.startswith(("listen ", "set_real_ip_from", "real_ip_")) or line == "}":
            continue
        for address, service in upstreams.items():
            line = line.replace(f"http://{address};", f"http://{service};")
        out.append(line.replace(root, "ROOT").replace("${LAPOR_HUB_CODE}", "HUB"))
    return out


def test_the_kubernetes_front_door_is_the_local_nginx_configuration():
    import frontdoor
    import generate  # noqa: F401  (the generator imports)
    import nginx_conf

    assert (DEPLOY / "kubernetes" / "frontdoor.yaml").read_text() == frontdoor.manifests(), \
        "run python deploy/kubernetes/generate.py"
    assert (DEPLOY / "kubernetes" / "ingress.yaml").read_text() == frontdoor.ingress()
    local_conf = nginx_conf.local("/run/lapor", 8100, "HUB")
    local_upstreams = {f"127.0.0.1:{8101 + i}": s for i, s in enumerate(nginx_conf.SERVICES)}
    kube_upstreams = {f"{s}:80": s for s in nginx_conf.SERVICES}
    kube = server_lines(frontdoor_conf(), kube_upstreams, frontdoor.ROOT)
    local = server_lines(local_conf, local_upstreams, "/run/lapor")
    assert [line for line in kube if "openapi.json;" not in line] == [line for line in local if "openapi.json;" not in line]
    # the error handling itself: every status nginx answers goes to an error file, 405 with Allow, 503 with Retry-After
    for needle in ("error_page 400 494 /__errors/400$lapor_error_ext;", "error_page 413 /__errors/413$lapor_error_ext;",
                   "error_page 502 503 504 =503 /__errors/503$lapor_error_ext;", 'add_header Allow "GET, HEAD" always;',
                   "add_header Retry-After 5 always;", 'return 404 \'{"errors": [{"field": null, "code": "not_found"'):
        assert needle in frontdoor_conf() and needle in local_conf, needle
    assert "client_max_body_size 25m;" in frontdoor_conf()


def test_the_kubernetes_front_doors_error_files_are_in_the_api_format():
    import nginx_conf

    files = by_kind("ConfigMap")["frontdoor-errors"]["data"]
    assert files == nginx_conf.error_files()
    for status in (400, 405, 413, 414, 503):
        item, = json.loads(files[f"{status}.json"])["errors"]
        assert set(item) == {"field", "code", "message", "message_id"} and item["message_id"] != item["message"]
        assert json.loads(files[f"{status}.open311.json"])[0]["code"] == status
        assert ElementTree.fromstring(files[f"{status}.open311.xml"]).find("error/code").text == str(status)
    # an upstream that did not answer may have recorded the request: the 503 says so and how to resend (issue 13)
    unavailable, = json.loads(files["503.json"])["errors"]
    assert "may or may not" in unavailable["message"] and "Idempotency-Key" in unavailable["message"]
    assert "mungkin" in unavailable["message_id"] and "Idempotency-Key" in unavailable["message_id"]
    pod = by_kind("Deployment")["frontdoor"]["spec"]["template"]["spec"]
    mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    volumes = {v["name"]: v["configMap"]["name"] for v in pod["volumes"]}
    assert volumes["errors"] == "frontdoor-errors" and mounts["errors"] == "/srv/lapor/__errors"
    assert "root /srv/lapor;" in frontdoor_conf()


@pytest.mark.skipif(not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()), reason="nginx not installed")
def test_nginx_accepts_the_kubernetes_front_door_configuration(tmp_path):
    conf = frontdoor_conf().replace("${LAPOR_HUB_CODE}", "5108").replace("/tmp/", f"{tmp_path}/")
    for service in ("intake", "routing", "followup", "notification", "assessment"):
        conf = conf.replace(f"http://{service}:80;", "http://127.0.0.1:9;")  # no cluster DNS here
    (tmp_path / "nginx.conf").write_text(conf.replace("error_log /dev/stderr", f"error_log {tmp_path}/error.log"))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr

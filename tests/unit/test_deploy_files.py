"""The deployment files parse and agree with the local stack they mirror."""
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def load_all(path):
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


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


def test_ingress_covers_every_front_door_route():
    routes = {line.split()[0].rstrip("/") or "/" for line in (DEPLOY / "local" / "routes.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")}
    ingress, = load_all(DEPLOY / "kubernetes" / "ingress.yaml")
    paths = {p["path"] for p in ingress["spec"]["rules"][0]["http"]["paths"]}
    assert paths == routes, "run python deploy/kubernetes/generate.py"


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


def test_every_kubernetes_manifest_is_valid_against_the_kubernetes_schemas():
    import kubernetes_validate

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
    assert set(deployments) == {"intake", "routing", "followup", "notification", "assessment"}
    for name, deployment in deployments.items():
        assert deployment["spec"]["replicas"] >= 2, name
        container, = deployment["spec"]["template"]["spec"]["containers"]
        for probe in ("readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"]["path"] == "/health", (name, probe)
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
    assert job["command"][-4:-2] == ["contract.brokeracl", "apply"]
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

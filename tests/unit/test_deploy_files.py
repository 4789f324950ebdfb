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
    routes = {line.split()[0].rstrip("/") for line in (DEPLOY / "local" / "routes.txt").read_text().splitlines()
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

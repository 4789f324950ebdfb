"""The deployment files parse and agree with the local stack they mirror."""
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def load_all(path):
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_kubernetes_manifests_parse_and_name_their_kind():
    for path in (DEPLOY / "kubernetes").glob("*.yaml"):
        for doc in load_all(path):
            assert doc["apiVersion"] and doc["kind"] and doc["metadata"]["name"], path


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

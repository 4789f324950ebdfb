"""Regenerate services.yaml and ingress.yaml from the service list and deploy/local/routes.txt.

    python deploy/kubernetes/generate.py
"""
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVICES = ["intake", "routing", "followup", "notification", "assessment"]


def deployment(name: str) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, labels: {{app: lapor, service: {name}}}}}
spec:
  replicas: {2 if name == "intake" else 1}
  selector: {{matchLabels: {{app: lapor, service: {name}}}}}
  template:
    metadata:
      labels: {{app: lapor, service: {name}}}
      annotations: {{prometheus.io/scrape: "true", prometheus.io/port: "8000", prometheus.io/path: /metrics}}
    spec:
      containers:
        - name: {name}
          image: lapor-hub:1.0.0
          args: ["{name}", "{name.capitalize()}Service"]
          envFrom: [{{configMapRef: {{name: lapor-config}}}}, {{secretRef: {{name: lapor-secrets}}}}]
          ports: [{{containerPort: 8000, name: http}}]
          readinessProbe: {{httpGet: {{path: /health, port: 8000}}, periodSeconds: 10}}
          livenessProbe: {{httpGet: {{path: /health, port: 8000}}, periodSeconds: 30, failureThreshold: 5}}
          resources: {{requests: {{cpu: 100m, memory: 256Mi}}, limits: {{memory: 1Gi}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec:
  selector: {{app: lapor, service: {name}}}
  ports: [{{name: http, port: 80, targetPort: 8000}}]"""


def routes() -> list[tuple[str, str]]:
    lines = (HERE.parent / "local" / "routes.txt").read_text().splitlines()
    return [tuple(line.split()) for line in lines if line.strip() and not line.startswith("#")]


def ingress() -> str:
    paths = "\n".join(f"""          - path: {prefix.rstrip('/') or '/'}
            pathType: Prefix
            backend: {{service: {{name: {service}, port: {{number: 80}}}}}}""" for prefix, service in routes())
    return f"""# The hub's single HTTP origin: the path prefixes of deploy/local/routes.txt.
# Serve /openapi.json (python deploy/local/openapi.py https://YOUR-HUB > openapi.json) as a
# static file from the ingress controller or a CDN.
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: lapor-hub}}
spec:
  rules:
    - http:
        paths:
{paths}
"""


if __name__ == "__main__":
    (HERE / "services.yaml").write_text("# One Deployment and Service per LAPOR-Hub service (image: deploy/docker/Dockerfile).\n"
                                        + "\n---\n".join(deployment(s) for s in SERVICES) + "\n")
    (HERE / "ingress.yaml").write_text(ingress())

"""The local (one-machine) stack's ports and broker credentials, in one place.

Every script, test, benchmark and CLI that talks to a broker started by ``deploy/local/rabbitmq.sh``
builds its AMQP and management URIs here, from the credentials generated once per run folder:
``<run dir>/secrets/rabbitmq.env`` (mode 0600, ``LAPOR_RABBIT_USER=`` / ``LAPOR_RABBIT_PASSWORD=``
lines, readable by the shell too). The broker has no ``guest`` user. That user is the operator's
(administrator: CLIs, tests' standalone proxies); each service logs in as a user of its own
(``lapor-<service>``, contract.brokeracl), password generated once per run folder into
``<run dir>/secrets/rabbitmq-<service>.env``.

    python -m contract.localstack credentials RUN_DIR   # creates if missing; prints shell lines
    python -m contract.localstack service-uri RUN_DIR SERVICE PORT   # the service's AMQP URI
    python -m contract.localstack service-uri RUN_DIR SERVICE P1,P2,P3   # ... to a cluster (failover URI)
    python -m contract.localstack ports OFFSET          # the port environment for an offset
    python -m contract.localstack store-uri SERVICE     # the service's store URI (ports and mode from the environment)

The store: with ``LAPOR_STORE_PER_SERVICE=1`` (deploy/local's default) each service's database lives
in its own SecantusDB process, on ``LAPOR_STORE_PORT_<SERVICE>`` (data and pid under
``<run dir>/store/<service>/``); with ``0`` one process on ``LAPOR_STORE_PORT`` holds all five
(``<run dir>/store/``). :func:`store_uri` is the one place that says which store a service's
database is in, for every script, test, benchmark and CLI.
"""
from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

USER = "lapor"
CREDENTIALS_FILE = Path("secrets") / "rabbitmq.env"

# Port ranges per offset. Each range is wider than any offset in use (0..299), so that no two
# offsets ever share a port; the front door and the services take HTTP_PORT .. HTTP_PORT + 9.
PORT_BASES = {
    "LAPOR_EPMD_PORT": 4379,         # 4379 .. 4678
    "LAPOR_AMQP_PORT": 5682,         # 5682 .. 5981
    "LAPOR_RABBIT_MGMT_PORT": 15800,  # 15800 .. 16099
    "LAPOR_RABBIT_PROM_PORT": 16100,  # 16100 .. 16399
    "LAPOR_RABBIT_DIST_PORT": 25682,  # 25682 .. 25981 (rabbitmqctl uses dist + 10000 .. + 10010)
    "LAPOR_STORE_PORT": 27027,       # 27027 .. 27326: the one store (LAPOR_STORE_PER_SERVICE=0)
    # a store per service (LAPOR_STORE_PER_SERVICE=1): LAPOR_STORE_PORT + 300 * (1 + the service's index)
    "LAPOR_STORE_PORT_INTAKE": 27327,        # 27327 .. 27626
    "LAPOR_STORE_PORT_ROUTING": 27627,       # 27627 .. 27926
    "LAPOR_STORE_PORT_FOLLOWUP": 27927,      # 27927 .. 28226
    "LAPOR_STORE_PORT_NOTIFICATION": 28227,  # 28227 .. 28526
    "LAPOR_STORE_PORT_ASSESSMENT": 28527,    # 28527 .. 28826
}
STORE_SERVICES = ("intake", "routing", "followup", "notification", "assessment")
# each service's broker user is SERVICE_USER_PREFIX + its name, as contract.brokeracl.user says (a unit
# test keeps them equal); not imported from brokeracl, which imports nameko and eventlet (~0.5 CPU-s
# a process): deploy/local/services.sh asks this module for an AMQP URI five times per stack start
SERVICE_USER_PREFIX = "lapor-"
STORE_STEP = 300
STORE_OPTIONS = "/?retryWrites=false&directConnection=true"
HTTP_BASE, HTTP_STEP = 8780, 10      # 8780 + 10 * offset .. + 9
MAX_OFFSET = 299


def ports(offset: int) -> dict[str, str]:
    """The port settings of deploy/local for one offset (strings, ready for an environment)."""
    if not 0 <= offset <= MAX_OFFSET:
        raise ValueError(f"port offset {offset} is outside 0..{MAX_OFFSET}")
    values = {name: str(base + offset) for name, base in PORT_BASES.items()}
    values["LAPOR_HTTP_PORT"] = str(HTTP_BASE + HTTP_STEP * offset)
    return values


def credentials(run_dir: str | os.PathLike, create: bool = True) -> dict[str, str]:
    """The local broker's user and password for ``run_dir`` (generated on first use)."""
    path = Path(run_dir) / CREDENTIALS_FILE
    if not path.exists() and not create:
        raise FileNotFoundError(f"no broker credentials at {path}; start the broker first")
    values = _read_or_create(path, {"LAPOR_RABBIT_USER": USER})
    return {"user": values["LAPOR_RABBIT_USER"], "password": values["LAPOR_RABBIT_PASSWORD"]}


def service_credentials(run_dir: str | os.PathLike) -> dict[str, dict[str, str]]:
    """Each service's broker user and password for ``run_dir`` (generated on first use)."""
    out = {}
    for service in STORE_SERVICES:
        path = Path(run_dir) / "secrets" / f"rabbitmq-{service}.env"
        values = _read_or_create(path, {"LAPOR_RABBIT_USER": SERVICE_USER_PREFIX + service})
        out[service] = {"user": values["LAPOR_RABBIT_USER"], "password": values["LAPOR_RABBIT_PASSWORD"]}
    return out


def _read_or_create(path: Path, fixed: dict[str, str]) -> dict[str, str]:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # created meanwhile by another process: read theirs
        else:
            with os.fdopen(fd, "w") as out:
                out.write("".join(f"{k}={v}\n" for k, v in fixed.items()))
                out.write(f"LAPOR_RABBIT_PASSWORD={secrets.token_hex(24)}\n")
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def service_amqp_uri(run_dir: str | os.PathLike, service: str, port: int | str) -> str:
    """The service's AMQP URI; ``port`` may list a cluster's nodes ("5742,5743,5744"): then a kombu
    failover URI, one URI per node joined by ``;`` (kombu and nameko's connections try them in turn)."""
    creds = service_credentials(run_dir)[service]
    return failover_uri(f"amqp://{creds['user']}:{creds['password']}@127.0.0.1:{p}/" for p in _port_list(port))


def failover_uri(uris) -> str:
    """One AMQP URI per cluster node joined by ``;`` (kombu.Connection's alternates, round-robin)."""
    return ";".join(uris)


def _port_list(port: int | str) -> list[str]:
    return [p.strip() for p in str(port).split(",") if p.strip()]


def cluster_node_ports(offset: int, nodes: int = 3) -> list[dict[str, str]]:
    """The broker ports of each node of a local cluster at ``offset``: node i takes those of offset
    ``offset + i`` (AMQP, distribution, management, Prometheus); they share the epmd of ``offset``."""
    shared = ports(offset)["LAPOR_EPMD_PORT"]
    return [{**{k: v for k, v in ports(offset + i).items() if k.startswith(("LAPOR_AMQP", "LAPOR_RABBIT"))},
             "LAPOR_EPMD_PORT": shared} for i in range(nodes)]


def amqp_uri(run_dir: str | os.PathLike, port: int | str, vhost: str = "", scheme: str = "amqp") -> str:
    """The operator's AMQP URI (``port`` as in :func:`service_amqp_uri`: several make a failover URI)."""
    creds = credentials(run_dir)
    return failover_uri(f"{scheme}://{creds['user']}:{creds['password']}@127.0.0.1:{p}/{vhost}"
                        for p in _port_list(port))


def api_uri(run_dir: str | os.PathLike, port: int | str) -> str:
    """The management API base URI, credentials included (as nameko's test plugin expects)."""
    creds = credentials(run_dir)
    return f"http://{creds['user']}:{creds['password']}@127.0.0.1:{port}"


def store_per_service(env: dict) -> bool:
    """Whether the stack of ``env`` runs a store per service (``LAPOR_STORE_PER_SERVICE``, default 1,
    as in deploy/local/env.sh)."""
    value = str(env.get("LAPOR_STORE_PER_SERVICE", "1")).strip()
    if value not in ("0", "1"):
        raise ValueError(f"LAPOR_STORE_PER_SERVICE must be 0 or 1, not {value!r}")
    return value == "1"


def store_port(env: dict, service: str | None = None) -> str:
    """The port of the store holding ``service``'s database (``None``: the one shared store)."""
    base = env.get("LAPOR_STORE_PORT") or str(PORT_BASES["LAPOR_STORE_PORT"])
    if service is None or not store_per_service(env):
        return str(base)
    if service not in STORE_SERVICES:
        raise ValueError(f"no store for {service!r}; services: {', '.join(STORE_SERVICES)}")
    own = env.get(f"LAPOR_STORE_PORT_{service.upper()}")
    return str(own or int(base) + STORE_STEP * (1 + STORE_SERVICES.index(service)))


def store_uri(env: dict, service: str | None = None) -> str:
    """The URI of the store holding ``service``'s database on the local stack of ``env``."""
    return f"mongodb://127.0.0.1:{store_port(env, service)}{STORE_OPTIONS}"


def store_uris(env: dict) -> dict[str, str]:
    """service -> the URI of its store (the same URI five times with one store)."""
    return {service: store_uri(env, service) for service in STORE_SERVICES}


def env_uris(env: dict) -> dict:
    """AMQP, management and store URIs for a deploy/local environment (LAPOR_RUN_DIR and ports):
    ``mongodb`` the one shared store (LAPOR_STORE_PER_SERVICE=0), ``stores`` each service's store."""
    run_dir = env["LAPOR_RUN_DIR"]
    return {"amqp": amqp_uri(run_dir, env["LAPOR_AMQP_PORT"]),
            "api": api_uri(run_dir, env["LAPOR_RABBIT_MGMT_PORT"]),
            "mongodb": store_uri(env), "stores": store_uris(env)}


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "credentials":
        creds = credentials(argv[1])
        print(f"LAPOR_RABBIT_USER={creds['user']}\nLAPOR_RABBIT_PASSWORD={creds['password']}")
        return 0
    if len(argv) == 4 and argv[0] == "service-uri":
        print(service_amqp_uri(argv[1], argv[2], argv[3]))
        return 0
    if len(argv) == 2 and argv[0] == "ports":
        for name, value in ports(int(argv[1])).items():
            print(f"{name}={value}")
        return 0
    if len(argv) == 2 and argv[0] == "store-uri":
        print(store_uri(os.environ, argv[1]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

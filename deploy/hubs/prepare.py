"""Prepare the demo hubs of a hubs file on one machine: keys, link secrets, registries.

    python deploy/hubs/prepare.py ROOT BASE_OFFSET [FILE]   # ROOT: the hubs' run folder (.run/hubs)

FILE lists the hubs as a tree (default deploy/hubs/hubs.yml, the three hubs of make run-hubs;
deploy/hubs/network.yml has the five of make run-network): per hub its code, name, tier, parent,
region_code, port `offset` (added to BASE_OFFSET) and the `regions:`/`agencies:` it owns.

For each hub (run folder ROOT/<code>): its intake key pair (private key in secrets/hub.key, mode
0600), its link secrets (secrets/links.yml, mode 0600: its broker, the users its neighbours log in
as with their passwords' hashes, its logins on its neighbours' brokers; generated once and kept),
and its registry file
(registry.yml: the demo region with the directory and the owners of FILE). Writes
ROOT/directory.yml (the directory with public URLs and keys, no secret) and prints one line per
hub: `code offset run_dir`. ROOT and each hub's run folder are made 0711 (``private_folder``).
"""
from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from nacl.public import PrivateKey

from contract import hublink, hubnet, hubsign, hubwire, localstack

HERE = Path(__file__).resolve().parent
DEMO_REGION = HERE.parent / "demo" / "region.yml"
DIRECTORY_FIELDS = ("code", "name", "tier", "parent", "region_code", "message_version")


def private_folder(path: Path) -> Path:
    """A run folder nobody else can list or read (0711): others may only pass through it, as the front
    door's nginx workers must to reach frontdoor/. What keeps a secret under it is its owner's alone:
    secrets/ (0700, files 0600), and the broker's and the store's data (0700: deploy/local/rabbitmq.sh
    and store.sh; the shovels' URIs with link passwords, routing's hub_links, reporters' identities)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o711)
    return path


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.chmod(path, 0o600)


def key_pair(run_dir: Path) -> str:
    """This hub's intake public key (base64), the private key generated once into secrets/hub.key."""
    path = run_dir / "secrets" / "hub.key"
    if not path.exists():
        _write_private(path, base64.b64encode(bytes(PrivateKey.generate())).decode() + "\n")
    private = PrivateKey(base64.b64decode(path.read_text().strip()))
    return base64.b64encode(bytes(private.public_key)).decode()


def signing_key_pair(run_dir: Path) -> str:
    """This hub's signing public key (base64 Ed25519), the private key generated once into
    secrets/hub-signing.key beside the sealing key."""
    path = run_dir / "secrets" / "hub-signing.key"
    if not path.exists():
        return hubsign.write_private_key(path)
    return hubsign.public_key_of(hubsign.read_private_key(path))


def hub_settings(hub: dict) -> str:
    """The hub's own settings beyond the ports (hub.env, read by hubs.sh's hub_env): the message
    version it writes, 1 for a hub declared on the previous version (acting as one not upgraded)."""
    version = int(hub.get("message_version") or hubwire.SCHEMA_VERSION)
    return f"export LAPOR_HUB_MESSAGE_VERSION={version}\n"


def _existing_links(run_dir: Path) -> dict:
    path = run_dir / "secrets" / "links.yml"
    return yaml.safe_load(path.read_text()) if path.exists() else {}


def _kept_password(old_links: dict, neighbour: str) -> str | None:
    """The password a hub's old links.yml gives for its login on ``neighbour``'s broker."""
    uri = old_links.get("neighbours", {}).get(neighbour, {}).get("amqp_uri")
    return urlsplit(uri).password if uri else None


def link_secrets(plan: list[dict], root: Path, base: int) -> dict[str, dict]:
    """Each hub's links.yml content; a link's password is generated once and kept: in clear in the
    logging-in hub's neighbour URI (its shovel needs it), as a hash in the other's inbound users."""
    directory = [{k: h.get(k) for k in ("code", "tier", "parent")} for h in plan]
    old = {h["code"]: _existing_links(root / h["code"]) for h in plan}
    out = {}
    for hub in plan:
        code, env = hub["code"], hub["env"]
        out[code] = {"hub": code,
                     "local_amqp_uri": localstack.amqp_uri(env["LAPOR_RUN_DIR"], env["LAPOR_AMQP_PORT"]),
                     "local_management_uri": localstack.api_uri(env["LAPOR_RUN_DIR"], env["LAPOR_RABBIT_MGMT_PORT"]),
                     "inbound": {}, "neighbours": {}}
    for hub in plan:
        code = hub["code"]
        for other in hubnet.neighbours(directory, code):
            # the user `hub-<code>` on other's broker, which code's shovel logs in as
            password = _kept_password(old[code], other) or secrets.token_hex(24)
            port = next(h["env"]["LAPOR_AMQP_PORT"] for h in plan if h["code"] == other)
            out[other]["inbound"][code] = {"user": f"hub-{code}", "password_hash": hublink.password_hash(password)}
            out[code]["neighbours"][other] = {"amqp_uri": f"amqp://hub-{code}:{password}@127.0.0.1:{port}/%2F"}
    return out


def registry_for(directory: list[dict], owners: dict[str, dict[str, str]]) -> dict:
    """The demo region with this directory, each region and agency owned as the hubs file says."""
    registry = yaml.safe_load(DEMO_REGION.read_text())
    registry["hubs"] = directory
    for kind in ("regions", "agencies"):
        for item in registry.get(kind, []):
            item["hub"] = owners[kind].get(item["code"], "ID")
    agency_hub = {a["code"]: a["hub"] for a in registry.get("agencies", [])}
    for official in registry.get("officials", []):
        official["hub"] = agency_hub.get(official.get("agency_code"), "ID")
    return registry


def main(root: Path, base: int, hubs_file: Path = HERE / "hubs.yml") -> None:
    hubs = yaml.safe_load(hubs_file.read_text())["hubs"]
    plan = []
    private_folder(root)
    for hub in hubs:
        offset = base + int(hub["offset"])
        env = {"LAPOR_RUN_DIR": str(private_folder(root / hub["code"])), **localstack.ports(offset)}
        plan.append({**hub, "offset": offset, "env": env})
    directory = []
    for hub in plan:
        entry = {k: hub[k] for k in DIRECTORY_FIELDS if hub.get(k) is not None}
        entry["public_url"] = f"http://127.0.0.1:{hub['env']['LAPOR_HTTP_PORT']}"
        entry["public_key"] = key_pair(Path(hub["env"]["LAPOR_RUN_DIR"]))
        entry["signing_key"] = signing_key_pair(Path(hub["env"]["LAPOR_RUN_DIR"]))
        (Path(hub["env"]["LAPOR_RUN_DIR"]) / "hub.env").write_text(hub_settings(hub))
        directory.append(entry)
    problems = hubnet.validate_directory(directory)
    if problems:
        raise SystemExit(f"{hubs_file}: {'; '.join(problems)}")
    (root / "directory.yml").write_text(yaml.safe_dump({"hubs": directory}, sort_keys=False))
    owners = {kind: {code: h["code"] for h in plan for code in h.get(kind, [])} for kind in ("regions", "agencies")}
    demo = yaml.safe_load(DEMO_REGION.read_text())
    unknown = [f"{kind} {code}" for kind, owned in owners.items() for code in owned
               if code not in {item["code"] for item in demo.get(kind, [])}]
    if unknown:
        raise SystemExit(f"{hubs_file}: not in {DEMO_REGION.name}: {', '.join(unknown)}")
    for code, links in link_secrets(plan, root, base).items():
        _write_private(root / code / "secrets" / "links.yml", yaml.safe_dump(links, sort_keys=False))
        (root / code / "registry.yml").write_text(yaml.safe_dump(registry_for(directory, owners), sort_keys=False,
                                                                 allow_unicode=True))
    for hub in plan:
        print(hub["code"], hub["offset"], hub["env"]["LAPOR_RUN_DIR"])


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), int(sys.argv[2]),
         Path(sys.argv[3]).resolve() if len(sys.argv) > 3 else HERE / "hubs.yml")

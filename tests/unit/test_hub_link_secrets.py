"""Link passwords at rest (deploy/hubs/prepare.py, contract.hublink): a hub keeps only the hash of
the passwords its neighbours log in with (its broker only verifies them), in RabbitMQ's own form, and
the clear password only where a shovel needs it (the logging-in hub's neighbour URI); the run
folders are closed to others (0711) and the secrets its owner's alone (0700, files 0600)."""
import base64
import hashlib
import stat
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from contract import hublink

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "hubs"))
import prepare  # noqa: E402  (deploy/hubs/prepare.py)


def test_the_hash_is_rabbitmqs_salted_sha256_and_only_the_password_matches_it():
    hashed = hublink.password_hash("correct horse battery staple")
    raw = base64.b64decode(hashed)
    assert len(raw) == 36 and raw[4:] == hashlib.sha256(raw[:4] + b"correct horse battery staple").digest()
    assert hublink.hash_matches("correct horse battery staple", hashed)
    assert not hublink.hash_matches("correct horse battery stapler", hashed)
    assert hublink.password_hash("same") != hublink.password_hash("same")  # salted


def test_the_broker_is_given_hashes_and_an_older_files_clear_password_is_hashed_first():
    directory = [{"code": "ID", "tier": "national"}, {"code": "51", "tier": "province", "parent": "ID"}]
    kept = hublink.password_hash("k" * 24)
    for inbound, password in (({"user": "hub-ID", "password_hash": kept}, "k" * 24),
                              ({"user": "hub-ID", "password": "o" * 24}, "o" * 24)):
        secrets = hublink.load_secrets(yaml.safe_dump({
            "hub": "51", "local_amqp_uri": "amqp://lapor:x@127.0.0.1:5892/",
            "local_management_uri": "http://lapor:x@127.0.0.1:16010", "inbound": {"ID": inbound},
            "neighbours": {"ID": {"amqp_uri": "amqp://hub-51:n@127.0.0.1:5882/%2F"}}}))
        users = hublink.plan(directory, "51", secrets, {}, [])["put_users"]
        assert hublink.hash_matches(password, users["hub-ID"]) and password not in repr(users)
    with pytest.raises(hublink.LinkError):  # neither, or both
        hublink.load_secrets(yaml.safe_dump({"hub": "51", "local_amqp_uri": "amqp://x", "local_management_uri":
                                             "http://a:b@h:1", "inbound": {"ID": {"user": "hub-ID"}}}))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_prepared_hubs_keep_hashes_of_the_passwords_their_neighbours_log_in_with_in_private_folders(tmp_path):
    prepare.main(tmp_path, 250)
    links = {code: yaml.safe_load((tmp_path / code / "secrets" / "links.yml").read_text())
             for code in ("ID", "51", "5108")}
    for code, other in (("51", "ID"), ("ID", "51"), ("5108", "51"), ("51", "5108")):
        password = urlsplit(links[code]["neighbours"][other]["amqp_uri"]).password  # code's shovel logs in with it
        inbound = links[other]["inbound"][code]
        assert "password" not in inbound and hublink.hash_matches(password, inbound["password_hash"])
        assert password not in (tmp_path / other / "secrets" / "links.yml").read_text()
    # nobody else lists or reads a run folder (the front door's workers pass through it); secrets: the owner's
    assert mode(tmp_path) == 0o711 and all(mode(tmp_path / code) == 0o711 for code in links)
    assert all(mode(tmp_path / code / "secrets") == 0o700 for code in links)
    assert all(mode(tmp_path / code / "secrets" / "links.yml") == 0o600 for code in links)

    prepare.main(tmp_path, 250)  # prepared again (every start): the same passwords
    again = yaml.safe_load((tmp_path / "51" / "secrets" / "links.yml").read_text())
    assert again["neighbours"] == links["51"]["neighbours"]

"""Sealing reporters' identities for one hub, and the wire format between hubs."""
import base64
import json
from datetime import datetime, timezone

import pytest
from marshmallow import ValidationError

from contract import hubwire, sealing
from contract.ids import new_tracking_id

NOW = datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)


def test_only_the_holder_of_the_private_key_opens_a_sealed_identity():
    private, public = sealing.new_key_pair()
    other_private, _ = sealing.new_key_pair()
    identity = {"name": "Made", "email": "made@example.com", "secret_hash": "ab" * 32}
    sealed = sealing.seal(identity, public)
    assert "made" not in base64.b64decode(sealed).decode("latin-1").lower()
    assert sealing.unseal(sealed, private) == identity
    with pytest.raises(sealing.SealError):
        sealing.unseal(sealed, other_private)
    tampered = base64.b64encode(b"x" + base64.b64decode(sealed)[1:]).decode()
    with pytest.raises(sealing.SealError):
        sealing.unseal(tampered, private)
    assert sealing.public_key_of(private) == public


@pytest.mark.parametrize("bad", ["", "not base64!", base64.b64encode(b"short").decode()])
def test_bad_keys_are_refused_with_a_clear_error(bad):
    with pytest.raises(sealing.SealError):
        sealing.seal({"a": 1}, bad)
    assert not sealing.valid_public_key(bad)


def test_the_key_file_is_private_and_never_overwritten(tmp_path):
    path = tmp_path / "hub.key"
    public = sealing.write_private_key(str(path))
    assert path.stat().st_mode & 0o777 == 0o600
    assert sealing.public_key_of(sealing.read_private_key(str(path))) == public
    with pytest.raises(FileExistsError):
        sealing.write_private_key(str(path))
    with pytest.raises(sealing.SealError):
        sealing.read_private_key(str(tmp_path / "missing.key"))


def transfer_message(**overrides) -> dict:
    tracking_id = new_tracking_id("5108")
    message = hubwire.new_message("transfer", tracking_id, "5108", "5108", "ID", ["5108"], NOW, transfer={
        "report": {"title": "t", "description": "d", "classification": "complaint", "category_code": "jalan",
                   "region_code": "7317", "channel": "web", "is_anonymous": True, "is_confidential": False,
                   "received_at": NOW},
        "reason": "region 7317", "forwarded_by": "system"})
    message.update(overrides)
    return message


def test_a_message_round_trips_and_numeric_codes_stay_strings():
    dumped = hubwire.dump(transfer_message())
    text = json.dumps(dumped)
    loaded = hubwire.load(json.loads(text))
    assert loaded["origin_hub"] == "5108" and loaded["hops"] == ["5108"]
    assert '"origin_hub": "5108"' in text


@pytest.mark.parametrize("change", [
    {"schema_version": 3},
    {"kind": "gossip"},
    {"origin_hub": 5108},
    {"origin_hub": "ID"},                      # not the tracking ID's hub
    {"tracking_id": "5108-AAAAA-AAAAA"},       # bad check symbol
    {"hops": ["5108", "51", "5108"]},          # a hub twice
    {"hops": []},
    {"transfer": None},
    {"extra": "field"},
])
def test_malformed_or_other_version_messages_are_refused(change):
    body = hubwire.dump(transfer_message())
    body.update(change)
    with pytest.raises(ValidationError):
        hubwire.load(body)


def test_a_non_object_is_refused():
    with pytest.raises(ValidationError):
        hubwire.load(["not", "an", "object"])

"""Hub messages signed by the hub that sends them on a link, and the two versions a hub reads."""
import json
from datetime import datetime, timezone

import pytest
from marshmallow import ValidationError

from contract import hubnet, hubsign, hubwire
from contract.ids import new_tracking_id

NOW = datetime(2026, 12, 6, 5, 0, tzinfo=timezone.utc)


def message(**overrides) -> dict:
    dumped = hubwire.dump(hubwire.new_message("status", new_tracking_id("5108"), "5108", "7317", "5108", ["7317"], NOW,
                                              status={"step": "closed", "at": NOW, "owner_hub": "7317",
                                                      "detail": {"agency_code": "PEMKAB-LUWU"}}))
    return {**dumped, **overrides}


def over_the_wire(body: dict) -> dict:
    """What the receiver decodes: the body as JSON through the broker (key order not kept)."""
    return json.loads(json.dumps(body))


def test_a_signed_message_verifies_with_the_senders_public_key_only():
    private, public = hubsign.generate_key()
    _, other_public = hubsign.generate_key()
    signed = hubsign.sign(message(), private)
    received = over_the_wire(dict(reversed(list(signed.items()))))  # another key order: same canonical bytes
    assert hubsign.verify(received, public)
    assert not hubsign.verify(received, other_public)
    assert not hubsign.verify({k: v for k, v in received.items() if k != "signature"}, public)


@pytest.mark.parametrize("change", [
    {"source_hub": "73"}, {"hops": ["73"]}, {"tracking_id": new_tracking_id("5108")},
    {"status": {"step": "not_ours", "at": NOW.isoformat(), "owner_hub": "7317", "detail": {}}},
    {"signature": "A" * 88},
])
def test_changing_any_field_after_signing_breaks_the_signature(change):
    private, public = hubsign.generate_key()
    assert not hubsign.verify({**hubsign.sign(message(), private), **change}, public)


def test_the_signing_key_file_is_private_and_never_overwritten(tmp_path):
    path = tmp_path / "hub-signing.key"
    public = hubsign.write_private_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert hubsign.public_key_of(hubsign.read_private_key(path)) == public and hubsign.valid_public_key(public)
    with pytest.raises(FileExistsError):
        hubsign.write_private_key(path)
    with pytest.raises(hubsign.SignError):
        hubsign.read_private_key(tmp_path / "missing.key")
    (tmp_path / "bad.key").write_text("not a key\n")
    with pytest.raises(hubsign.SignError):
        hubsign.read_private_key(tmp_path / "bad.key")
    assert not hubsign.valid_public_key("short")


def test_a_hub_writes_the_version_its_neighbour_declared_and_reads_both():
    private, public = hubsign.generate_key()
    current = hubwire.for_neighbour(message(), hubwire.SCHEMA_VERSION, private)
    previous = hubwire.for_neighbour(current, hubwire.PREVIOUS_VERSION, private)
    assert current["schema_version"] == 2 and hubsign.verify(current, public)
    assert previous["schema_version"] == 1 and "signature" not in previous  # what a version-1 hub loads
    for body in (current, previous):
        loaded = hubwire.load(over_the_wire(body))
        assert loaded["schema_version"] == body["schema_version"] and "signature" not in loaded
    with pytest.raises(hubsign.SignError):
        hubwire.for_neighbour(message(), hubwire.SCHEMA_VERSION, None)  # version 2 without a key: never unsigned


@pytest.mark.parametrize("body", [
    {"schema_version": 3},                                   # a version this hub does not read
    {"schema_version": 0},
    {"schema_version": 1, "signature": "A" * 88},            # version 1 had no signature
    {"signature": 5},
])
def test_versions_and_signatures_a_hub_does_not_read_are_refused(body):
    with pytest.raises(ValidationError):
        hubwire.load({**message(), **body})


def test_each_shovel_stamps_its_link_user_which_names_the_neighbour():
    value = hubnet.shovel_definition("amqp://lapor:p@127.0.0.1:5682/", "amqp://hub-5108:pw@127.0.0.1:5692/%2F",
                                     "51")["value"]
    assert value["dest-publish-properties"] == {"user_id": "hub-5108"}  # the user 51's broker validates
    assert hubnet.link_of("hub-5108") == "5108" and hubnet.link_of(b"hub-ID") == "ID"
    assert hubnet.link_of("lapor") is None and hubnet.link_of(None) is None and hubnet.link_of("hub-") is None
    assert hubnet.link_user("51") == "hub-51"

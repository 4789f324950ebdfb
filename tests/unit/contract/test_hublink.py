"""Linking a hub: directory and secrets validation, and what apply changes (pure plan)."""
import textwrap

import pytest

from contract import hublink

DIRECTORY = textwrap.dedent("""
    hubs:
      - {code: ID, name: Nasional, tier: national}
      - {code: "51", name: Bali, level: province, parent: ID}
      - {code: "5108", name: Buleleng, tier: district, parent: "51"}
      - {code: "5171", name: Denpasar, tier: district, parent: "51"}
""")
SECRETS = {
    "hub": "51", "local_amqp_uri": "amqp://lapor:x@127.0.0.1:5892/",
    "local_management_uri": "http://lapor:x@127.0.0.1:16010",
    "inbound": {code: {"user": f"hub-{code}", "password": f"secret-for-{code}-0123456789"} for code in ("ID", "5108", "5171")},
    "neighbours": {code: {"amqp_uri": f"amqp://hub-51:pw{code}@127.0.0.1:{port}/%2F"}
                   for code, port in (("ID", 5882), ("5108", 5902), ("5171", 5912))},
}


def directory():
    return hublink.load_directory(DIRECTORY)


def test_directory_codes_stay_strings_and_level_is_read_as_tier():
    hubs = directory()
    assert [h["code"] for h in hubs] == ["ID", "51", "5108", "5171"]
    assert hubs[1]["tier"] == "province"


@pytest.mark.parametrize("text, words", [
    ("hubs:\n  - {code: 5108, tier: national}\n", "hubs[0].code"),          # a YAML number, not a code
    ("hubs:\n  - {code: ID, tier: national}\n  - {code: '51', tier: province, parent: '99'}\n", "parent 99"),
    ("regions: []\n", "'hubs' list"),
])
def test_bad_directories_name_the_problem(text, words):
    with pytest.raises(hublink.LinkError) as raised:
        hublink.load_directory(text)
    assert words in str(raised.value)


def test_secrets_are_validated():
    import yaml
    bad = {**SECRETS, "inbound": {"ID": {"user": "hub-51", "password": "0123456789abcdefg"}}}
    with pytest.raises(hublink.LinkError, match="inbound.ID.user"):
        hublink.load_secrets(yaml.safe_dump(bad))
    with pytest.raises(hublink.LinkError, match="local_management_uri"):
        hublink.load_secrets(yaml.safe_dump({k: v for k, v in SECRETS.items() if k != "local_management_uri"}))


def test_plan_puts_one_confirming_shovel_and_one_link_user_per_neighbour():
    changes = hublink.plan(directory(), "51", SECRETS, shovels={}, link_users=[])
    assert changes["neighbours"] == ["ID", "5108", "5171"]
    assert sorted(changes["put_shovels"]) == ["lapor-hub-to-5108", "lapor-hub-to-5171", "lapor-hub-to-ID"]
    shovel = changes["put_shovels"]["lapor-hub-to-5108"]
    assert shovel["src-uri"] == "amqp://"  # the local node, no password in the parameter
    assert shovel["dest-uri"] == SECRETS["neighbours"]["5108"]["amqp_uri"]
    assert shovel["ack-mode"] == "on-confirm" and shovel["src-queue"] == "lapor.hubs.out.5108"
    assert sorted(changes["put_users"]) == ["hub-5108", "hub-5171", "hub-ID"]


def test_plan_is_idempotent_and_removes_former_neighbours():
    first = hublink.plan(directory(), "51", SECRETS, shovels={}, link_users=[])
    existing = {**first["put_shovels"], "lapor-hub-to-5199": {"src-queue": "lapor.hubs.out.5199"}, "other": {}}
    again = hublink.plan(directory(), "51", SECRETS, shovels=existing, link_users=["hub-ID", "hub-5199"])
    assert again["put_shovels"] == {}
    assert again["delete_shovels"] == ["lapor-hub-to-5199"]  # never a shovel that is not a hub link
    assert again["delete_users"] == ["hub-5199"]


def test_plan_refuses_missing_secrets_and_another_hubs_file():
    partial = {**SECRETS, "neighbours": {"ID": SECRETS["neighbours"]["ID"]}}
    with pytest.raises(hublink.LinkError, match="neighbours.5108.amqp_uri missing"):
        hublink.plan(directory(), "51", partial, shovels={}, link_users=[])
    with pytest.raises(hublink.LinkError, match="not hub 5108's"):
        hublink.plan(directory(), "5108", SECRETS, shovels={}, link_users=[])


def test_a_district_links_only_to_its_province():
    secrets = {**SECRETS, "hub": "5108", "inbound": {"51": {"user": "hub-51", "password": "p" * 20}},
               "neighbours": {"51": {"amqp_uri": "amqp://hub-5108:x@127.0.0.1:5892/%2F"}}}
    changes = hublink.plan(directory(), "5108", secrets, shovels={}, link_users=[])
    assert list(changes["put_shovels"]) == ["lapor-hub-to-51"]

"""The hub tree: paths, neighbours, loop refusal and directory validation."""
import pytest

from contract import hubnet

DIRECTORY = [
    {"code": "ID", "tier": "national", "parent": None},
    {"code": "51", "tier": "province", "parent": "ID"},
    {"code": "73", "tier": "province", "parent": "ID"},
    {"code": "5108", "tier": "district", "parent": "51"},
    {"code": "5171", "tier": "district", "parent": "51"},
    {"code": "7317", "tier": "district", "parent": "73"},
]


def test_path_goes_up_to_the_common_ancestor_and_down():
    assert hubnet.path(DIRECTORY, "5108", "7317") == ["5108", "51", "ID", "73", "7317"]
    assert hubnet.path(DIRECTORY, "ID", "5108") == ["ID", "51", "5108"]
    assert hubnet.path(DIRECTORY, "5108", "5171") == ["5108", "51", "5171"]
    assert hubnet.path(DIRECTORY, "5108", "ID") == ["5108", "51", "ID"]


def test_neighbours_are_parent_then_children():
    assert hubnet.neighbours(DIRECTORY, "51") == ["ID", "5108", "5171"]
    assert hubnet.neighbours(DIRECTORY, "ID") == ["51", "73"]
    assert hubnet.neighbours(DIRECTORY, "7317") == ["73"]


def test_next_hop_and_loop_refusal():
    assert hubnet.next_hop(DIRECTORY, "5108", "7317") == "51"
    assert hubnet.next_hop(DIRECTORY, "ID", "7317", visited=["5108", "51"]) == "73"
    with pytest.raises(hubnet.LoopRefused):
        hubnet.next_hop(DIRECTORY, "ID", "5108", visited=["5108", "51"])


def test_a_valid_directory_has_no_problems():
    assert hubnet.validate_directory(DIRECTORY) == []


@pytest.mark.parametrize("change, words", [
    ({"code": 5108}, "must be a non-empty string"),
    ({"parent": "99"}, "parent 99 is not in the directory"),
    ({"parent": "ID"}, "parent must be a province hub"),
    ({"tier": "village"}, "is not one of"),
    ({"parent": None}, "exactly one hub without a parent"),
])
def test_directory_problems_name_the_hub(change, words):
    broken = [dict(hub) for hub in DIRECTORY]
    broken[3].update(change)
    assert any(words in problem for problem in hubnet.validate_directory(broken))


def test_shovel_confirms_and_targets_the_neighbours_inbound_exchange():
    value = hubnet.shovel_definition("amqp://a@127.0.0.1:5682", "amqp://b@127.0.0.1:5692", "5108")["value"]
    assert value["ack-mode"] == "on-confirm"
    assert value["src-queue"] == "lapor.hubs.out.5108"
    assert value["dest-exchange"] == hubnet.IN_EXCHANGE
    assert hubnet.shovel_name("5108") == "lapor-hub-to-5108"

"""The links between three real brokers: shovels from the directory, publish-only link users,
messages moved across, a former neighbour unlinked. (Outages: tests/hubs/test_three_hubs.py.)"""
import uuid

import amqp
import pytest
from kombu import Connection, Exchange, Producer

from contract import hubnet
from tests.hubs.conftest import directory_without
from tests.waiting import wait_for


def shovels_running(hub, names):
    states = hub.management().shovel_states()
    return all(states.get(name) == "running" for name in names)


def publish(hub, neighbour: str, bodies: list[str]) -> None:
    """As intake does: persistent, confirmed, into lapor.hubs.out keyed by the next hop."""
    with Connection(hub.amqp_uri, transport_options={"confirm_publish": True}) as connection:
        producer = Producer(connection.default_channel, exchange=Exchange(hubnet.OUT_EXCHANGE, type="direct"))
        for body in bodies:
            producer.publish(body, routing_key=neighbour, delivery_mode=2, message_id=body,
                             content_type="text/plain", mandatory=True)


def drain_inbound(hub, expected: int, timeout: float = 60) -> list[str]:
    """Take messages off the hub's inbound queue until ``expected`` arrived (or time is up)."""
    got: list[str] = []
    with Connection(hub.amqp_uri) as connection:
        channel = connection.default_channel

        def more():
            while (message := channel.basic_get(hubnet.IN_QUEUE, no_ack=True)) is not None:
                got.append(message.body.decode() if isinstance(message.body, bytes) else message.body)
            return len(got) >= expected
        try:
            wait_for(more, timeout=timeout, interval=0.2)
        except AssertionError:
            pass
    return got


@pytest.fixture
def linked(hub_brokers):
    hubs = hub_brokers
    wait_for(lambda: shovels_running(hubs["51"], ["lapor-hub-to-ID", "lapor-hub-to-5108"]), timeout=30)
    for hub in hubs.values():
        with Connection(hub.amqp_uri) as connection:
            if connection.default_channel.queue_declare(hubnet.IN_QUEUE, passive=True).consumer_count:
                pytest.skip("an intake consumes lapor.hubs.in (the stacks are running): these tests take "
                            "messages off it, so they run on the brokers alone (first in a session)")
    for hub in hubs.values():
        drain_inbound(hub, 0, timeout=0.1)
    return hubs


def test_apply_is_idempotent_and_each_hub_links_only_to_its_neighbours(linked):
    for code, neighbours in (("ID", ["51"]), ("51", ["ID", "5108"]), ("5108", ["51"])):
        changes = linked[code].link()
        assert changes["neighbours"] == neighbours
        assert changes["put_shovels"] == {} and changes["delete_shovels"] == []
        assert sorted(linked[code].management().shovel_states()) == sorted(map(hubnet.shovel_name, neighbours))


def test_a_message_for_a_neighbour_arrives_in_its_inbound_queue(linked):
    bodies = [f"m-{uuid.uuid4().hex}" for _ in range(20)]
    publish(linked["5108"], "51", bodies)
    assert sorted(drain_inbound(linked["51"], len(bodies))) == sorted(bodies)


def test_a_link_user_may_only_publish_to_the_inbound_exchange(linked):
    uri = linked["5108"].secrets()["neighbours"]["51"]["amqp_uri"]
    with Connection(uri) as connection:
        channel = connection.channel()
        with pytest.raises(amqp.exceptions.AccessRefused):
            channel.basic_get(hubnet.IN_QUEUE)
    with Connection(uri) as connection:
        with pytest.raises(amqp.exceptions.AccessRefused):
            connection.channel().queue_declare("lapor.hubs.sneaky", durable=True)


def test_a_hub_that_leaves_the_directory_loses_its_shovel_and_login(linked, tmp_path):
    province = linked["51"]
    try:
        changes = province.link(directory_without("5108", tmp_path))
        assert changes["delete_shovels"] == ["lapor-hub-to-5108"] and changes["delete_users"] == ["hub-5108"]
        assert "lapor-hub-to-5108" not in province.management().shovel_states()
        with pytest.raises(amqp.exceptions.AccessRefused):
            with Connection(linked["5108"].secrets()["neighbours"]["51"]["amqp_uri"]) as connection:
                connection.connect()
    finally:
        changes = province.link()
    assert sorted(changes["put_shovels"]) == ["lapor-hub-to-5108"]
    wait_for(lambda: shovels_running(province, ["lapor-hub-to-5108"]), timeout=30)

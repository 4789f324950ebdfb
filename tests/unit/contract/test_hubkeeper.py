"""The link keeper (contract.hubkeeper): the parent's broker follows the stored directory and the
links of children that joined, with no operator; idempotent; a child without a link is left out."""
from contract import hubkeeper, hublink

FILE_SECRETS = {"hub": "51", "local_amqp_uri": "amqp://lapor:x@127.0.0.1:5882/",
                "local_management_uri": "http://lapor:x@127.0.0.1:16010",
                "inbound": {"ID": {"user": "hub-ID", "password": "i" * 24}, "5108": {"user": "hub-5108", "password": "b" * 24}},
                "neighbours": {"ID": {"amqp_uri": "amqp://hub-51:a@127.0.0.1:5872/"},
                               "5108": {"amqp_uri": "amqp://hub-51:c@127.0.0.1:5902/"}}}
STORED = [{"_id": "ID", "tier": "national", "parent": None}, {"_id": "51", "tier": "province", "parent": "ID"},
          {"_id": "5108", "tier": "district", "parent": "51"}]
LINK = {"_id": "5171", "inbound_password_hash": hublink.password_hash("n" * 48), "neighbour_address": "127.0.0.1:5942",
        "neighbour_password": "p/q" + "p" * 30}


class Collection:
    def __init__(self, docs):
        self.docs = docs

    def find(self, *args):
        return [dict(d) for d in self.docs]


class Database(dict):
    def __init__(self, hubs, links):
        super().__init__(hubs=Collection(hubs), hub_links=Collection(links))


class Broker:
    """What hublink.apply would do to a broker that holds the shovels and link users it was given."""

    def __init__(self):
        self.shovels, self.users, self.calls = {}, {}, 0

    def apply(self, directory, hub, secrets):
        self.calls += 1
        changes = hublink.plan(directory, hub, secrets, self.shovels, list(self.users))
        self.users = dict(changes["put_users"])
        self.shovels = {k: v for k, v in {**self.shovels, **changes["put_shovels"]}.items()
                        if k not in changes["delete_shovels"]}
        return changes


def keeper(database, broker):
    return hubkeeper.LinkKeeper("51", [], FILE_SECRETS, database, apply=broker.apply)


def test_a_child_that_joined_with_its_link_gets_its_user_and_shovel_once_without_an_operator():
    database, broker = Database(STORED, []), Broker()
    link = keeper(database, broker)
    assert link.run_once()["neighbours"] == ["ID", "5108"]
    database["hubs"].docs.append({"_id": "5171", "tier": "district", "parent": "51"})
    database["hub_links"].docs.append(LINK)
    changes = link.run_once()
    assert changes["neighbours"] == ["ID", "5108", "5171"]
    assert hublink.hash_matches("n" * 48, broker.users["hub-5171"])  # the broker gets the hash, never the password
    shovel = broker.shovels["lapor-hub-to-5171"]
    assert shovel["dest-uri"] == "amqp://hub-51:p%2Fq" + "p" * 30 + "@127.0.0.1:5942/%2F"
    assert shovel["dest-publish-properties"] == {"user_id": "hub-51"} and shovel["src-queue"] == "lapor.hubs.out.5171"
    assert link.run_once() is None and broker.calls == 2  # nothing changed: nothing applied again


def test_a_child_that_joined_without_a_link_is_left_out_and_the_others_are_kept():
    stored = STORED + [{"_id": "5171", "tier": "district", "parent": "51"}]
    broker = Broker()
    changes = keeper(Database(stored, []), broker).run_once()
    assert changes["neighbours"] == ["ID", "5108"] and "hub-5171" not in broker.users
    assert set(broker.shovels) == {"lapor-hub-to-ID", "lapor-hub-to-5108"}


def test_a_failed_pass_is_tried_again_and_logs_no_password(capsys):
    class Failing(Broker):
        def apply(self, directory, hub, secrets):
            if self.calls == 0:
                self.calls += 1
                raise ConnectionError(f"refused {secrets['inbound']['5171']['password']}")
            return super().apply(directory, hub, secrets)

    broker = Failing()
    link = keeper(Database(STORED + [{"_id": "5171", "tier": "district", "parent": "51"}], [LINK]), broker)
    link.interval = 0
    link.stopping.wait = lambda _: link.stopping.set() if broker.calls >= 2 else None
    link.loop()
    assert "hub-5171" in broker.users
    assert "n" * 48 not in capsys.readouterr().err

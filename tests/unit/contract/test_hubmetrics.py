"""Link metrics from the management API's answers."""
from contract import hubmetrics


def _samples(families):
    return {(f.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}


def test_a_running_link_is_up_and_a_missing_shovel_is_down_with_its_backlog():
    families = hubmetrics.link_families("51", ["ID", "5108"], {"lapor-hub-to-ID": "running"},
                                        {"lapor.hubs.out.5108": 42, "lapor.hubs.out.ID": 0})
    samples = _samples(families)
    assert samples[("lapor_hub_link_up", (("hub", "51"), ("neighbour", "ID")))] == 1
    assert samples[("lapor_hub_link_up", (("hub", "51"), ("neighbour", "5108")))] == 0
    assert samples[("lapor_hub_link_state", (("hub", "51"), ("neighbour", "5108"), ("state", "absent")))] == 1
    assert samples[("lapor_hub_link_outbound_messages", (("hub", "51"), ("neighbour", "5108")))] == 42


def test_an_unknown_state_counts_as_starting_not_running():
    samples = _samples(hubmetrics.link_families("5108", ["51"], {"lapor-hub-to-51": "blocked"}, {}))
    assert samples[("lapor_hub_link_up", (("hub", "5108"), ("neighbour", "51")))] == 0
    assert samples[("lapor_hub_link_state", (("hub", "5108"), ("neighbour", "51"), ("state", "starting")))] == 1


class StoredHubs:
    """routing's ``hubs`` collection as the link metrics read it (``find``)."""

    def __init__(self, docs):
        self.docs = docs

    def find(self, *args):
        if self.docs is None:
            raise ConnectionError("store away")
        return list(self.docs)


class Broker:
    def shovel_states(self):
        return {"lapor-hub-to-ID": "running"}

    def queue_depths(self, prefix):
        return {}


def test_the_neighbours_follow_the_stored_directory_without_a_restart():
    directory = [{"code": "ID", "tier": "national"}, {"code": "51", "tier": "province", "parent": "ID"}]
    collector = hubmetrics.LinkCollector("51", directory, {"local_management_uri": "http://u:p@127.0.0.1:1"})
    collector.management = Broker()
    stored = [{"_id": "ID", "tier": "national"}, {"_id": "51", "tier": "province", "parent": "ID"}]
    collector.hubs = StoredHubs(stored)
    assert _samples(collector.collect()).get(("lapor_hub_link_up", (("hub", "51"), ("neighbour", "5171")))) is None
    stored.append({"_id": "5171", "level": "district", "parent": "51"})  # a district joined: its entry travelled here
    samples = _samples(collector.collect())
    assert samples[("lapor_hub_link_up", (("hub", "51"), ("neighbour", "5171")))] == 0
    assert samples[("lapor_hub_link_state", (("hub", "51"), ("neighbour", "5171"), ("state", "absent")))] == 1
    collector.hubs = StoredHubs(None)  # the store does not answer: the last known neighbours
    assert ("lapor_hub_link_up", (("hub", "51"), ("neighbour", "5171"))) in _samples(collector.collect())

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

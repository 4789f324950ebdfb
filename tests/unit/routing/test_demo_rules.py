"""The demo registry's rules decide where a report goes (moved down from the integration test
``test_routing_decisions.py``, which keeps one case on the real broker and store): each case is a
report routed by routing's handler on the fake unit of work with the demo registry imported, and
read back through ``disposition`` as the RPC answers it."""
import pytest

from routing import handlers
from tests.unit.routing.fixtures import demo_units, routed

CASES = [
    ({"category_code": "infrastruktur"}, ("unit", "PEMKAB-BULELENG", "BLL-PUPR", "bll-infra")),
    ({"category_code": "infrastruktur", "description": "Jalan nasional Singaraja-Gilimanuk amblas."},
     ("unit", "KEMENPUPR", "PUPR-BPJN-BALI", "bali-jalan-nasional")),
    ({"category_code": "pelayanan-publik", "gesi": ["disability", "women"]},
     ("unit", "PEMKAB-BULELENG", "BLL-DP3A", "bll-gesi-perempuan")),
    ({"category_code": "pelayanan-publik", "gesi": ["disability"]},
     ("unit", "PEMKAB-BULELENG", "BLL-DINSOS", "bll-gesi-disabilitas")),
    ({"category_code": "pelayanan-publik"}, ("agency", "PEMKAB-BULELENG", None, "bll-any")),
    ({"category_code": "listrik", "region_code": "9471"}, ("agency", "PLN", None, "listrik-nasional")),
    # one criterion each: the district's catch-all outranks the national category rule (region first)
    ({"category_code": "listrik", "region_code": "7317"}, ("agency", "PEMKAB-LUWU", None, "lwu-any")),
    ({"category_code": "kesehatan", "region_code": "9471"}, ("national_triage", None, None, None)),
]


@pytest.fixture(scope="module")
def units():
    """One routing with the demo registry for every case: a case only adds its own report."""
    return demo_units()


@pytest.mark.parametrize("overrides,expected", CASES)
def test_demo_rules_decide(units, overrides, expected):
    placed = units.read(handlers.disposition, routed(units, **overrides))
    assert (placed["queue"], placed["agency_code"], placed["unit_code"], placed["rule_id"]) == expected

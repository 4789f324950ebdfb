import itertools
from datetime import datetime, timedelta, timezone

from assessment import kpi

T0 = datetime(2024, 3, 31, 20, 0, tzinfo=timezone.utc)  # 1 April in Asia/Jakarta


def ev(**fields):
    return {"tracking_id": "ID-AAAAA-AAAAM", **fields}


EVENTS = [
    ("report_received", ev(occurred_at=T0, received_at=T0, channel="sms", classification="complaint",
                           category_code="infrastruktur", region_code="6202", gesi=["women", "disability"],
                           is_confidential=True)),
    ("report_dispositioned", ev(occurred_at=T0 + timedelta(hours=1), agency_code="PEMKAB-KOTIM", unit_code=None)),
    ("case_opened", ev(occurred_at=T0 + timedelta(hours=2), opened_at=T0 + timedelta(hours=2),
                       due_at=T0 + timedelta(days=7), agency_code="PEMKAB-KOTIM", unit_code="KTM-PUPR")),
    ("case_updated", ev(occurred_at=T0 + timedelta(hours=5), author_role="liaison")),
    ("case_closed", ev(occurred_at=T0 + timedelta(days=2), on_time=True, opened_at=T0, rating=None)),
    ("case_rated", ev(occurred_at=T0 + timedelta(days=3), rating=4)),
]


def folded(order):
    fact = None
    for event_type, event in order:
        fact = kpi.fold(fact, event_type, event)
    return fact


def test_fold_is_independent_of_arrival_order():
    facts = [folded(order) for order in itertools.permutations(EVENTS)]
    assert all(f == facts[0] for f in facts)
    fact = facts[0]
    assert fact["unit_code"] == "KTM-PUPR" and kpi.status_of(fact) == "closed"


def test_contributions_count_the_report_in_every_cell_by_month_of_receipt():
    cells = kpi.contributions(folded(EVENTS), "Asia/Jakarta")
    assert "*|all|*|2024-04" in cells and "PEMKAB-KOTIM|unit|KTM-PUPR|2024-04" in cells
    assert "*|gesi|women|2024-04" in cells and "*|gesi|disability|2024-04" in cells
    values = cells["*|all|*|2024-04"]
    assert values["completed"] == 1 and values["closed_on_time"] == 1 and values["rating_4"] == 1
    assert values["first_response_s"] == 5 * 3600 and values["closure_s"] == 2 * 86400


def test_reopening_moves_the_report_back_to_unresolved():
    closed = folded(EVENTS)
    reopened = kpi.fold(closed, "case_reopened", ev(occurred_at=T0 + timedelta(days=4)))
    moves = kpi.delta(kpi.contributions(closed, "UTC"), kpi.contributions(reopened, "UTC"))
    assert moves["*|all|*|2024-03"] == {"completed": -1, "unresolved": 1, "closed_on_time": -1, "closure_n": -1,
                                        "closure_s": -2 * 86400, "status_closed": -1, "status_in_follow_up": 1}


def test_nothing_counts_before_the_report_itself_arrives():
    early = kpi.fold(None, "case_closed", ev(occurred_at=T0, on_time=False, opened_at=T0))
    assert kpi.contributions(early, "UTC") == {}

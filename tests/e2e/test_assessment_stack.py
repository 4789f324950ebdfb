"""Assessment on the running stack, through the front door: a real report shows up in the KPIs
and in the public statistics; the seed 004 matrix is scored as published."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.factories import make_report
from tests.waiting import wait_for
from tests.unit.assessment.seeds import KOTIM_2021_SCORES

pytestmark = pytest.mark.e2e


def eventually(probe, timeout=10.0):
    return wait_for(probe, timeout=timeout, interval=0.1)


@pytest.fixture(scope="module")
def tokens(official_headers):
    return {o: official_headers(o) for o in ("adm-kotim", "nas-admin-1")}


def test_report_counts_in_kpis_and_public_statistics(stack, tokens):
    base = stack["base"]
    month = datetime.now(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m")  # the reporting time zone

    def kotim_received():
        body = requests.get(f"{base}/assessments/kpis?period={month}", headers=tokens["adm-kotim"], timeout=5).json()
        return sum(r["received"] for r in body["rows"])
    before = kotim_received()
    requests.post(f"{base}/reports", json=make_report(region_code="6202", category_code="lingkungan"), timeout=10)
    eventually(lambda: kotim_received() == before + 1)
    public = requests.get(f"{base}/stats/public?period={month[:4]}", timeout=5)
    assert public.status_code == 200 and "Jalan rusak" not in public.text
    html = requests.get(f"{base}/assessments/reports/monitoring?period={month}&format=html",
                        headers=tokens["adm-kotim"], timeout=5)
    assert html.status_code == 200 and "<svg" in html.text
    assert "Pemerintah Kabupaten Kotawaringin Timur" in html.text and "PEMKAB-KOTIM" not in html.text  # issue 21


def test_seed_004_matrix_through_the_front_door(stack, tokens):
    response = requests.post(f"{stack['base']}/assessments/agencies/PEMKAB-KOTIM/self-assessments/2021",
                             json={"template_id": "kotim-2021-20", "scores": KOTIM_2021_SCORES},
                             headers=tokens["adm-kotim"], timeout=10)
    assert response.status_code == 201, response.text
    assert [a["mean"] for a in response.json()["aspects"]] == [3.33, 1.80, 2.33, 4.00, 3.00]

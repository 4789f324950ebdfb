"""Test-data factories: one function per thing, overridable field by field."""
from __future__ import annotations

import itertools
from datetime import date, timedelta

_counter = itertools.count(1)


def make_report(**overrides) -> dict:
    """A complete web report (the JSON a citizen's browser sends)."""
    n = next(_counter)
    report = {
        "title": f"Jalan rusak nomor {n}",
        "description": "Jalan berlubang besar di depan SD Negeri 3 Singaraja sejak Senin, "
                       "membahayakan anak sekolah yang lewat setiap pagi.",
        "classification": "complaint",
        "category_code": "infrastruktur",
        "region_code": "5108",
        "location_text": "Jl. Pramuka, Singaraja",
        "incident_date": (date.today() - timedelta(days=3)).isoformat(),
        "reporter": {"name": "Made Wirawan", "email": "made@example.com", "phone": "+6281234567890"},
    }
    report.update(overrides)
    return report

"""The seeds' published self-assessment scores, transcribed as test data."""
from pathlib import Path

import yaml

TEMPLATES = Path(__file__).resolve().parents[3] / "deploy" / "assessment" / "templates"

# seed 004, Tabel 2 (Kotawaringin Timur, 29 November 2021)
KOTIM_2021_SCORES = {str(n): s for n, s in enumerate(
    [4, 3, 3, 4, 4, 2, 3, 3, 1, 1, 1, 3, 1, 3, 4, 4, 4, 3, 3, 3], start=1)}
# seed 002, Tabel 2 (Luwu, 9 September 2021)
LUWU_2021_SCORES = {str(n): s for n, s in enumerate(
    [4, 3, 4, 4, 4, 3, 3, 4, 2, 2, 2, 2, 4, 3, 3, 3, 4, 2, 1, 1, 1, 1], start=1)}


def template(name: str) -> dict:
    with open(TEMPLATES / f"{name}.yml") as handle:
        return yaml.safe_load(handle)

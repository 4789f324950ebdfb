"""The registry names copy in memory (the verbs of ``contract.registry_names.NamesCopy``), for the
handler and page tests of every service that shows names."""
from __future__ import annotations

from contract.registry_names import Names, names_of_registry
from tests.fakes.uow import FakeRepository

DEMO_REGISTRY = {
    "categories": [{"code": "infrastruktur", "name_id": "Infrastruktur (jalan, jembatan, drainase)",
                    "name_en": "Infrastructure (roads, bridges, drainage)"},
                   {"code": "kesehatan", "name_id": "Kesehatan", "name_en": "Health"}],
    "agencies": [{"code": "PEMKAB-BULELENG", "name": "Pemerintah Kabupaten Buleleng"}],
    "units": [{"code": "BLL-PUPR", "name": "Dinas Pekerjaan Umum dan Penataan Ruang Kab. Buleleng"}],
    "regions": [{"code": "5108", "name": "Kabupaten Buleleng"}, {"code": "51", "name": "Provinsi Bali"}],
    "hubs": [{"code": "ID", "name": "Simpul Nasional SP4N-LAPOR!"},
             {"code": "35", "name": "Simpul Provinsi Jawa Timur", "public_url": "http://hub35.example/"}],
}
DEMO_NAMES = names_of_registry(DEMO_REGISTRY)


class FakeNamesCopy(FakeRepository):
    def current(self) -> Names:
        doc = self.collection("registry_names").get("current") or {}
        return Names(doc.get("names"))

    def source(self) -> str | None:
        return (self.collection("registry_names").get("current") or {}).get("source")

    def replace(self, names: dict, source: str = "file") -> int:
        self.uow._writing()
        self.collection("registry_names")["current"] = {"_id": "current", "names": names, "source": source,
                                                        "updated_at": None}
        return sum(len(v) for v in names.values())

    def apply_update(self, names: dict, version: str, updated_at) -> bool:
        stored = self.collection("registry_names").get("current")
        if stored is not None and stored.get("updated_at") is not None and stored["updated_at"] >= updated_at:
            return False
        self.uow._writing()
        self.collection("registry_names")["current"] = {"_id": "current", "names": names, "source": "routing",
                                                        "version": version, "updated_at": updated_at}
        return True


def with_names(units, names: dict | None = None):
    """Give a FakeUnits a names copy (the demo's by default); the units."""
    units.state.setdefault("FakeNamesCopy", {}).setdefault("registry_names", {})["current"] = {
        "_id": "current", "names": DEMO_NAMES if names is None else names, "source": "routing", "updated_at": None}
    return units

"""Registry names for pages: from routing's export, in the page's language, codes when routing is down."""
from contract import registry_names as module


class Routing:
    def __init__(self, registry=None, fail=False):
        self.registry, self.fail, self.calls = registry, fail, 0

    def export_registry(self):
        self.calls += 1
        if self.fail:
            raise RuntimeError("routing is down")
        return self.registry


REGISTRY = {"categories": [{"code": "kesehatan", "name_id": "Kesehatan", "name_en": "Health"}],
            "agencies": [{"code": "PEMKAB-X", "name": "Pemerintah Kabupaten X"}],
            "units": [{"code": "X-PUPR", "name": "Dinas PUPR X"}],
            "hubs": [{"code": "7317", "name": "Simpul Kabupaten Luwu", "public_url": "http://127.0.0.1:11120/"},
                     {"code": "ID", "name": "Simpul Nasional"}]}


def test_names_in_the_page_language_and_cached():
    module._cache.clear()
    routing = Routing(REGISTRY)
    english = module.registry_names(routing, "en")
    assert english["categories"] == {"kesehatan": "Health"} and english["agencies"] == {"PEMKAB-X": "Pemerintah Kabupaten X"}
    assert module.registry_names(routing, "id")["categories"] == {"kesehatan": "Kesehatan"}
    assert english["hubs"] == {"7317": "Simpul Kabupaten Luwu", "ID": "Simpul Nasional"}
    assert english["hub_urls"] == {"7317": "http://127.0.0.1:11120"}
    assert routing.calls == 1


def test_routing_down_gives_no_names_and_no_error():
    module._cache.clear()
    assert module.registry_names(Routing(fail=True), "id") == {"categories": {}, "agencies": {}, "units": {},
                                                                        "hubs": {}, "hub_urls": {}}

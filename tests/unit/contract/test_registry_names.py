"""contract.registry_names: the one way a registry code becomes the name a person reads, the names
``registry_updated`` carries (nothing personal), the ``named`` filter and the copy's use cases."""
from datetime import datetime, timedelta, timezone

from contract import events, registry_names
from contract.registry_names import NO_NAMES, Names, name_of, names_of_registry
from contract.web import Web
from tests.fakes.names import DEMO_REGISTRY, FakeNamesCopy
from tests.fakes.uow import FakeUnits

NAMES = Names(names_of_registry(DEMO_REGISTRY))
T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)


def test_a_code_reads_as_its_name_in_the_readers_language():
    assert name_of(NAMES, "categories", "kesehatan", "id") == "Kesehatan"
    assert name_of(NAMES, "categories", "kesehatan", "en") == "Health"
    assert name_of(NAMES, "units", "BLL-PUPR", "en") == "Dinas Pekerjaan Umum dan Penataan Ruang Kab. Buleleng"
    assert name_of(NAMES, "agencies", "PEMKAB-BULELENG") == "Pemerintah Kabupaten Buleleng"
    assert name_of(NAMES, "regions", "5108", "en") == "Kabupaten Buleleng"
    assert name_of(NAMES, "hubs", "35", "id") == "Simpul Provinsi Jawa Timur"


def test_the_text_channels_uncategorised_is_named_though_the_registry_does_not_list_it():
    assert name_of(NAMES, "categories", "lainnya", "en") == "Other (not yet categorised)"
    assert name_of(NO_NAMES, "categories", "lainnya", "id") == "Lainnya (belum dikategorikan)"


def test_an_unknown_code_reads_as_the_code_and_no_code_as_nothing():
    assert name_of(NAMES, "units", "XX-NEW", "id") == "XX-NEW"
    assert name_of(None, "agencies", "PEMKAB-BULELENG", "en") == "PEMKAB-BULELENG"
    assert name_of(NAMES, "regions", 5108, "id") == "Kabupaten Buleleng"  # a code is a string, even typed as a number
    assert name_of(NAMES, "units", None) == "" and name_of(NAMES, "units", "") == ""


def test_the_code_as_a_secondary_hint_only_where_asked_and_only_beside_a_name():
    assert name_of(NAMES, "units", "BLL-PUPR", "id", hint=True) == \
        "Dinas Pekerjaan Umum dan Penataan Ruang Kab. Buleleng (BLL-PUPR)"
    assert name_of(NAMES, "units", "XX-NEW", "id", hint=True) == "XX-NEW"


def test_the_names_carry_nothing_personal_and_hub_addresses_without_the_trailing_slash():
    registry = {**DEMO_REGISTRY, "units": [{"code": "BLL-PUPR", "name": "Dinas PUPR",
                                            "liaison": {"official_id": "lo-1", "email": "lo@example.go.id",
                                                        "phone": "+62811"}}],
                "agencies": [{"code": "PEMKAB-BULELENG", "name": "Pemkab", "admin": {"email": "adm@example.go.id"}}],
                "officials": [{"official_id": "lo-1", "email": "lo@example.go.id"}]}
    names = names_of_registry(registry)
    assert set(names) == set(registry_names.KINDS)
    assert "@" not in repr(names) and "+62811" not in repr(names) and "lo-1" not in repr(names)
    assert {"code": "35", "id": "Simpul Provinsi Jawa Timur", "en": "Simpul Provinsi Jawa Timur",
            "url": "http://hub35.example"} in names["hubs"]
    assert Names(names).hub_url("35") == "http://hub35.example" and Names(names).hub_url("ID") is None


def test_registry_updated_validates_with_its_names():
    payload = events.build(events.REGISTRY_UPDATED, "ID", version="v1", updated_at=T0, regions=[], categories=[],
                           hubs=[], names=names_of_registry(DEMO_REGISTRY))["payload"]
    loaded = events.load(events.REGISTRY_UPDATED, payload)
    assert name_of(Names(loaded["names"]), "categories", "infrastruktur", "en") == \
        "Infrastructure (roads, bridges, drainage)"


def test_the_named_filter_uses_the_pages_names_and_language():
    env = Web().env
    template = env.from_string('{{ "BLL-PUPR"|named("units") }} · {{ "kesehatan"|named("categories") }}'
                               ' · {{ "kesehatan"|named("categories", lang="id") }}')
    assert template.render(names=NAMES, lang="en") == \
        "Dinas Pekerjaan Umum dan Penataan Ruang Kab. Buleleng · Health · Kesehatan"
    assert template.render(lang="en") == "BLL-PUPR · kesehatan · kesehatan"  # no copy yet: the codes


def test_the_copy_is_loaded_from_the_file_once_then_kept_from_newer_events_only():
    units = FakeUnits({"names": FakeNamesCopy})
    assert units.run(registry_names.load_names_file, DEMO_REGISTRY) > 0
    event = {"version": "v2", "updated_at": T0,
             "names": names_of_registry({"categories": [{"code": "kesehatan", "name_id": "Kesehatan Masyarakat",
                                                         "name_en": "Public health"}]})}
    units.run(registry_names.registry_updated, events.REGISTRY_UPDATED, event)
    assert name_of(units.read(registry_names.current_names), "categories", "kesehatan", "en") == "Public health"
    older = {**event, "version": "v1", "updated_at": T0 - timedelta(hours=1), "names": names_of_registry({})}
    units.run(registry_names.registry_updated, events.REGISTRY_UPDATED, older)  # out of order: ignored
    assert name_of(units.read(registry_names.current_names), "categories", "kesehatan", "en") == "Public health"
    assert units.run(registry_names.load_names_file, DEMO_REGISTRY) is None  # routing's names are kept at a restart

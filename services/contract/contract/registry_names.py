"""Names of the registry's codes (categories, agencies, units, hubs, regions) for everything a
person reads, and the one function that turns a code into its name in the reader's language.

The names travel with routing's ``registry_updated`` (``names``: no officials, no e-mail, no phone);
every service that shows a name keeps a copy in its own store (:class:`NamesCopy`, a repository of
its unit of work), loaded once from the registry file and replaced by each newer event, and reads
names from it. Pages, printable reports and messages call :func:`name_of` (the ``named`` filter in
templates, registered once in ``contract.web``'s environment, which officials' pages share, in
the printable report's and in notification's)::

    {{ report.unit_code|named("units") }}            -> Dinas PUPR Kab. Buleleng
    {{ report.agency_code|named("agencies", hint=True) }}  -> Pemerintah Kabupaten Buleleng (PEMKAB-BULELENG)

An unknown code (or no copy yet) reads as the code itself, so a page never fails for a name.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import yaml
from jinja2 import pass_context

from contract import i18n
from contract.uow import Repository
from contract.vocab import UNCATEGORISED

KINDS = ("categories", "agencies", "units", "hubs", "regions")
COLLECTION = "registry_names"
TTL_SECONDS = 10.0  # how long a process reuses the copy it read (another process may have applied an update)


def names_of_registry(registry: dict) -> dict[str, list[dict]]:
    """What ``registry_updated`` carries as ``names``, from registry collections as routing stores or
    an import file lists them: ``{kind: [{"code", "id", "en", "url"?}]}``. Names only: whatever else an
    entry holds (officials, liaisons' e-mails and phones, keys) is left behind."""
    names: dict[str, list[dict]] = {}
    for kind in KINDS:
        entries = []
        for item in registry.get(kind) or []:
            code = item.get("code", item.get("_id"))
            if code is None:
                continue
            indonesian = item.get("name_id") or item.get("name") or str(code)
            entry = {"code": str(code), "id": indonesian, "en": item.get("name_en") or indonesian}
            if kind == "hubs" and item.get("public_url"):
                entry["url"] = str(item["public_url"]).rstrip("/")
            entries.append(entry)
        names[kind] = sorted(entries, key=lambda e: e["code"])
    return names


class Names:
    """A registry's names by kind and code (what :class:`NamesCopy` holds)."""

    def __init__(self, names: dict | None = None):
        self.by_kind: dict[str, dict[str, dict]] = {
            kind: {str(e["code"]): e for e in (names or {}).get(kind) or []} for kind in KINDS}
        # the text channels' "not yet categorised" is named even where the registry does not list it
        self.by_kind["categories"].setdefault(UNCATEGORISED["code"], {
            "code": UNCATEGORISED["code"], "id": UNCATEGORISED["name_id"], "en": UNCATEGORISED["name_en"]})

    def entry(self, kind: str, code) -> dict | None:
        return self.by_kind.get(kind, {}).get(str(code)) if code not in (None, "") else None

    def known(self, kind: str, code) -> bool:
        return self.entry(kind, code) is not None

    def table(self, kind: str, lang: str) -> dict[str, str]:
        """``{code: name}`` of a kind in ``lang`` (for charts and lists)."""
        return {code: name_of(self, kind, code, lang) for code in self.by_kind.get(kind, {})}

    def hub_url(self, code) -> str | None:
        entry = self.entry("hubs", code)
        return entry.get("url") if entry else None

    def hub_urls(self) -> dict[str, str]:
        return {code: e["url"] for code, e in self.by_kind["hubs"].items() if e.get("url")}


NO_NAMES = Names()


def name_of(names: Names | None, kind: str, code, lang: str = "id", hint: bool = False) -> str:
    """The name of registry ``code`` of ``kind`` in ``lang`` (``id`` or ``en``); with ``hint``, the code
    follows in brackets (``Dinas PUPR Kab. Buleleng (BLL-PUPR)``) where an official may need it.
    An unknown code reads as itself; no code as ``""``."""
    if code is None or code == "":
        return ""
    entry = names.entry(kind, code) if names is not None else None
    if entry is None:
        return str(code)
    name = i18n.localized(entry, lang, "id", "en") or entry.get("id") or str(code)
    return f"{name} ({code})" if hint and name != str(code) else name


def hub_name(names: Names | None, code, lang: str = "id") -> str:
    """A hub as people read it: its name in the registry, else "Simpul 5108" / "Hub 5108" (never the
    bare code)."""
    shown = name_of(names, "hubs", code, lang)
    return i18n.text("relay.hub", lang, code=code) if shown == str(code) else shown


@pass_context
def named(context, code, kind: str, hint: bool = False, lang: str | None = None) -> str:
    """Jinja filter: ``name_of`` with the template's ``names`` and language (``lang`` or ``language``,
    unless ``lang`` is given: a bilingual page shows both)."""
    lang = lang or context.get("lang") or context.get("language") or "id"
    names = context.get("names")
    return name_of(names if isinstance(names, Names) else None, kind, code, lang, hint)


def register(env) -> None:
    """Give a Jinja environment the ``named`` filter (contract.web, officials_web, notification)."""
    env.filters["named"] = named


class NamesCopy(Repository):
    """A service's copy of the registry's names (collection ``registry_names``, one document), read
    once per process for ``TTL_SECONDS`` and replaced by a newer ``registry_updated``."""

    def current(self) -> Names:
        cached = self.uow.shared.get(COLLECTION)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        doc = self.db[COLLECTION].find_one({"_id": "current"}, session=self.session) or {}
        names = Names(doc.get("names"))
        self.uow.shared[COLLECTION] = (time.monotonic() + TTL_SECONDS, names)
        return names

    def source(self) -> str | None:
        doc = self.db[COLLECTION].find_one({"_id": "current"}, {"source": 1}, session=self.session)
        return doc.get("source") if doc else None

    def replace(self, names: dict, source: str = "file") -> int:
        """Replace the copy (the registry file at start); the number of names."""
        self.uow.save(COLLECTION, {"_id": "current", "names": names, "source": source, "updated_at": None,
                                   "loaded_at": self.uow.now()}, upsert=True)
        self.uow.after_commit(self._forget)
        return sum(len(v) for v in names.values())

    def apply_update(self, names: dict, version: str, updated_at) -> bool:
        """routing's names after an import; False when the copy is as new or newer."""
        stored = self.uow.read(COLLECTION, "current")
        if stored is not None and stored.get("updated_at") is not None and stored["updated_at"] >= updated_at:
            return False
        doc = {"_id": "current", "names": names, "source": "routing", "version": version,
               "updated_at": updated_at, "loaded_at": self.uow.now()}
        if stored is None:
            self.uow.save(COLLECTION, doc, upsert=True)
        else:  # unless another unit changed it meanwhile (then this one runs again)
            self.uow.save(COLLECTION, doc, expect={"updated_at": stored.get("updated_at")})
        self.uow.after_commit(self._forget)
        return True

    def _forget(self) -> None:
        self.uow.shared.pop(COLLECTION, None)


# --- the use cases every service shares (its EVENTS table and its store's setup point here) -----------

def registry_updated(uow, event_type: str, event: dict) -> None:
    """routing imported a registry: keep its names (events without names, from an older routing,
    change nothing)."""
    if event.get("names") is not None:
        uow.names.apply_update(event["names"], event["version"], event["updated_at"])


def load_names_file(uow, registry: dict) -> int | None:
    """The names of a registry file (at start), unless routing has sent its names."""
    if uow.names.source() == "routing":
        return None
    return uow.names.replace(names_of_registry(registry))


def current_names(uow) -> Names:
    """The copy's names (a read-only unit's handler for pages)."""
    return uow.names.current()


def load_file_at_setup(store, config: dict, log) -> None:
    """A store's ``setup`` step: the names of ``REGISTRY_FILE`` (else the demo region of a local
    checkout) unless routing's are already kept."""
    configured = config.get("REGISTRY_FILE") or ""
    root = os.environ.get("LAPOR_ROOT")
    path = Path(configured) if configured else (Path(root) / "deploy" / "demo" / "region.yml" if root else None)
    if path is None or not path.exists():
        return
    with open(path, encoding="utf-8") as handle:
        registry = yaml.safe_load(handle) or {}
    count = store.units().run(load_names_file, registry)
    if count:
        log.info("%s: %d registry names loaded from %s", store.container.service_name, count, path)


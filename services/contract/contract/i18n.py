"""The one translation mechanism (issue 24): every text a person reads, in every service, template
and message, comes from a YAML catalogue of ``key: {id: ..., en: ...}`` through ``Catalogue``.

- ``messages.yml`` (contract: shared texts such as the API's error messages and month names;
  each service: its own) and ``officials.yml`` (officials' pages) are catalogues; notification's
  messages are one catalogue too (``notification/messages.yml``: subject, text and SMS of each
  message, each under one key with both languages).
- ``catalogue(*paths)`` loads files once per process (a later file overrides an earlier one);
  ``text(key, lang, **values)`` reads the contract's shared catalogue.
- A key must have non-empty ``id`` and ``en`` texts with the same ``{placeholders}``: refused at
  load otherwise, so a missing translation fails at start and in the unit tests, never at a reader.
- ``localized(entry, lang, ...)`` picks the reader's language out of bilingual *data* (a
  registry's ``name_id``/``name_en``), the one place code chooses a field by language.
"""
from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

import yaml

# libyaml's parser where PyYAML was built with it (ten times faster than the pure-Python one)
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
HERE = Path(__file__).parent
COMMON_MESSAGES = HERE / "messages.yml"
OFFICIAL_MESSAGES = HERE / "officials.yml"

LANGS = ("id", "en")
DEFAULT_LANG = "id"
OTHER_LANGUAGE = dict(zip(LANGS, reversed(LANGS)))  # id -> en, en -> id
# ``{name}`` / ``{name:>3}`` as str.format fills them (``{{ jinja }}`` is not one)
PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)(?:[:!][^{}]*)?\}(?!\})")


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a text is filled with."""
    return set(PLACEHOLDER.findall(template))


class Catalogue:
    """Messages by key in both languages, from YAML files of ``key: {id: ..., en: ...}``;
    a later file overrides an earlier one. A key missing a language, or whose languages name
    different placeholders, is refused at load."""

    def __init__(self, *paths: Path | str):
        self.messages: dict[str, dict[str, str]] = {}
        for path in paths:
            for key, texts in _parsed(path).items():
                if not isinstance(texts, dict) or any(not isinstance(texts.get(lang), str) or not texts[lang]
                                                      for lang in LANGS):
                    raise ValueError(f"{path}: message {key!r} needs non-empty 'id' and 'en' texts")
                if placeholders(texts["id"]) != placeholders(texts["en"]):
                    raise ValueError(f"{path}: message {key!r} names different placeholders in 'id' and 'en'")
                self.messages[str(key)] = dict(texts)

    def text(self, key: str, lang: str, **values) -> str:
        """The message in ``lang`` with ``{name}`` placeholders filled; an unknown key raises."""
        entry = self.messages.get(key)
        if entry is None:
            raise KeyError(f"no message {key!r}")
        template = entry[lang if lang in LANGS else DEFAULT_LANG]
        return template.format(**values) if values else template

    def both(self, key: str, **values) -> dict[str, str]:
        """``{"id": ..., "en": ...}``: the message in every language (for payloads that carry both)."""
        return {lang: self.text(key, lang, **values) for lang in LANGS}

    def keys(self, prefix: str = "") -> list[str]:
        """The keys that start with ``prefix``, sorted."""
        return sorted(k for k in self.messages if k.startswith(prefix))

    def __contains__(self, key: str) -> bool:
        return key in self.messages


def _parsed(path: Path | str) -> dict:
    """The file's YAML, parsed once per version of the file (each service's pages, mails and
    checks build catalogues of the same few files; a test process builds hundreds)."""
    stat = Path(path).stat()
    return _parse(str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _parse(path: str, mtime_ns: int, size: int) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=YAML_LOADER) or {}


@functools.lru_cache(maxsize=None)
def _load(paths: tuple[str, ...]) -> Catalogue:
    return Catalogue(*paths)


def catalogue(*paths: Path | str) -> Catalogue:
    """The catalogue of these files (contract's shared messages first by convention), loaded once."""
    return _load(tuple(str(Path(p).resolve()) for p in paths))


def of_service(package: str) -> Catalogue:
    """A service's catalogue: the contract's shared messages, then the service package's
    ``messages.yml`` (``of_service("intake")``)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"no service package {package!r}")
    return catalogue(COMMON_MESSAGES, Path(list(spec.submodule_search_locations)[0]) / "messages.yml")


def common() -> Catalogue:
    """The contract's shared catalogue (error messages, dates, shared page texts)."""
    return catalogue(COMMON_MESSAGES)


def text(key: str, lang: str, **values) -> str:
    """A shared message (contract ``messages.yml``) in ``lang``."""
    return common().text(key, lang, **values)


def localized(entry: dict, lang: str, id_field: str = "name_id", en_field: str = "name_en"):
    """The reader's language out of bilingual data (``{"name_id": ..., "name_en": ...}``; None if
    that field is missing: the caller chooses the fallback)."""
    return entry.get({"en": en_field}.get(lang, id_field))


def other_language(lang: str) -> str:
    """The language the reader did not choose (Open311's description carries the other name)."""
    return OTHER_LANGUAGE.get(lang, "en")

"""Message templates per event and language, rendered with Jinja2.

``messages.yml`` (the contract.i18n catalogue format: ``key: {id: ..., en: ...}``) holds each
message's subject, text and (for reporters) SMS text, both languages under one key.
Text is rendered without escaping; the HTML mail is the text placed in an autoescaped layout,
so anything a person typed (an answer excerpt, a reason) can never become markup.  Undefined
variables are errors (StrictUndefined): a template that cannot render is dead-lettered with the
reason, never sent half-empty.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import DictLoader, Environment, StrictUndefined, pass_context

from contract import i18n, registry_names, routes, webdates
from notification.domain import CONTEXT_FIELDS, OFFICIAL_TEMPLATES
from notification.delivery import SMS_LIMIT, SOCIAL_LIMIT, fit
from notification.exceptions import PermanentError

LANGUAGES = i18n.LANGS
DEFAULT_LANGUAGE = i18n.DEFAULT_LANG
MESSAGES = Path(__file__).resolve().parent / "messages.yml"  # the one catalogue of every message

TEXT_LAYOUT = """{{ greeting }}

{{ body }}
{% if tracking_url %}
{{ labels.track }}: {{ tracking_url }}
{% endif %}
--
{{ labels.footer }}
"""

HTML_LAYOUT = """<!doctype html>
<html lang="{{ language }}"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family:sans-serif;font-size:16px;line-height:1.5;color:#111">
<p>{{ greeting }}</p>
{% for paragraph in paragraphs %}<p>{{ paragraph }}</p>
{% endfor %}{% if tracking_url %}<p><a href="{{ tracking_url }}">{{ labels.track }}: {{ tracking_id }}</a></p>
{% endif %}<p style="color:#555;font-size:13px">{{ labels.footer }}</p>
</body></html>
"""


@dataclass(frozen=True)
class Message:
    """A rendered message: subject, text and HTML for email; ``text`` alone for SMS/social."""
    subject: str | None
    text: str
    html: str | None = None


def load_catalogue() -> dict[str, dict]:
    """{language: {"labels": ..., "templates": {name: {subject, text, sms?}}}} from notification's
    catalogue (``messages.yml``, read by contract.i18n like every other catalogue): ``label.a.b``
    becomes ``labels["a"]["b"]``, ``<message>.<part>`` a template's part."""
    texts = i18n.catalogue(MESSAGES)
    catalogue = {}
    for language in LANGUAGES:
        labels: dict = {}
        templates: dict[str, dict[str, str]] = {}
        for key in texts.keys():
            source = texts.text(key, language)
            if key.startswith("label."):
                *parents, leaf = key.split(".")[1:]
                node = labels
                for parent in parents:
                    node = node.setdefault(parent, {})
                node[leaf] = source
            else:
                name, part = key.rsplit(".", 1)
                templates.setdefault(name, {})[part] = source
        catalogue[language] = {"labels": labels, "templates": templates}
    return catalogue


def _beside(tracking_base_url: str, path: str) -> str:
    """``https://host/lacak/`` -> ``https://host`` + ``path`` (``/petugas/laporan/``)."""
    root = tracking_base_url.rstrip("/").rsplit("/", 1)[0]
    return root + path


class Renderer:
    """Renders a notification's template for a channel, in the recipient's language."""

    def __init__(self, tracking_base_url: str, timezone: str = "Asia/Jakarta", catalogue: dict | None = None,
                 officials_base_url: str | None = None):
        """``tracking_base_url``: the citizen's tracking page (``…/lacak/``) a reporter's message links
        to; ``officials_base_url``: the report's officials' page (``…/petugas/laporan/``) an
        official's message links to (by default beside the tracking page)."""
        self.tracking_base_url = tracking_base_url
        self.officials_base_url = officials_base_url or _beside(tracking_base_url, routes.prefix("official_report"))
        self.timezone = timezone
        self.catalogue = catalogue or load_catalogue()
        sources = {"layout.txt": TEXT_LAYOUT, "layout.html": HTML_LAYOUT}
        for language, entry in self.catalogue.items():
            sources[f"{language}/greeting"] = entry["labels"]["greeting"]
            for name, parts in entry["templates"].items():
                for part, source in parts.items():
                    sources[f"{language}/{name}/{part}"] = source
        self.text_env = self._env(sources, autoescape=False)
        self.html_env = self._env(sources, autoescape=True)

    def _env(self, sources: dict, autoescape) -> Environment:
        env = Environment(loader=DictLoader(sources), autoescape=autoescape, undefined=StrictUndefined,
                          keep_trailing_newline=False, trim_blocks=False)
        env.filters.update(when=self.when, day=self.day, link=self.link, fieldnames=_fieldnames)
        registry_names.register(env)  # ``code|named(kind)``: the registry's names in the message's language
        return env

    def templates(self, language: str = DEFAULT_LANGUAGE) -> list[str]:
        return sorted(self.catalogue[language]["templates"])

    def link(self, tracking_id: str | None, template: str | None = None) -> str:
        """The page a person can use: the officials' page for an official's message, else the
        citizen's tracking page (never the JSON API)."""
        if not tracking_id:
            return ""
        base = self.officials_base_url if template in OFFICIAL_TEMPLATES else self.tracking_base_url
        return f"{base}{tracking_id}"

    def _where(self, context) -> str:
        """The one time zone rule: the zone of the report's region, else the hub's configured zone."""
        return context.get("region_code") or self.timezone

    @pass_context
    def when(self, context, value) -> str:
        """A time as ``25 November 2026, 18:00 WITA`` (contract.webdates.local_time): in the zone of
        the report's region, with the zone's name, in the message's language."""
        shown = webdates.local_time(value, self._where(context), context.get("language") or DEFAULT_LANGUAGE)
        if not shown:
            raise ValueError(f"not a time: {value!r}")
        return shown

    @pass_context
    def day(self, context, value) -> str:
        """The day of a time in the report region's zone, ``1 Desember 2026``."""
        shown = webdates.local_time(value, self._where(context), context.get("language") or DEFAULT_LANGUAGE,
                                    with_time=False)
        if not shown:
            raise ValueError(f"not a date: {value!r}")
        return shown

    def render(self, template: str, language: str, channel: str, context: dict, name: str | None = None,
               names: registry_names.Names | None = None, tracking_url: str | None = None) -> Message:
        """The message for ``channel`` (email, sms, social); PermanentError if it cannot be made.
        ``names``: the registry's names (the service's copy), so that a code reads as its name.
        ``tracking_url``: the reporter's page when it is not this hub's (a report filed at another
        hub: intake's contact names the page where they filed, issue 19)."""
        language = language if language in self.catalogue else DEFAULT_LANGUAGE
        entry = self.catalogue[language]
        if template not in entry["templates"]:
            raise PermanentError(f"no template {template!r} in language {language!r}")
        labels = entry["labels"]
        variables = {**dict.fromkeys(CONTEXT_FIELDS), **context, "labels": labels, "language": language, "name": name,
                     "tracking_id": context.get("tracking_id"), "tracking_url": tracking_url or self.link(context.get("tracking_id"), template),
                     "names": names or registry_names.NO_NAMES}
        try:
            if channel in ("sms", "social"):
                if "sms" not in entry["templates"][template]:
                    raise PermanentError(f"template {template!r} has no short text for {channel}")
                text = self.text_env.get_template(f"{language}/{template}/sms").render(variables)
                return Message(None, fit(text, SMS_LIMIT if channel == "sms" else SOCIAL_LIMIT, channel))
            return self._email(template, language, variables)
        except PermanentError:
            raise
        except Exception as exc:  # TemplateError, or a filter given a bad value: never sent half-made
            raise PermanentError(f"template {template!r} ({language}) failed to render: {exc}") from exc

    def _email(self, template: str, language: str, variables: dict) -> Message:
        text_env = self.text_env
        subject = " ".join(text_env.get_template(f"{language}/{template}/subject").render(variables).split())
        body = text_env.get_template(f"{language}/{template}/text").render(variables).strip()
        greeting = text_env.get_template(f"{language}/greeting").render(variables)
        page = {**variables, "subject": subject, "greeting": greeting, "body": body,
                "paragraphs": [p.strip() for p in body.split("\n\n") if p.strip()]}
        text = text_env.get_template("layout.txt").render(page)
        html = self.html_env.get_template("layout.html").render(page)
        return Message(subject, text, html)


@pass_context
def _fieldnames(context, names) -> str:
    """Field names (``incident_date``) as the reader's words (``tanggal kejadian``)."""
    labels = context.get("labels") or {}
    fields = labels.get("fields", {}) if isinstance(labels, dict) else {}
    return ", ".join(fields.get(n, n) for n in (names or []))

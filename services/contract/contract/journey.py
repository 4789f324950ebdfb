"""A report's steps as people read them (issue 21).

- ``step_label``: the one label of every history step, from the ``step.*`` messages of the
  contract's catalogue (``messages.yml``); intake's tracking history and follow-up's case history
  both read it (follow-up's own step names are aliases of the same steps).
- ``reporter_timeline``: the reporter's timeline on ``/lacak``: only what a reporter cares about
  (received, checked, passed to an agency or hub by name, handled by a unit by name, answered,
  closed, reopened, archived, and a hub that could not take it), each once; notification bookkeeping, deadlines, escalations and
  duplicate hints stay on the officials' side.
- ``next_step``: what the reporter must do next, from the report's status.

Plain functions on plain dicts: no nameko, so that domain modules may use them (the texts are
read from the same file ``contract.web.Catalogue`` reads for pages).
"""
from __future__ import annotations

from contract import i18n
from contract.registry_names import Names, name_of


def _text(key: str, lang: str, **values) -> str:
    return i18n.text(key, lang, **values)


# follow-up's case history names the same steps differently
ALIASES = {"report_dispositioned": "dispositioned", "report_verified": "verified", "report_returned": "returned",
           "report_postponed": "postponed", "report_archived": "archived", "due_soon": "case_due_soon",
           "overdue": "case_overdue", "escalated": "case_escalated"}

# history step -> the reporter's step (None: not shown to the reporter); "holder" steps are
# decided by their detail (an agency, a unit or another hub, by name)
REPORTER_STEP = {"draft_saved": "draft", "received": "received", "hub_received": "received",
                 "completed": "completed", "verified": "verified", "dispositioned": "holder",
                 "hub_dispositioned": "holder", "forwarded": "holder", "hub_accepted": "holder",
                 "case_answered": "answered", "hub_answered": "answered", "resolved_by_unit": "answered",
                 "case_closed": "closed", "hub_closed": "closed", "case_reopened": "reopened",
                 "archived": "archived", "hub_archived": "archived", "hub_returned": "came_back"}
NEXT_OF_STATUS = {"incomplete": "incomplete", "answered": "answered", "closed": "closed", "archived": "archived"}


def step_label(step: str, lang: str) -> str:
    """The label of a history step in ``lang`` (the step's own name if the catalogue lacks it)."""
    key = f"step.{ALIASES.get(step, step)}"
    return _text(key, lang) if key in i18n.common() else step


def step_labels() -> dict[str, tuple[str, str]]:
    """Every labelled step: ``{step: (Indonesian, English)}``."""
    catalogue = i18n.common()
    return {key[5:]: (catalogue.text(key, "id"), catalogue.text(key, "en")) for key in catalogue.keys("step.")}


def _holder(detail: dict, names, lang: str) -> tuple[str, str] | None:
    """("handled_by" | "forwarded_to", name) of a step that put the report in someone's hands."""
    if detail.get("unit_code"):
        return "handled_by", name_of(names, "units", detail["unit_code"], lang)
    if detail.get("agency_code"):
        return "forwarded_to", name_of(names, "agencies", detail["agency_code"], lang)
    hub = detail.get("target_hub") or detail.get("hub")
    if hub:
        return "forwarded_to", name_of(names, "hubs", str(hub), lang)
    return None


def reporter_timeline(history: list[dict], lang: str, names: Names | None = None) -> list[dict]:
    """The reporter's steps, oldest first, each once (answered and closed again after a reopening):
    ``[{"at", "step", "label"}]`` with agencies, units and hubs by name (``names``: the service's copy,
    ``contract.registry_names``; the code stands in for an unknown one)."""
    shown, seen, round_ = [], set(), 0
    for entry in history:
        step = REPORTER_STEP.get(entry.get("step"))
        if step is None:
            continue
        values = {}
        if step == "holder":
            holder = _holder(entry.get("detail") or {}, names, lang)
            if holder is None:
                continue
            step, values["name"] = holder
        if step == "reopened":
            round_ += 1
        key = (step, values.get("name"), round_ if step in ("answered", "closed", "reopened") else 0)
        if key in seen:
            continue
        seen.add(key)
        shown.append({"at": entry["at"], "step": step, "label": _text(f"journey.{step}", lang, **values)})
    return shown


def next_step(status: str, lang: str) -> str:
    """What the reporter must do next, for a report in ``status``."""
    return _text(f"journey.next.{NEXT_OF_STATUS.get(status, 'wait')}", lang)

"""Which hub a report may be sent to from here (issue 18: no report without a holder).

Routing (the forward form, the forward API, its own rules) and intake (the transfer it stages)
ask the same question, so the answer lives in the contract. A report's *path* is the hop chain
it arrived with (``forwarded_in.hops`` at intake, ``hub_path`` on ``report_received``): every hub
it has been at, relays included, ending with this one. A message never visits a hub twice, so a
target is refused when it is this hub, unknown, without a public key to seal for, already on
the path, or reachable only through a hub already on the path. Pure functions on plain dicts.
"""
from __future__ import annotations

from typing import Iterable, Mapping, NamedTuple

from contract import hubnet, i18n


class Refusal(NamedTuple):
    """Why a report cannot go to a hub: a code and a message in English and Bahasa Indonesia
    (the contract catalogue's ``hub.refusal.*``)."""
    code: str
    en: str
    id: str


def _refused(code: str, why: str, **values) -> Refusal:
    return Refusal(code, *(i18n.text(f"hub.refusal.{why}", lang, **values) for lang in ("en", "id")))


def refusal(directory: Iterable[Mapping], here: str, target: str, path: Iterable[str] = ()) -> Refusal | None:
    """Why a report at ``here`` that came along ``path`` cannot be sent to ``target`` (None: it can)."""
    return _refusal(_by_code(directory), here, target, [str(code) for code in path or ()])


def targets(directory: Iterable[Mapping], here: str, path: Iterable[str] = ()) -> list[Mapping]:
    """The directory entries a report at ``here`` that came along ``path`` can be sent to."""
    directory = list(directory)
    hubs, visited = _by_code(directory), [str(code) for code in path or ()]
    return [h for h in directory if _refusal(hubs, here, str(h.get("code")), visited) is None]


def _by_code(directory: Iterable[Mapping]) -> dict[str, Mapping]:
    return {str(h.get("code")): h for h in directory}


def _up(hubs: Mapping[str, Mapping], code: str) -> list[str]:
    """``code`` and its ancestors, nearest first (a broken chain: DirectoryError)."""
    chain = [code]
    while hubs[chain[-1]].get("parent"):
        parent = str(hubs[chain[-1]]["parent"])
        if parent in chain or parent not in hubs:
            raise hubnet.DirectoryError([f"hub {chain[-1]}: parent chain broken at {parent}"])
        chain.append(parent)
    return chain


def _route(hubs: Mapping[str, Mapping], source: str, target: str) -> list[str]:
    """The hubs from ``source`` to ``target`` along the tree, both included (``hubnet.path``)."""
    up, down = _up(hubs, source), _up(hubs, target)
    common = next(code for code in up if code in down)
    return up[: up.index(common) + 1] + list(reversed(down[: down.index(common)]))


def _refusal(hubs: Mapping[str, Mapping], here: str, target: str, visited: list[str]) -> Refusal | None:
    if target == here:
        return _refused("this_hub", "this_hub")
    entry = hubs.get(target)
    if entry is None:
        return _refused("unknown_hub", "unknown_hub", target=target)
    if target in visited:
        return _refused("visited", "visited", target=target, path=" -> ".join(visited))
    if not entry.get("public_key"):
        return _refused("no_key", "no_key", target=target)
    try:
        route = _route(hubs, here, target)
    except (KeyError, StopIteration, hubnet.DirectoryError):
        return _refused("no_route", "no_route", here=here, target=target)
    crossed = [code for code in route[1:-1] if code in visited]
    if crossed:
        return _refused("visited", "crossed", target=target, crossed=crossed[0])
    return None

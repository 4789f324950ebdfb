"""One crawler for the e2e scans (issue 20): given a session (a role's cookies or Bearer token),
follow every same-site link from the role's start pages, breadth first and bounded, with GET only.

``walk`` returns every page it opened (path and response); the tests then assert what must hold of
all of them: no 5xx and no Python traceback (tests/e2e/test_every_page.py), no reporter identity on
an official's page (tests/e2e/test_intake_canaries.py).
"""
from __future__ import annotations

import html
import re
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

LINK = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']([^"'#]*)""", re.IGNORECASE)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# links a walk never follows: they end the session or download the same file under every name
NEVER = ("/petugas/keluar", "/static/", "/assets/")
TRACEBACK = ("Traceback (most recent call last)", 'File "/', "jinja2.exceptions", "UndefinedError")


@dataclass
class Page:
    path: str
    status: int
    content_type: str
    text: str


def same_site(base: str, current: str, link: str) -> str | None:
    """The path (with query) of ``link`` seen from ``current`` if it stays on ``base``'s origin."""
    absolute = urljoin(base + current, html.unescape(link.strip()))
    parts, origin = urlsplit(absolute), urlsplit(base)
    if parts.scheme not in ("http", "https") or parts.netloc != origin.netloc:
        return None
    path = parts.path or "/"
    return path + (f"?{parts.query}" if parts.query else "")


def links_of(base: str, current: str, page: Page) -> list[str]:
    if "html" not in page.content_type:
        return []
    found = (same_site(base, current, link) for link in LINK.findall(page.text))
    return [p for p in found if p and not p.startswith(NEVER)]


def walk(session: requests.Session, base: str, starts: list[str], limit: int = 250,
         per_route: int = 12, seen: set[str] | None = None) -> list[Page]:
    """Open ``starts`` and every same-site page linked from what was opened (GET, redirects
    followed by hand so that each hop is checked), at most ``limit`` pages and ``per_route`` per
    path without its query (inbox filters, pages of a list). ``seen``: paths already opened in the
    same kind of session by an earlier walk (not opened again; this walk's are added)."""
    queue, per, pages = deque(starts), {}, []
    seen = set() if seen is None else seen
    while queue and len(pages) < limit:
        path = queue.popleft()
        route = path.split("?", 1)[0]
        if path in seen or per.get(route, 0) >= per_route:
            continue
        seen.add(path)
        per[route] = per.get(route, 0) + 1
        response = session.get(base + path, timeout=20, allow_redirects=False)
        if response.status_code == 503 and response.headers.get("Retry-After"):
            # the page's truthful "try again" (a service busy past its deadline on a loaded machine):
            # asked once more; a second 503 counts
            time.sleep(min(3.0, float(response.headers["Retry-After"] or 1)))
            response = session.get(base + path, timeout=20, allow_redirects=False)
        page = Page(path, response.status_code, response.headers.get("Content-Type", ""),
                    response.content.decode("utf-8", "replace"))
        pages.append(page)
        if 300 <= response.status_code < 400 and response.headers.get("Location"):
            target = same_site(base, path, response.headers["Location"])
            if target and not target.startswith(NEVER):
                queue.append(target)
        queue.extend(link for link in links_of(base, path, page) if link not in seen)
    return pages


def server_errors(pages: list[Page], who: str) -> list[str]:
    """Every page that answered 5xx or shows a Python traceback, as ``who GET path: status``."""
    return [f"{who} GET {p.path}: {p.status}" for p in pages
            if p.status >= 500 or any(marker in p.text for marker in TRACEBACK)]


def csrf_token(session: requests.Session, base: str, path: str) -> str | None:
    """The CSRF token of the form on ``path`` (the session keeps its cookie); None without a form."""
    found = CSRF.search(session.get(base + path, timeout=20).text)
    return html.unescape(found.group(1)) if found else None

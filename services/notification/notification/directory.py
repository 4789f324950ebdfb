"""Notification's contact directory: contacts asked for at send time, a reporter's from intake and
officials' from routing (RPC with a timeout), never written anywhere."""
from __future__ import annotations

import logging
import time

from nameko.exceptions import RemoteError
from nameko.extensions import DependencyProvider
from nameko.rpc import ReplyListener, ServiceProxy

from contract.rpc import RpcRefused, TypedProxy, Unavailable, call_within
from notification.exceptions import PermanentError, TransientError

log = logging.getLogger(__name__)
CONTACTS_PER_CALL = 200  # intake's reporter_contacts takes at most this many refs


class DirectoryClient:
    """Contacts at send time: ``reporter(ref)`` from intake, ``officials(ref)`` from routing."""

    def __init__(self, intake: TypedProxy, routing: TypedProxy, provider: "Directory"):
        self._intake = intake
        self._routing = routing
        self._provider = provider

    def reporter(self, reporter_ref: str) -> dict:
        contact = self._call(self._intake, "intake.reporter_contact", reporter_ref)
        if not contact:
            raise PermanentError(f"intake knows no reporter {reporter_ref}")
        return contact

    def reporters(self, reporter_refs: list[str]) -> dict[str, dict]:
        """The contacts of a batch's reporters, by reporter_ref, in one RPC per ``CONTACTS_PER_CALL``
        refs (intake's limit); a reporter intake does not know is absent from the answer."""
        refs = sorted(set(reporter_refs))
        found: dict[str, dict] = {}
        for start in range(0, len(refs), CONTACTS_PER_CALL):
            chunk = refs[start:start + CONTACTS_PER_CALL]
            for contact in self._call(self._intake, "intake.reporter_contacts", chunk,
                                      timeout=self._provider.batch_timeout) or []:
                found[contact["reporter_ref"]] = contact
        return found

    def completion_link(self, reporter_ref: str, notification_id: str) -> dict | None:
        """A social draft's fresh one-time completion link for this notification (intake mints it;
        None when the draft is no longer one a link may complete)."""
        return self._call(self._intake, "intake.completion_link", reporter_ref, notification_id)

    def officials(self, recipient_ref: str) -> list[dict]:
        cached = self._provider.cache.get(recipient_ref)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        officials = self._call(self._routing, "routing.recipients", recipient_ref) or []
        self._provider.cache[recipient_ref] = (time.monotonic() + self._provider.ttl, officials)
        return officials

    def report_standing(self, tracking_id: str) -> dict | None:
        """Where a report stands now (``routing.disposition``: agency, unit, ...), None if unknown."""
        return self._call(self._routing, "routing.disposition", tracking_id)

    def _call(self, proxy, method: str, *args, timeout: float | None = None):
        """``method`` answered within ``timeout`` (the directory's, by default; ``contract.rpc.call_within``),
        or ``TransientError``, so the notification is tried again with backoff and, after the last
        attempt, dead-lettered (an operator replays it once the cause is fixed): the other service not
        answering (``Unavailable``: its reason), and also failing (its ``RemoteError``, named by the
        remote exception's type) or a call or reply the contract refuses (``RpcRefused``): a bug at
        one end, logged as an error; a defect of this side too (logged), so that the courier's batch
        carries on with its other notifications. Only type names are recorded: an error's text may
        hold a contact."""
        try:
            return call_within(timeout or self._provider.timeout, proxy, method, *args)
        except Unavailable as exc:
            raise TransientError(str(exc)) from None
        except (RemoteError, RpcRefused) as exc:
            failure = exc.exc_type if isinstance(exc, RemoteError) else type(exc).__name__
            log.error("notification: %s failed: %s", method, failure)
            raise TransientError(f"{method} failed: {failure}") from None
        except Exception as exc:  # this side's defect (e.g. the broker refusing the call): the batch goes on
            log.error("notification: %s: unexpected %s", method, type(exc).__name__)
            raise TransientError(f"{method}: unexpected {type(exc).__name__}") from None


class Directory(DependencyProvider):
    """RPC to intake and routing with a timeout (nameko's own proxies wait forever)."""

    rpc_reply_listener = ReplyListener()

    def setup(self):
        # nameko logs every RPC reply body at DEBUG: a reporter's contact must never reach a log
        rpc_log = logging.getLogger("nameko.rpc")
        rpc_log.setLevel(max(logging.INFO, rpc_log.level))
        config = self.container.config
        self.timeout = float(config.get("DIRECTORY_TIMEOUT_SECONDS", 5))
        # one call answers a whole claimed batch, so it may wait longer (behind intake's queue) than
        # one contact would: a timeout sends every reporter message of the batch back to the backoff
        self.batch_timeout = float(config.get("DIRECTORY_BATCH_TIMEOUT_SECONDS", 30))
        self.ttl = float(config.get("OFFICIALS_CACHE_SECONDS", 30))  # officials' work contacts only
        self.cache: dict[str, tuple[float, list]] = {}

    def get_dependency(self, worker_ctx):
        return DirectoryClient(TypedProxy(ServiceProxy(worker_ctx, "intake", self.rpc_reply_listener), "intake"),
                               TypedProxy(ServiceProxy(worker_ctx, "routing", self.rpc_reply_listener), "routing"), self)

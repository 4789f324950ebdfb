"""The channels' clients, each a DependencyProvider with one narrow verb.

Email through SMTP, SMS through an HTTP SMS gateway, replies through the social channel's reply
hook, and webhooks to subscribed systems.  Every failure is raised as a TransientError (worth
retrying: unreachable, timeout, 5xx, 429, SMTP 4xx) or a PermanentError (not configured, 4xx,
SMTP 5xx).  Settings come from the service config (environment); nothing secret is in the repo.
"""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

import requests
from nameko.extensions import DependencyProvider

from notification import delivery
from notification.exceptions import PermanentError, TransientError
from notification.templates import Message

HTTP_RETRYABLE = {408, 425, 429, 500, 502, 503, 504}


def _flag(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class Mailer(DependencyProvider):
    """``send(to, message, message_id, language)`` through the configured SMTP server.

    Open connections are kept (up to SMTP_POOL_SIZE) and reused: a TLS handshake and login per
    message would dominate delivery time.  A connection that fails is dropped, never reused.
    """

    def setup(self):
        config = self.container.config
        self.host = config.get("SMTP_HOST", "127.0.0.1")
        self.port = int(config.get("SMTP_PORT", 1025))
        self.sender = config.get("SMTP_SENDER", "LAPOR! <no-reply@lapor.example.go.id>")
        self.username = config.get("SMTP_USERNAME") or None
        self.password = config.get("SMTP_PASSWORD") or None
        self.starttls = _flag(config.get("SMTP_STARTTLS", False))
        self.timeout = float(config.get("SMTP_TIMEOUT_SECONDS", 10))
        self.pool_size = int(config.get("SMTP_POOL_SIZE", 10))
        self._idle: list[smtplib.SMTP] = []

    def stop(self):
        self._close_all()

    def kill(self):
        self._close_all()

    def get_dependency(self, worker_ctx):
        return self

    def send(self, to: list[str], message: Message, message_id: str, language: str) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = ", ".join(to)
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = f"<{message_id}@lapor-hub>"  # the same id on every retry: receivers can dedupe
        email.set_content(message.text)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        email["Content-Language"] = language  # after set_content, which drops Content-* headers
        smtp = None
        try:
            smtp = self._connection()
            smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            error = f"SMTP refused {len(codes)} recipient(s) with code(s) {sorted(set(codes))}"
            smtp = self._discard(smtp)
            raise (PermanentError if all(c >= 500 for c in codes) else TransientError)(error) from None
        except smtplib.SMTPResponseException as exc:
            error = delivery.smtp_failure(exc.smtp_code)  # the reply text may echo the recipient
            smtp = self._discard(smtp)
            raise (PermanentError if exc.smtp_code >= 500 and exc.smtp_code != 554 else TransientError)(error) from None
        except (smtplib.SMTPException, OSError) as exc:
            smtp = self._discard(smtp)
            raise TransientError(f"SMTP server {self.host}:{self.port} unreachable: {type(exc).__name__}") from None
        finally:
            if smtp is not None:
                self._release(smtp)

    def _connection(self) -> smtplib.SMTP:
        while self._idle:
            smtp = self._idle.pop()
            try:
                if smtp.noop()[0] == 250:
                    return smtp
            except (smtplib.SMTPException, OSError):
                pass
            self._discard(smtp)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if self.username:
            smtp.login(self.username, self.password or "")
        return smtp

    def _release(self, smtp: smtplib.SMTP) -> None:
        if len(self._idle) < self.pool_size:
            self._idle.append(smtp)
        else:
            self._discard(smtp)

    @staticmethod
    def _discard(smtp: smtplib.SMTP | None) -> None:
        if smtp is not None:
            try:
                smtp.close()
            except Exception:  # closing a broken connection: nothing to recover
                pass
        return None

    def _close_all(self) -> None:
        while self._idle:
            smtp = self._idle.pop()
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._discard(smtp)


class HttpChannel(DependencyProvider):
    """Shared HTTP plumbing: a pooled session, a timeout, and error classification."""

    prefix = ""
    what = "HTTP endpoint"

    def setup(self):
        config = self.container.config
        self.url = config.get(f"{self.prefix}_URL") or None
        self.username = config.get(f"{self.prefix}_USERNAME") or None
        self.password = config.get(f"{self.prefix}_PASSWORD") or None
        self.token = config.get(f"{self.prefix}_TOKEN") or None
        self.timeout = float(config.get(f"{self.prefix}_TIMEOUT_SECONDS", config.get("HTTP_TIMEOUT_SECONDS", 10)))
        self.session = requests.Session()

    def stop(self):
        self.session.close()

    def kill(self):
        self.session.close()

    def get_dependency(self, worker_ctx):
        return self

    def _post(self, url: str | None, what: str, **kwargs) -> requests.Response:
        if not url:
            raise PermanentError(f"{what} is not configured")
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        auth = (self.username, self.password or "") if self.username else None
        try:
            response = self.session.post(url, timeout=self.timeout, headers=headers, auth=auth, **kwargs)
        except requests.Timeout:
            raise TransientError(f"{what} did not answer within {self.timeout:g} s") from None
        except requests.RequestException as exc:
            raise TransientError(f"{what} unreachable: {type(exc).__name__}") from None
        if 200 <= response.status_code < 300:
            return response
        error = delivery.http_failure(what, response.status_code)  # the body may echo the recipient
        if response.status_code in HTTP_RETRYABLE:
            raise TransientError(error)
        raise PermanentError(error)


class SmsGateway(HttpChannel):
    """``send(phone, text, reference)``: POST JSON {to, text, sender, reference} to SMS_GATEWAY_URL."""

    prefix = "SMS_GATEWAY"
    what = "SMS gateway"

    def setup(self):
        super().setup()
        self.sender = str(self.container.config.get("SMS_SENDER_ID", "1708"))  # a short code, not a number

    def send(self, phone: str, text: str, reference: str) -> None:
        self._post(self.url, self.what, json={"to": phone, "text": text, "sender": self.sender,
                                              "reference": reference})


class SocialReply(HttpChannel):
    """``send(reporter_ref, handle, text, reference, tracking_id)``: the social channel's (public)
    reply hook; ``direct(...)``: its direct-message hook, for what only the reporter may read.

    The bridge that took the post in (Twitter @LAPOR1708, #lapor) knows where to answer; it is
    given the reporter's reference (and a handle when intake resolved one).
    """

    prefix = "SOCIAL_REPLY"
    what = "social reply hook"

    def setup(self):
        super().setup()
        self.direct_url = self.container.config.get("SOCIAL_DM_URL") or None

    def send(self, reporter_ref: str, handle: str | None, text: str, reference: str, tracking_id: str) -> None:
        self._post(self.url, self.what, json={"reporter_ref": reporter_ref, "handle": handle, "text": text,
                                              "reference": reference, "tracking_id": tracking_id})

    def direct(self, reporter_ref: str, handle: str | None, text: str, reference: str, tracking_id: str) -> None:
        """A private (direct) message to the reporter, through the bridge's own DM hook (SOCIAL_DM_URL);
        never falls back to the public reply hook: not configured is a PermanentError."""
        self._post(self.direct_url, "social direct-message hook", json={
            "reporter_ref": reporter_ref, "handle": handle, "text": text, "reference": reference,
            "tracking_id": tracking_id, "kind": "direct_message"})


class WebhookSender(HttpChannel):
    """``post(url, body, headers)`` to a subscribed system (signed by the caller)."""

    prefix = "WEBHOOK"
    what = "webhook receiver"

    def post(self, url: str, body: bytes, headers: dict) -> None:
        self._post(url, self.what, data=body, headers=dict(headers))

"""Send outbox emails over SMTP: `EmailNotifier` delivers `Kind.EMAIL` rows,
`with_email` puts it beside a process's Slack notifier.

`SMTP_URL` says how: `smtp://user:password@host:587` upgrades with STARTTLS
(and refuses to send a password to a server that does not offer it), and
`smtps://user:password@host:465` speaks TLS from the start; the certificate
is verified. The URL (and so the password) never reaches a log line or an
error message: failures name the host and the server's reply.

Failures map to the outbox's: a 4xx reply, a timeout or a dropped
connection is temporary (retried with backoff for a day); a 5xx reply (an
address refused, a login refused), a certificate that does not verify or
missing settings are permanent, and the owner is told what to fix. SMTP
has no way to ask whether a message already arrived, so a connection lost
after the message was handed over is retried as is: the copy carries the
same Message-ID, which mail clients use to spot it.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from datetime import datetime
from urllib.parse import unquote, urlsplit

from sqlmodel import Session

from bot.config import Settings
from bot.domain.outbox import Kind, Notifier, PermanentFailure, TemporaryFailure
from bot.mail.message import build_message
from bot.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30


class EmailNotifier:
    """Delivers `Kind.EMAIL` outbox rows through the mail server `smtp_url` names."""

    def __init__(self, *, smtp_url: str, sender: str, clock: Callable[[], datetime] = utcnow,
                 ssl_context: ssl.SSLContext | None = None, timeout: float = TIMEOUT_SECONDS):
        parts = urlsplit(smtp_url)
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.implicit_tls else 587)
        self._user = unquote(parts.username or "")
        self._password = unquote(parts.password or "")
        self.sender, self.clock, self.timeout = sender, clock, timeout
        self.ssl_context = ssl_context or ssl.create_default_context()

    def __repr__(self) -> str:  # never the password
        return f"EmailNotifier({'smtps' if self.implicit_tls else 'smtp'}://{self.host}:{self.port})"

    def send(self, message: OutboxMessage, *, session: Session) -> dict:
        payload = message.payload or {}
        email = build_message(payload=payload, key=message.idempotency_key, sender=self.sender, now=self.clock())
        handed_over = False
        try:
            with self._connect() as smtp:
                handed_over = True
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (550, b""))
            raise self._failure(code, reply, "refused the address") from None
        except smtplib.SMTPResponseException as exc:
            raise self._failure(exc.smtp_code, exc.smtp_error, "answered") from None
        except ssl.SSLCertVerificationError as exc:
            raise PermanentFailure(f"the TLS certificate of {self.host} did not verify ({exc.verify_message})") \
                from None
        except (smtplib.SMTPException, OSError) as exc:  # dropped connection, timeout, refused port
            raise TemporaryFailure(f"mail server {self.host}:{self.port}: {exc.__class__.__name__}",
                                   maybe_sent=handed_over) from None
        log.info("outbox %s: emailed to %s", message.idempotency_key, payload.get("to"))
        return {"to": payload.get("to"), "message_id": email["Message-ID"]}

    def _connect(self) -> smtplib.SMTP:
        if self.implicit_tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                  context=self.ssl_context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if not self.implicit_tls:
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=self.ssl_context)
                    smtp.ehlo()
                elif self._user:
                    raise PermanentFailure(f"mail server {self.host} offers no STARTTLS, so the password in "
                                           "SMTP_URL is not sent")
            if self._user:
                smtp.login(self._user, self._password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _failure(self, code: int, reply: bytes | str, what: str) -> Exception:
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        reason = f"SMTP {code}: mail server {self.host} {what}: {text[:200]}"
        return PermanentFailure(reason) if code >= 500 else TemporaryFailure(reason)


class EmailNotConfigured:
    """Stands in for `EmailNotifier` without `SMTP_URL`/`SMTP_FROM`: every email fails, saying so."""

    def send(self, message: OutboxMessage, *, session: Session) -> dict:
        raise PermanentFailure("email is not configured here: set SMTP_URL and SMTP_FROM")


class WithEmail:
    """A process's notifier plus email: `Kind.EMAIL` rows go to `email`, the
    rest to `inner` (whose other attributes it passes through)."""

    def __init__(self, inner: Notifier, email: Notifier):
        self.inner, self.email = inner, email

    def send(self, message: OutboxMessage, *, session: Session) -> dict:
        target = self.email if message.kind == Kind.EMAIL else self.inner
        return target.send(message, session=session)

    def find_sent(self, message: OutboxMessage, *, session: Session) -> dict | None:
        find = getattr(self.inner, "find_sent", None)
        if message.kind == Kind.EMAIL or not callable(find):
            return None  # SMTP cannot be asked what arrived
        return find(message, session=session)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


def with_email(inner: Notifier, settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> WithEmail:
    """`inner`, plus email through the settings' SMTP server (or a refusal naming the settings)."""
    email: Notifier = (EmailNotifier(smtp_url=settings.smtp_url, sender=settings.smtp_from, clock=clock)
                       if settings.email_configured else EmailNotConfigured())
    return WithEmail(inner, email)

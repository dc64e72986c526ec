"""A `Notifier` for the local shell: outbox messages become printed text.

DMs print as `── DM to @bob ──`, channel posts as `── #website ──` (with
`(thread)` for replies in a thread, `(updated)` for edits). The shell calls
`deliver_pending` after each command and prints what this collected.
"""

from __future__ import annotations

import itertools

from sqlmodel import Session

from bot.domain.client_view import ClientPage
from bot.domain.outbox import Kind
from bot.domain.replies import reply_from_dict
from bot.models import OutboxMessage
from bot.shell.render import render_text
from bot.web.render import email_text


class ShellNotifier:
    """Collects rendered messages; `drain()` returns and forgets them."""

    def __init__(self, names: dict[str, str] | None = None, channels: dict[str, str] | None = None):
        self.names = names if names is not None else {}
        self.channels = channels if channels is not None else {}
        self._lines: list[str] = []
        self.delivered: list[tuple[str, str]] = []  # (where, text) of every message, in order
        self._ts = itertools.count(1)

    def send(self, message: OutboxMessage, *, session: Session) -> dict:
        payload = message.payload or {}
        if message.kind == Kind.PUBLISH_HOME:  # no App Home in a terminal
            return {"user": message.user_id}
        if message.kind == Kind.EMAIL:  # printed, not sent: the shell is a rehearsal
            where = f"email to {payload.get('to')}"
            body = (f"Subject: {payload.get('subject', '')}\n"
                    + email_text(ClientPage.from_dict(payload["page"]), link=payload.get("secret_link", "")))
            self._lines.append(f"── {where} ──\n{body}".rstrip())
            self.delivered.append((where, body.rstrip()))
            return {"to": payload.get("to")}
        if message.kind == Kind.DM or (not message.channel_id and message.user_id):
            where = f"DM to @{self.names.get(message.user_id or '', message.user_id)}"
        else:
            where = f"#{self.channels.get(message.channel_id or '', message.channel_id)}"
        if payload.get("thread_key"):
            where += " (thread)"
        if message.kind == Kind.UPDATE or payload.get("update_key"):
            where += " (updated)"
        body = ""
        if "reply" in payload:
            body = render_text(reply_from_dict(payload["reply"]), self.names, self.channels)
        elif payload.get("text"):
            body = str(payload["text"])
        if payload.get("file_path"):
            body += f"\n(file: {payload['file_path']})"
        self._lines.append(f"── {where} ──\n{body}".rstrip())
        self.delivered.append((where, body.rstrip()))
        ts = f"{next(self._ts)}.000000"
        return {"ts": payload.get("ts", ts), "channel": message.channel_id or message.user_id}

    def drain(self) -> str:
        out, self._lines = "\n\n".join(self._lines), []
        return out

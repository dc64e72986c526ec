"""A message given up: its row marked failed with one log line naming the key,
destination and reason, and the project owner told what to fix (`HINTS`,
which `doctor` reads too), once per project, destination and reason a day
however many messages failed."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from bot.domain.outbox import Kind, State, enqueue, scrubbed
from bot.domain.replies import Reply
from bot.models import OutboxMessage, Project

log = logging.getLogger(__name__)
NOTICE_PREFIX = "outbox-failed:"


def give_up(session: Session, row: OutboxMessage | None, reason: str, *, notify: bool,
            now: datetime) -> None:
    """Mark `row` failed with a clear log line; DM the project owner what to fix
    (one notice per project, destination and reason a day, however many failed)."""
    if row is None:
        return
    row.state = State.FAILED
    row.last_error = reason[:500]
    row.payload = scrubbed(row.payload)
    session.add(row)
    target = _target(row)
    log.error("outbox %s: giving up on %s to %s: %s", row.idempotency_key, row.kind, target, reason)
    if notify:
        _notify_owner(session, row, reason, now)
    session.flush()


def _target(row: OutboxMessage) -> str:
    if row.kind == Kind.EMAIL:
        return f"email {(row.payload or {}).get('to', '?')}"
    return f"channel {row.channel_id}" if row.channel_id else f"user {row.user_id}"


HINTS = {
    # a private channel the bot is not in looks deleted to it: Slack answers channel_not_found for both
    "channel_not_found": "the channel is private and the bot is not in it (`/invite @pm` there), or it no "
                         "longer exists (`/project link #channel` names a new home)",
    "not_in_channel": "the bot is not in that channel; invite it with `/invite @pm`",
    "is_archived": "the channel is archived; `/project link #channel` names a new home",
    "account_inactive": "that person's Slack account is deactivated; reassign their work",
    "user_not_found": "that person is no longer in the workspace; reassign their work",
    "may not have been delivered": "Slack's answer to the post was lost and the bot could not read the "
                                   "channel to check; look there, and post it again if it is missing",
    # email (SMTP replies)
    "SMTP 550": "the mail server refused that address; check it (`/project report schedule` lists them)",
    "SMTP 535": "the mail server refused the login in `SMTP_URL`; check the user and password",
    "no STARTTLS": "the mail server offers no STARTTLS, so the password in `SMTP_URL` is not sent; "
                   "use `smtps://` (port 465) or a server with STARTTLS",
    "email is not configured": "set `SMTP_URL` and `SMTP_FROM` where the worker and web process run",
}


def _notify_owner(session: Session, row: OutboxMessage, reason: str, now: datetime) -> None:
    if row.idempotency_key.startswith(NOTICE_PREFIX) or row.project_id is None:
        return
    project = session.get(Project, row.project_id)
    if project is None or not project.owner_user_id:
        return
    if row.kind == Kind.DM and row.user_id == project.owner_user_id:
        return  # the notice could not reach them either
    if row.kind == Kind.EMAIL:
        where = f"{(row.payload or {}).get('to', '?')} (the weekly report by email)"
    else:
        where = f"<#{row.channel_id}>" if row.channel_id else f"<@{row.user_id}>"
    hint = next((h for code, h in HINTS.items() if code in reason), "")
    text = (f":warning: A message for *{project.name}* could not be delivered to {where}: "
            f"`{reason[:200]}`." + (f" Likely fix: {hint}." if hint else ""))
    destination = (row.payload or {}).get("to", "") if row.kind == Kind.EMAIL else row.channel_id or row.user_id
    key = f"{NOTICE_PREFIX}{project.id}:{str(destination)[:80]}:{reason[:60]}:{now.date()}"
    enqueue(session=session, team_id=row.team_id, key=key, kind=Kind.DM,
            reply=Reply.text(text), user_id=project.owner_user_id, project_id=project.id, now=now)

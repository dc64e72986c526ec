"""A change request's messages: the card (`render_change`), its post in the
project's channel and DMs to the deciders (`announce`), and, once decided,
those edited in place plus a word to the requester (`after_decision`).
Everything goes through the outbox under keys made from the request's id,
so a repeated command or click queues nothing twice."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.domain import outbox
from bot.domain.changes import APPROVED, OPEN, deciders, describe
from bot.domain.format import day, mention, moment, truncate
from bot.domain.replies import Button, Intent, Reply, Section
from bot.models import ChangeRequest, Project

ICON = {OPEN: "📝", APPROVED: "✅", "rejected": "❌"}


def decided_phrase(cr: ChangeRequest, project: Project) -> str:
    """`approved by <@U1> on Fri 4 Dec 14:00 (Europe/Berlin)`."""
    when = ""
    if cr.decided_at:
        local = cr.decided_at.astimezone(ZoneInfo(project.timezone or "UTC"))
        when = f" on {moment(local)} ({project.timezone or 'UTC'})"
    return f"{cr.state} by {mention(cr.decided_by)}{when}"


def change_line(cr: ChangeRequest, project: Project) -> str:
    """One line for lists: `📝 CR-2 Marketing automation · budget +€6,000 · open (by <@U>)`."""
    parts = " · ".join(describe(cr.parts, project.currency)) or "no parts"
    state = "open" if cr.state == OPEN else decided_phrase(cr, project)
    if cr.state == "rejected" and cr.decision_note:
        state += f": {truncate(cr.decision_note, 150)}"
    return (f"{ICON.get(cr.state, '•')} *CR-{cr.number}* {truncate(cr.title, 120)} · {parts} · {state} "
            f"(asked by {mention(cr.requested_by)})")


def render_change(cr: ChangeRequest, project: Project, *, buttons: bool = True) -> Reply:
    """The card: what changes, why, who asked, and its state; Approve / Reject /
    Discuss while open."""
    lines = [f"• {p}" for p in describe(cr.parts, project.currency)]
    text = "*What changes*\n" + "\n".join(lines)
    if cr.reason:
        text += f"\n*Why*\n{truncate(cr.reason, 1000)}"
    footer = f"Asked by {mention(cr.requested_by)} on {day(cr.created_at.date(), year=True)}"
    if cr.state == OPEN:
        footer += " · the owner or a sponsor decides"
    else:
        footer += f" · {decided_phrase(cr, project)}"
        if cr.state == "rejected" and cr.decision_note:
            text += f"\n*Rejected because*\n{truncate(cr.decision_note, 1000)}"
        if cr.state == APPROVED and cr.baseline_id:
            text += "\n_Applied; the plan was re-baselined._"
    value = f"{project.key}:{cr.number}"
    actions = [Button("Approve", Intent.CHANGE_APPROVE, value, "primary"),
               Button("Reject", Intent.CHANGE_REJECT, value, "danger"),
               Button("Discuss", Intent.CHANGE_DISCUSS, value)] if cr.state == OPEN and buttons else []
    return Reply(title=f"{ICON.get(cr.state, '')} CR-{cr.number} {truncate(cr.title, 100)} · {truncate(project.name, 40)}",
                 sections=[Section(text=text)], buttons=actions, footer=footer, ephemeral=False)


def _remember(cr: ChangeRequest, key: str) -> None:
    cr.messages = {**(cr.messages or {}), "keys": [*(cr.messages or {}).get("keys", []), key]}


def announce(session: Session, project: Project, cr: ChangeRequest, *, now: datetime) -> list[str]:
    """Post the card in the channel and DM each decider (not the requester); returns who was told."""
    card = render_change(cr, project)
    if project.channel_id:
        key = f"change:{cr.id}:post"
        outbox.enqueue(session=session, team_id=project.team_id, key=key, kind=outbox.Kind.POST, reply=card,
                       channel_id=project.channel_id, project_id=project.id, now=now)
        _remember(cr, key)
    told = []
    for user in deciders(session, project):
        if user == cr.requested_by or user in told:
            continue
        key = f"change:{cr.id}:dm:{user}"
        outbox.enqueue(session=session, team_id=project.team_id, key=key, kind=outbox.Kind.DM, reply=card,
                       user_id=user, project_id=project.id, now=now)
        _remember(cr, key)
        told.append(user)
    session.add(cr)
    session.flush()
    return told


def after_decision(session: Session, project: Project, cr: ChangeRequest, *, now: datetime) -> None:
    """Edit the card wherever it was sent (no buttons now) and tell the requester."""
    card = render_change(cr, project)
    for key in (cr.messages or {}).get("keys", []):
        outbox.enqueue(session=session, team_id=project.team_id, key=f"{key}:decided", kind=outbox.Kind.UPDATE,
                       reply=card, channel_id=project.channel_id if key.endswith(":post") else None,
                       user_id=None if key.endswith(":post") else key.rsplit(":", 1)[-1],
                       project_id=project.id, extra={"update_key": key}, now=now)
    if cr.requested_by and cr.requested_by != cr.decided_by:
        note = Reply.text(f"Your change request CR-{cr.number} *{truncate(cr.title, 120)}* on *{project.name}* "
                          f"was {decided_phrase(cr, project)}."
                          + (f" Reason: {truncate(cr.decision_note, 500)}" if cr.decision_note else ""))
        outbox.enqueue(session=session, team_id=project.team_id, key=f"change:{cr.id}:outcome",
                       kind=outbox.Kind.DM, reply=note, user_id=cr.requested_by, project_id=project.id, now=now)


def discuss(session: Session, project: Project, cr: ChangeRequest, *, user_id: str, now: datetime) -> bool:
    """Ask for a discussion in the card's thread, naming the requester and deciders (once per person)."""
    post = f"change:{cr.id}:post"
    if post not in (cr.messages or {}).get("keys", []):
        return False
    people = " ".join(mention(u) for u in dict.fromkeys([cr.requested_by, *deciders(session, project)]) if u != user_id)
    note = Reply.text(f"{mention(user_id)} would like to discuss CR-{cr.number} before it is decided. "
                      f"{people}: reply in this thread.")
    note.ephemeral = False
    _, created = outbox.enqueue(session=session, team_id=project.team_id, key=f"{post}:discuss:{user_id}",
                                kind=outbox.Kind.POST, reply=note, channel_id=project.channel_id,
                                project_id=project.id, extra={"thread_key": post}, now=now)
    return created

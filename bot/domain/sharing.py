"""Status pages for people outside Slack: share links (S1, S2, ... per project).

A link is `PUBLIC_URL/p/<token>`. The token is 32 random bytes
(`secrets.token_urlsafe`, 43 characters) shown once, when the link is made;
only its SHA-256 is stored, so the database alone opens no page. A link
expires (`DEFAULT_DAYS` unless told) and can be revoked; an expired or
revoked link, a token never made and a deleted project all find nothing, and
the page answers all four with the same 404.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.domain import audit
from bot.domain.access import Action, require
from bot.domain.errors import Invalid, NotFound
from bot.domain.numbering import next_number
from bot.models import Project, ProjectState, ShareLink

DEFAULT_DAYS = 30
MAX_DAYS = 366
TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh secret for a link: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def page_url(public_url: str, token: str) -> str:
    """`https://pm.example.com/p/<token>`."""
    return f"{public_url.rstrip('/')}/p/{token}"


def state_of(link: ShareLink, now: datetime) -> str:
    """`active`, `expired` or `revoked`."""
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if link.expires_at <= now else "active"


def create_link(*, session: Session, project: Project, actor: str, days: int = DEFAULT_DAYS,
                show_costs: bool = False, label: str = "", now: datetime) -> tuple[ShareLink, str]:
    """Make a link to the project's status page (owner/manager; audited without
    the token); returns (link, token). The token is not kept: show it now."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="share a status page")
    if project.state == ProjectState.CANCELLED:
        raise Invalid(f"*{project.name}* is deleted (archived); bring it back with "
                      f"`/project edit {project.key} state active` before sharing it.")
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(f"A link lasts from 1 to {MAX_DAYS} days (got {days}).")
    return new_link(session=session, project=project, actor=actor, days=days, show_costs=show_costs,
                    label=label, now=now)


def new_link(*, session: Session, project: Project, actor: str, days: int, show_costs: bool, label: str,
             now: datetime) -> tuple[ShareLink, str]:
    """`create_link` without the checks: for a link made by the bot itself (an
    emailed report's), on behalf of `actor`."""
    token = new_token()
    link = ShareLink(team_id=project.team_id, project_id=project.id,
                     number=next_number(session=session, model=ShareLink, project_id=project.id),
                     token_hash=token_hash(token), show_costs=show_costs, label=label[:300],
                     created_by=actor, created_at=now, expires_at=now + timedelta(days=days))
    session.add(link)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="share.create",
                 entity="share_link", entity_id=link.id, project_id=project.id, now=now,
                 after={"number": link.number, "expires_at": link.expires_at.isoformat(),
                        "show_costs": show_costs, "label": link.label})
    return link, token


def list_links(*, session: Session, project: Project, now: datetime, all_: bool = False) -> list[ShareLink]:
    """The project's links, newest first: the active ones, or (`all_`) every one."""
    query = select(ShareLink).where(ShareLink.project_id == project.id)
    if not all_:
        query = query.where(ShareLink.revoked_at.is_(None), ShareLink.expires_at > now)
    return list(session.exec(query.order_by(ShareLink.number.desc())))


def revoke(*, session: Session, project: Project, actor: str, number: int,
           now: datetime) -> tuple[ShareLink, bool]:
    """Turn link S`number` off for good (owner/manager; audited); returns (link,
    revoked now). Revoking it again changes nothing."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="revoke a status page link")
    link = session.exec(select(ShareLink).where(ShareLink.project_id == project.id,
                                                ShareLink.number == number)).first()
    if link is None:
        raise NotFound(f"*{project.name}* has no link S{number}; `/project share list {project.key} all` "
                       "shows every one.")
    if link.revoked_at is not None:
        return link, False
    link.revoked_at, link.revoked_by = now, actor
    session.add(link)
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="share.revoke",
                 entity="share_link", entity_id=link.id, project_id=project.id, now=now,
                 before={"number": link.number}, after={"revoked_at": now.isoformat()})
    session.flush()
    return link, True


def revoke_labelled(*, session: Session, project: Project, actor: str, label: str, now: datetime) -> list[int]:
    """Revoke every active link made with `label` (a recipient taken off the
    emailed report); returns their numbers."""
    numbers = [link.number for link in list_links(session=session, project=project, now=now)
               if link.label == label]
    for number in numbers:
        revoke(session=session, project=project, actor=actor, number=number, now=now)
    return numbers


def open_link(*, session: Session, token: str, now: datetime) -> tuple[ShareLink, Project] | None:
    """The link a token opens and its project, or None: unknown, revoked, expired,
    or the project deleted (the caller answers all of them alike)."""
    if not token or len(token) > 100:
        return None
    row = session.exec(select(ShareLink, Project).join(Project, Project.id == ShareLink.project_id)
                       .where(ShareLink.token_hash == token_hash(token))).first()
    if row is None:
        return None
    link, project = row
    if state_of(link, now) != "active" or project.state == ProjectState.CANCELLED:
        return None
    return link, project

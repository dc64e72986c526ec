"""The weekly report by email: who gets it, and the messages queued for them.

Recipients are kept with the project (`settings["report_emails"]`: each
address and whether their email shows costs), added with `report schedule
... to a@x.com, b@y.com` and taken off with `report schedule ... remove
a@x.com` (owner/manager; audited). Every email is an outbox row of its own
(`Kind.EMAIL`, one per recipient and report, under its own key), so a rerun
or a second worker sends nobody twice, retries wait out a mail server's
bad moments, and a failure reaches the owner as a Slack message's does.

A row carries the client's view of the project (`client_view.ClientPage`,
as data; `bot/web` renders it), the burn-up chart's file and, when
`PUBLIC_URL` is set, a status-page link made for that recipient: numbered
like any other link, labelled with their address, revocable, and taken off
the row once the email is sent (`outbox.SECRET_KEYS`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.domain import audit, sharing
from bot.domain.access import Action, require
from bot.domain.client_view import client_page
from bot.domain.errors import Invalid
from bot.domain.format import day, truncate
from bot.domain.outbox import Kind, enqueue
from bot.domain.report import WeeklyReport
from bot.models import OutboxMessage, Project

ADDRESS = re.compile(r"[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[A-Za-z]{2,}")
MAX_RECIPIENTS = 20


@dataclass(frozen=True)
class Recipient:
    email: str
    show_costs: bool = False

    @property
    def phrase(self) -> str:
        return f"{self.email} ({'costs shown' if self.show_costs else 'costs hidden'})"


def check_address(text: str) -> str:
    """A plain email address, lower-cased; anything else is refused saying so."""
    address = text.strip().strip("<>").lower()
    if len(address) > 254 or not ADDRESS.fullmatch(address):
        raise Invalid(f"`{truncate(text, 60)}` is not an email address like client@example.com.")
    return address


def recipients(project: Project) -> list[Recipient]:
    """Who gets the project's weekly report by email."""
    stored = (project.settings or {}).get("report_emails") if isinstance(project.settings, dict) else None
    out = []
    for item in stored if isinstance(stored, list) else []:
        if isinstance(item, dict) and isinstance(item.get("email"), str):
            out.append(Recipient(item["email"], bool(item.get("costs"))))
    return out


def _save(session: Session, project: Project, actor: str, before: list[Recipient], after: list[Recipient],
          now: datetime) -> None:
    def listed(items: list[Recipient]) -> list[dict]:
        return [{"email": r.email, "costs": r.show_costs} for r in items]

    audit.record(session=session, team_id=project.team_id, user_id=actor, action="project.report_emails",
                 entity="project", entity_id=project.id, project_id=project.id,
                 before={"report_emails": listed(before)}, after={"report_emails": listed(after)}, now=now)
    settings = dict(project.settings or {})
    settings["report_emails"] = listed(after)
    project.settings = settings  # a new dict, so the JSON column is saved
    project.updated_at = now
    session.add(project)
    session.flush()


def add_recipients(*, session: Session, project: Project, actor: str, addresses: list[str],
                   show_costs: bool = False, now: datetime) -> tuple[list[str], list[str]]:
    """Add addresses to the weekly report (or change whether theirs shows costs);
    returns (added or changed, already so). Repeating it changes nothing."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="email the weekly report")
    wanted = list(dict.fromkeys(check_address(a) for a in addresses))
    before = recipients(project)
    after = {r.email: r for r in before}
    changed = [a for a in wanted if after.get(a) != Recipient(a, show_costs)]
    for address in changed:
        after[address] = Recipient(address, show_costs)
    if len(after) > MAX_RECIPIENTS:
        raise Invalid(f"A project's report goes to at most {MAX_RECIPIENTS} addresses (this would make "
                      f"{len(after)}); a mailing list address counts as one.")
    if changed:
        _save(session, project, actor, before, list(after.values()), now)
    return changed, [a for a in wanted if a not in changed]


def remove_recipients(*, session: Session, project: Project, actor: str, addresses: list[str],
                      now: datetime) -> tuple[list[str], list[int]]:
    """Take addresses off the weekly report and revoke the status-page links
    their emails carried; returns (removed, revoked link numbers)."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="change who gets the weekly report")
    wanted = {check_address(a) for a in addresses}
    before = recipients(project)
    removed = [r.email for r in before if r.email in wanted]
    if not removed:
        return [], []
    _save(session, project, actor, before, [r for r in before if r.email not in wanted], now)
    revoked = []
    for address in removed:
        revoked += sharing.revoke_labelled(session=session, project=project, actor=actor, label=address, now=now)
    return removed, revoked


def email_key(base: str, address: str) -> str:
    """The outbox key of one recipient's copy of the report queued under `base`."""
    return f"{base}:email:{hashlib.sha256(address.encode()).hexdigest()[:16]}"


def unsent_keys(*, session: Session, keys: list[str]) -> set[str]:
    """Of `keys`, those not in the outbox yet."""
    if not keys:
        return set()
    found = set(session.exec(select(OutboxMessage.idempotency_key)
                             .where(OutboxMessage.idempotency_key.in_(keys))))
    return set(keys) - found


def queue_emails(*, session: Session, weekly: WeeklyReport, to: list[Recipient], base_key: str,
                 chart_path: str | None, public_url: str, actor: str, now: datetime) -> list[str]:
    """Queue the report for each recipient (one outbox row each, under
    `email_key(base_key, address)`); returns the addresses queued now (not
    those queued before under the same key)."""
    p = weekly.project
    queued = []
    fresh = unsent_keys(session=session, keys=[email_key(base_key, r.email) for r in to])
    for r in to:
        key = email_key(base_key, r.email)
        if key not in fresh:
            continue
        link = None
        subject = (f"{p.name}: weekly report, {day(weekly.week_start, today=weekly.today)} – "
                   f"{day(weekly.today, year=True)}")
        payload: dict = {"to": r.email, "subject": subject, "chart_path": chart_path or ""}
        if public_url:
            link, token = sharing.new_link(session=session, project=p, actor=actor, days=sharing.DEFAULT_DAYS,
                                           show_costs=r.show_costs, label=r.email, now=now)
            payload["secret_link"] = sharing.page_url(public_url, token)
        page = client_page(weekly, show_costs=r.show_costs, now=now, expires=link.expires_at if link else None)
        payload["page"] = page.as_dict()
        enqueue(session=session, team_id=p.team_id, key=key, kind=Kind.EMAIL, project_id=p.id,
                extra=payload, now=now)
        queued.append(r.email)
    return queued

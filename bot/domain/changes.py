"""Change requests: a proposed change to budget, dates or scope (CR-1, CR-2, ...).

Anyone on a project (clients included) may raise one; the owner or a sponsor
decides. Approving applies every part in one transaction and takes a new
baseline; rejecting needs a reason. A decision is a compare-and-set on the
request's state (`open` -> `approved`/`rejected`), so two clicks, or two
deciders at once, make one decision; the second is told who decided and when.
An approved request is never edited: another request reverses it.

The request is posted in the project's channel with Approve / Reject / Discuss
and sent to each decider; once decided, those messages are edited in place
and the requester is told (all through the outbox, `bot.domain.changes_messages`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from bot.domain import audit, baselines
from bot.domain.access import role_of
from bot.domain.errors import Invalid, NotFound, PermissionDenied
from bot.domain.format import day, money, plural, truncate
from bot.domain.numbering import next_number
from bot.models import ChangeRequest, Member, Milestone, Project, ProjectState, Role

OPEN, APPROVED, REJECTED = "open", "approved", "rejected"
STATES = (OPEN, APPROVED, REJECTED)
DIRECT_EDIT = "direct edit"
TITLE_LIMIT, REASON_LIMIT = 200, 1000
CONTROLLED = ("budget_cents", "due_date", "scope")  # what a baselined project changes only through a CR


def get_change(session: Session, project: Project, number: int) -> ChangeRequest:
    """CR-`number` of the project, or `NotFound`."""
    cr = session.exec(select(ChangeRequest).where(ChangeRequest.project_id == project.id,
                                                  ChangeRequest.number == number)).first()
    if cr is None:
        raise NotFound(f"*{project.name}* has no CR-{number}. `/project change list {project.key} all` "
                       "shows them.")
    return cr


def list_changes(session: Session, project: Project, *, state: str | None = None) -> list[ChangeRequest]:
    """The project's change requests, newest first; `state` open|approved|rejected (None: all)."""
    query = select(ChangeRequest).where(ChangeRequest.project_id == project.id)
    if state:
        query = query.where(ChangeRequest.state == state)
    return list(session.exec(query.order_by(ChangeRequest.number.desc())))


def decided_between(session: Session, project: Project, start: datetime, end: datetime) -> list[ChangeRequest]:
    """Requests approved or rejected in [start, end), in the order decided."""
    return list(session.exec(select(ChangeRequest).where(
        ChangeRequest.project_id == project.id, ChangeRequest.decided_at >= start,
        ChangeRequest.decided_at < end).order_by(ChangeRequest.decided_at, ChangeRequest.number)))


def deciders(session: Session, project: Project) -> list[str]:
    """Who may decide: the owner, then the sponsors."""
    sponsors = session.exec(select(Member.user_id).where(
        Member.project_id == project.id, Member.role == Role.SPONSOR, Member.active == True)  # noqa: E712
        .order_by(Member.id)).all()
    return [u for u in [project.owner_user_id, *sponsors] if u]


# --- parts -------------------------------------------------------------------------------------


def describe(parts: dict, currency: str) -> list[str]:
    """Each part in words: `budget +€6,000`, `due +2w`, `scope: adds "..."`, `M3 due Fri 12 Mar 2027`."""
    out = []
    budget = parts.get("budget") or {}
    if "delta" in budget:
        out.append(f"budget {'+' if budget['delta'] >= 0 else '-'}{money(abs(budget['delta']), currency)}")
    elif "set" in budget:
        out.append(f"budget {money(budget['set'], currency)}")
    due = parts.get("due") or {}
    if "days" in due:
        out.append(f"due {baselines.span(due['days'])}")
    elif "date" in due:
        out.append(f"due {day(date.fromisoformat(due['date']), year=True)}")
    scope = parts.get("scope") or {}
    if "add" in scope:
        out.append(f"scope: adds “{truncate(scope['add'], 300)}”")
    elif "set" in scope:
        out.append(f"scope: “{truncate(scope['set'], 300)}”")
    for m in parts.get("milestones", []):
        out.append(f"M{m['number']} due {day(date.fromisoformat(m['due']), year=True)}")
    return out


@dataclass
class Resolved:
    """What approving would set: project fields and milestone due dates, with the old values."""

    fields: dict  # name -> (before, after)
    milestones: list[tuple[Milestone, date]]


def resolve(session: Session, project: Project, parts: dict) -> Resolved:
    """The change as it would apply to the project now, or `Invalid` saying why it cannot."""
    fields: dict = {}
    budget = parts.get("budget") or {}
    if budget:
        base = project.budget_cents
        if "delta" in budget and base is None:
            raise Invalid(f"*{project.name}* has no budget to add to; give the new budget (`budget 46k`).")
        new = base + budget["delta"] if "delta" in budget else budget["set"]
        if new < 0:
            raise Invalid(f"That would make the budget {money(new, project.currency)}: a budget cannot be "
                          f"negative (it is {money(base, project.currency)}).")
        fields["budget_cents"] = (base, new)
    due = parts.get("due") or {}
    if due:
        if "days" in due and project.due_date is None:
            raise Invalid(f"*{project.name}* has no due date to move; give the new date (`due 12 Mar`).")
        new_due = project.due_date + timedelta(days=due["days"]) if "days" in due else date.fromisoformat(due["date"])
        if project.start_date and new_due < project.start_date:
            raise Invalid(f"The due date would be {day(new_due, year=True)}, before the start "
                          f"{day(project.start_date, year=True)}.")
        fields["due_date"] = (project.due_date, new_due)
    scope = parts.get("scope") or {}
    if scope:
        text = scope["set"] if "set" in scope else "\n".join(x for x in (project.scope, "+ " + scope["add"]) if x)
        if len(text) > 2000:
            raise Invalid(f"The scope would be {plural(len(text), 'character')} long; it can be at most 2,000.")
        fields["scope"] = (project.scope, text)
    moved = []
    for part in parts.get("milestones", []):
        m = session.exec(select(Milestone).where(Milestone.project_id == project.id,
                                                 Milestone.number == part["number"])).first()
        if m is None or m.cancelled_at is not None:
            raise Invalid(f"*{project.name}* has no open milestone M{part['number']}.")
        when = date.fromisoformat(part["due"])
        if project.start_date and when < project.start_date:
            raise Invalid(f"M{m.number} would be due {day(when, year=True)}, before the project's start "
                          f"{day(project.start_date, year=True)}.")
        moved.append((m, when))
    return Resolved(fields, moved)


def edit_parts(controlled: dict) -> dict:
    """The parts of a change request for an edit of controlled fields (new values)."""
    parts: dict = {}
    if "budget_cents" in controlled and controlled["budget_cents"] is not None:
        parts["budget"] = {"set": controlled["budget_cents"]}
    if controlled.get("due_date") is not None:
        parts["due"] = {"date": controlled["due_date"].isoformat()}
    if "scope" in controlled:
        parts["scope"] = {"set": controlled["scope"] or ""}
    return parts


def edit_title(parts: dict) -> str:
    return "Edit of the " + " and ".join({"budget": "budget", "due": "due date", "scope": "scope"}[k] for k in parts)


# --- raising ------------------------------------------------------------------------------------


def request_change(session: Session, project: Project, *, actor: str, title: str, parts: dict, reason: str = "",
                   now: datetime, source: str = "request") -> ChangeRequest:
    """Raise CR-n (anyone on the project); Baseline 1 is taken first if there is none.
    The parts are checked against the project as it is now; nothing is applied."""
    if project.state == ProjectState.CANCELLED:
        raise Invalid(f"*{project.name}* is deleted (archived); nothing on it changes.")
    if role_of(session=session, project=project, user_id=actor) is None:
        raise PermissionDenied(f"Only people on *{project.name}* can request a change "
                               f"(owner: <@{project.owner_user_id}>).")
    title, reason = title.strip(), (reason or "").strip()
    if not title:
        raise Invalid('A change request needs a title, like "Marketing automation".')
    if len(title) > TITLE_LIMIT or len(reason) > REASON_LIMIT:
        raise Invalid(f"A change request's title can be at most {plural(TITLE_LIMIT, 'character')} and its "
                      f"reason {plural(REASON_LIMIT, 'character')}.")
    if not any(parts.get(k) for k in ("budget", "due", "scope", "milestones")):
        raise Invalid("Say what the change is: `budget +6k`, `due +2w`, `scope \"...\"` or `milestone M3 due DATE`.")
    resolve(session, project, parts)  # refused now rather than at approval, if it cannot apply
    baselines.ensure_first(session, project, actor=actor, why="before the first change request", now=now)
    cr = ChangeRequest(team_id=project.team_id, project_id=project.id,
                       number=next_number(session=session, model=ChangeRequest, project_id=project.id),
                       title=title, reason=reason, parts=parts, source=source, requested_by=actor,
                       created_at=now)
    session.add(cr)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="change.request",
                 entity="change", entity_id=cr.id, project_id=project.id, now=now,
                 after={"number": cr.number, "title": title, "parts": ", ".join(describe(parts, project.currency)),
                        "reason": reason})
    baselines.refresh_summary(session, project, now=now)
    return cr


# --- deciding -----------------------------------------------------------------------------------


@dataclass
class Decision:
    change: ChangeRequest
    already: bool = False  # decided earlier (by `change.decided_by`): nothing was changed now
    baseline: int | None = None  # the baseline the approval took


def check_decider(session: Session, project: Project, cr: ChangeRequest, actor: str, *, verb: str) -> None:
    """Only the owner or a sponsor decides; a requester decides their own only as owner."""
    role = role_of(session=session, project=project, user_id=actor)
    if role not in (Role.OWNER, Role.SPONSOR):
        raise PermissionDenied(f"Only the owner (<@{project.owner_user_id}>) or a sponsor can {verb} "
                               f"CR-{cr.number} on *{project.name}*.")
    if cr.requested_by == actor and role is not Role.OWNER:
        raise PermissionDenied(f"You requested CR-{cr.number}, so someone else decides it: the owner "
                               f"(<@{project.owner_user_id}>) or another sponsor.")


def _claim(session: Session, cr: ChangeRequest, *, state: str, actor: str, note: str, now: datetime) -> bool:
    """Open -> `state` as one conditional UPDATE; False when it was already decided
    (then `cr` is refreshed to say by whom)."""
    done = session.execute(update(ChangeRequest).where(ChangeRequest.id == cr.id, ChangeRequest.state == OPEN)
                           .values(state=state, decided_by=actor, decided_at=now, decision_note=note)
                           .execution_options(synchronize_session=False)).rowcount == 1
    session.refresh(cr)
    return done


def approve(session: Session, project: Project, number: int, *, actor: str, now: datetime) -> Decision:
    """Apply every part of CR-`number` at once and take the next baseline."""
    cr = get_change(session, project, number)
    if cr.state != OPEN:
        return Decision(cr, already=True)
    check_decider(session, project, cr, actor, verb="approve")
    # the project row locked (PostgreSQL) so two approvals of different requests
    # apply one after the other, each to the budget the other left
    session.refresh(project, with_for_update=True)
    resolved = resolve(session, project, cr.parts)  # before the claim: a refusal changes nothing
    if not _claim(session, cr, state=APPROVED, actor=actor, note="", now=now):
        return Decision(cr, already=True)
    baseline = _apply(session, project, cr, resolved, actor=actor, now=now)
    return Decision(cr, baseline=baseline)


def _apply(session: Session, project: Project, cr: ChangeRequest, resolved: Resolved, *, actor: str,
           now: datetime) -> int:
    applied = {k: [v[0], v[1]] for k, v in resolved.fields.items()}
    for name, (_, new) in resolved.fields.items():
        setattr(project, name, new)
    if resolved.fields:
        project.updated_at = now
        session.add(project)
    for m, when in resolved.milestones:
        applied[f"M{m.number}"] = [m.due_date, when]
        m.due_date = when
        session.add(m)
    cr.applied = {k: [v.isoformat() if isinstance(v, date) else v for v in pair] for k, pair in applied.items()}
    session.add(cr)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="change.approve",
                 entity="change", entity_id=cr.id, project_id=project.id, now=now,
                 before={k: v[0] for k, v in applied.items()},
                 after={"number": cr.number, **{k: v[1] for k, v in applied.items()}})
    why = f"CR-{cr.number} approved: {truncate(cr.title, 200)}"
    baseline = baselines.take(session, project, actor=actor, reason=why, now=now, change=cr, checked=False)
    cr.baseline_id = baseline.id
    session.add(cr)
    session.flush()
    return baseline.number


def reject(session: Session, project: Project, number: int, *, actor: str, reason: str,
           now: datetime) -> Decision:
    """Refuse CR-`number`, saying why; nothing in the plan changes."""
    cr = get_change(session, project, number)
    if cr.state != OPEN:
        return Decision(cr, already=True)
    check_decider(session, project, cr, actor, verb="reject")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(f"A rejection needs a reason (CR-{cr.number}): "
                      f"`/project change reject {project.key} CR-{cr.number} reason \"...\"`.")
    if len(reason) > REASON_LIMIT:
        raise Invalid(f"A reason can be at most {plural(REASON_LIMIT, 'character')}.")
    if not _claim(session, cr, state=REJECTED, actor=actor, note=reason, now=now):
        return Decision(cr, already=True)
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="change.reject",
                 entity="change", entity_id=cr.id, project_id=project.id, now=now,
                 after={"number": cr.number, "reason": reason})
    baselines.refresh_summary(session, project, now=now)
    return Decision(cr)


def record_direct_edit(session: Session, project: Project, *, actor: str, before: dict, now: datetime) -> ChangeRequest | None:
    """The owner's own edit of budget, due date or scope on a baselined project
    (already applied; `before` holds the old values): recorded as an approved
    change with "direct edit" as its reason, and re-baselined."""
    changed = {k: [before[k], getattr(project, k)] for k in CONTROLLED if k in before and before[k] != getattr(project, k)}
    if not changed or not project.plan:
        return None
    parts: dict = {}
    if "budget_cents" in changed:
        parts["budget"] = {"set": changed["budget_cents"][1]}
    if "due_date" in changed and changed["due_date"][1] is not None:
        parts["due"] = {"date": changed["due_date"][1].isoformat()}
    if "scope" in changed:
        parts["scope"] = {"set": changed["scope"][1]}
    cr = ChangeRequest(team_id=project.team_id, project_id=project.id,
                       number=next_number(session=session, model=ChangeRequest, project_id=project.id),
                       title="Direct edit by the owner", reason=DIRECT_EDIT, parts=parts, source="direct",
                       state=APPROVED, requested_by=actor, decided_by=actor, decided_at=now, created_at=now,
                       applied={k: [v.isoformat() if isinstance(v, date) else v for v in pair]
                                for k, pair in changed.items()})
    session.add(cr)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="change.approve",
                 entity="change", entity_id=cr.id, project_id=project.id, now=now,
                 before={k: v[0] for k, v in changed.items()},
                 after={"number": cr.number, "reason": DIRECT_EDIT, **{k: v[1] for k, v in changed.items()}})
    baseline = baselines.take(session, project, actor=actor, reason=f"CR-{cr.number}: {DIRECT_EDIT}", now=now,
                              change=cr, checked=False)
    cr.baseline_id = baseline.id
    session.add(cr)
    session.flush()
    return cr

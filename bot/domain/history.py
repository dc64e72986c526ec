"""The audit log, readable: who changed what, when, old → new.

`history()` reads one project's audit entries, newest first, optionally about
one task, one milestone, the budget (the project's budget, milestone budgets,
spending and its corrections) or what one person did, and says each in a
line. What a viewer may not see is left out: hourly rates are shown to the
owner and managers only, people's logged hours to the team (not to
stakeholders or people outside the project).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlmodel import Session, select

from bot.domain.format import day, hours, mention, money, plural, truncate
from bot.models import AuditEntry, Milestone, Project, Risk, Role, Task

PAGE_SIZE = 20
RATE_KEYS = frozenset({"rate_cents", "hourly_rate_cents"})
BUDGET_KEYS = frozenset({"budget_cents", "planned_budget_cents", "currency"})
STATUS_WORDS = {"todo": "to do", "doing": "in progress", "blocked": "blocked", "done": "done",
                "cancelled": "cancelled"}
LABELS = {"budget_cents": "budget", "planned_budget_cents": "budget", "due_date": "due",
          "start_date": "start", "estimate_hours": "estimate", "planned_effort_hours": "effort",
          "assignee_user_id": "assignee", "milestone_id": "milestone", "hourly_rate_cents": "rate",
          "rate_cents": "rate", "weekly_capacity_hours": "allocation", "timezone": "zone",
          "channel_id": "channel", "amount_cents": "amount", "spent_on": "date", "worked_on": "date",
          "owner_user_id": "owner", "user_id": "person", "review_date": "review",
          "owner": "owner", "blocked_reason": "reason", "open_tasks_to": "open tasks to",
          "expires_at": "works until", "show_costs": "costs", "report_emails": "emailed to", "to": "to",
          "key": "as"}
WHY = frozenset({"reason", "blocked_reason"})  # shown only when given
HIDDEN = frozenset({"number", "done_at", "started_at", "blocked_at", "cancelled_at", "updated_at",
                    "version", "entry"})
# action -> what was done, `{s}` standing for the subject ("#3 Choose hosting")
VERBS = {
    "project.create": "created the project", "project.edit": "edited the project",
    "project.link": "moved the project's channel", "project.delete": "deleted (archived) the project",
    "project.report": "changed when the weekly report is posted",
    "project.health": "changed the health thresholds", "alerts.threshold": "changed an alert threshold",
    "task.add": "added {s}", "task.edit": "edited {s}", "task.assign": "assigned {s}",
    "task.due": "changed when {s} is due", "task.todo": "moved {s} back to do",
    "task.doing": "started {s}", "task.blocked": "marked {s} blocked", "task.done": "finished {s}",
    "task.cancel": "cancelled {s}", "task.reopen": "reopened {s}",
    "milestone.add": "added {s}", "milestone.edit": "edited {s}", "milestone.done": "marked {s} reached",
    "milestone.cancel": "cancelled {s}", "milestone.reopen": "reopened {s}",
    "member.add": "added {s}", "member.remove": "took {s} off the project", "member.update": "changed {s}",
    "cost.add": "recorded spending {s}", "cost.refund": "recorded a refund {s}", "cost.void": "voided {s}",
    "time.log": "logged time {s}", "time.void": "voided logged time {s}",
    "risk.add": "added {s}", "risk.update": "updated {s}", "risk.close": "closed {s}",
    "share.create": "made status-page link {s}", "share.revoke": "revoked status-page link {s}",
    "project.report_emails": "changed who gets the weekly report by email",
    "report.email": "emailed the weekly report",
    "change.request": "requested {s}", "change.approve": "approved {s}", "change.reject": "rejected {s}",
    "baseline.take": "took {s}",
}


@dataclass(frozen=True)
class Subject:
    """What to narrow the history to: `task` N, milestone (`M1`), `budget`, or a `user`."""

    kind: str  # "task" | "milestone" | "budget" | "user"
    entity_id: int | None = None
    user_id: str = ""


@dataclass(frozen=True)
class Line:
    at: datetime
    user_id: str
    text: str


@dataclass(frozen=True)
class HistoryPage:
    lines: list[Line]
    page: int
    pages: int
    total: int
    timezone: str


def history(*, session: Session, project: Project, viewer_role: Role | None,
            subject: Subject | None = None, page: int = 1) -> HistoryPage:
    """One page (newest first) of the project's history as `viewer_role` may see it.

    Narrowing is done in SQL; the few entries whose visibility depends on what
    they changed (a rate change, a project or milestone edit for `budget`) are
    read in full to decide, the rest as ids only, and only the page is loaded."""
    where = [AuditEntry.project_id == project.id]
    if subject and subject.kind in ("task", "milestone"):
        where += [AuditEntry.entity == subject.kind, AuditEntry.entity_id == subject.entity_id]
    elif subject and subject.kind == "budget":
        where.append(AuditEntry.entity.in_(("project", "milestone", "cost")))
    elif subject and subject.kind == "user":
        where.append(AuditEntry.user_id == subject.user_id)
    if viewer_role not in (Role.OWNER, Role.MANAGER, Role.MEMBER):
        where.append(AuditEntry.entity != "time")
    rates = viewer_role in (Role.OWNER, Role.MANAGER)
    doubtful = []  # entries shown or not depending on their keys
    if subject and subject.kind == "budget":
        doubtful.append(AuditEntry.entity != "cost")
    if not rates:
        doubtful.append(AuditEntry.action == "member.update")
    if viewer_role is Role.CLIENT:  # outside the team: no links or recipients, no internal risk
        where += [AuditEntry.entity != "share_link",
                  AuditEntry.action.not_in(("project.report_emails", "report.email"))]
        doubtful.append(AuditEntry.entity == "risk")
    hidden = set()
    if doubtful:
        for entry in session.exec(select(AuditEntry).where(*where, or_(*doubtful))):
            if not _visible(entry, viewer_role, subject):
                hidden.add(entry.id)
    ids = [i for i in session.exec(select(AuditEntry.id).where(*where).order_by(AuditEntry.id.desc()))
           if i not in hidden]
    pages = max(1, -(-len(ids) // PAGE_SIZE))
    wanted = ids[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    shown = list(session.exec(select(AuditEntry).where(AuditEntry.id.in_(wanted))
                              .order_by(AuditEntry.id.desc()))) if wanted else []
    names = _names(session, shown)
    return HistoryPage(lines=[Line(e.created_at, e.user_id, describe(e, project, names, rates=rates))
                              for e in shown],
                       page=page, pages=pages, total=len(ids), timezone=project.timezone or "UTC")


def _visible(entry: AuditEntry, viewer_role: Role | None, subject: Subject | None) -> bool:
    keys = set(entry.before) | set(entry.after)
    if subject and subject.kind == "budget" and entry.entity != "cost" and not keys & BUDGET_KEYS:
        return False
    rate_only = entry.action == "member.update" and keys <= RATE_KEYS | {"user_id"}
    if viewer_role is Role.CLIENT and entry.entity == "risk" and (
            entry.before.get("internal") or entry.after.get("internal")):
        return False  # a risk while it was internal
    return not rate_only or viewer_role in (Role.OWNER, Role.MANAGER)


def _names(session: Session, entries: list[AuditEntry]) -> dict[tuple[str, int], str]:
    """("task", id) -> "#3 Choose hosting", ("milestone", id) -> "M2 Cabling", ("risk", id) -> "R1 ..."."""
    out: dict[tuple[str, int], str] = {}
    wanted: dict[str, set[int]] = {"task": set(), "milestone": set(), "risk": set()}
    for e in entries:
        if e.entity in wanted and e.entity_id:
            wanted[e.entity].add(e.entity_id)
        for side in (e.before, e.after):
            if isinstance(side.get("milestone_id"), int):
                wanted["milestone"].add(side["milestone_id"])
    for model, kind, prefix, label in ((Task, "task", "#", "title"), (Milestone, "milestone", "M", "name"),
                                       (Risk, "risk", "R", "title")):
        if wanted[kind]:
            for row in session.exec(select(model).where(model.id.in_(wanted[kind]))):
                out[(kind, row.id)] = f"{prefix}{row.number} {truncate(getattr(row, label), 60)}"
    return out


def _subject(entry: AuditEntry, names: dict) -> str:
    if entry.entity in ("task", "milestone", "risk"):
        return f"*{names.get((entry.entity, entry.entity_id), entry.entity)}*"
    if entry.entity == "member":
        who = entry.after.get("user_id") or entry.before.get("user_id")
        return mention(who) if who else "a member"
    if entry.entity == "cost":
        return f"C{entry.entity_id}"
    if entry.entity == "time":
        return f"L{entry.entity_id}"
    if entry.entity in ("change", "baseline"):
        number = entry.after.get("number") or "?"
        return f"CR-{number}" if entry.entity == "change" else f"Baseline {number}"
    if entry.entity == "share_link":
        return f"S{entry.after.get('number') or entry.before.get('number') or '?'}"
    return entry.entity


def show(key: str, value: object, project: Project, names: dict | None = None) -> str:
    """One stored value as people read it: money, dates, hours, people, milestones."""
    if value is None or value == "":
        return {"assignee_user_id": "nobody", "open_tasks_to": "nobody",
                "milestone_id": "no milestone"}.get(key, "_not set_")
    if key in RATE_KEYS:
        return f"{money(int(value), project.currency)}/h"  # type: ignore[call-overload]
    if key.endswith("_cents"):
        return money(int(value), project.currency)  # type: ignore[call-overload]
    if key.endswith("_date") or key in ("spent_on", "worked_on") or (key[:1] == "M" and key[1:].isdigit()):
        on = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        return day(on, year=True)
    if key in ("assignee_user_id", "owner_user_id", "user_id", "owner", "open_tasks_to"):
        return mention(str(value))
    if key == "channel_id":
        return f"<#{value}>"
    if key == "minutes":
        return hours(round(int(value) / 60, 2))  # type: ignore[call-overload]
    if key.endswith("_hours"):
        return hours(float(value))  # type: ignore[arg-type]
    if key == "milestone_id":
        return (names or {}).get(("milestone", value), "a milestone")  # type: ignore[return-value]
    if key == "status":
        return STATUS_WORDS.get(str(value), str(value))
    if key == "internal":
        return "yes (the team only)" if value else "no (clients see it)"
    if key == "show_costs":
        return "shown" if value else "hidden"
    if key in ("expires_at", "revoked_at") and isinstance(value, str):
        return f"{when(datetime.fromisoformat(value), project.timezone or 'UTC')} ({project.timezone or 'UTC'})"
    if key == "report_emails" and isinstance(value, list):
        return ", ".join(f"{r.get('email')}{' (costs shown)' if r.get('costs') else ''}" for r in value) or "_nobody_"
    if key in ("title", "name", "reason", "blocked_reason", "goal", "scope", "description", "note"):
        return f"“{truncate(str(value), 80)}”"
    if isinstance(value, dict | list):
        return truncate(", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict)
                        else ", ".join(map(str, value)), 120) or "_none_"
    return truncate(str(value), 80)


# what an action's verb already says, not repeated as a change
SAID = {"task.todo": {"status", "blocked_reason"}, "task.doing": {"status", "blocked_reason"}, "task.blocked": {"status"},
        "task.done": {"status", "blocked_reason"}, "task.cancel": {"status"}, "task.reopen": {"status"},
        "task.add": {"title"}, "milestone.add": {"name"}, "milestone.cancel": {"planned_budget_cents"},
        "member.add": {"user_id"}, "member.remove": {"user_id"}, "member.update": {"user_id"},
        "time.log": {"user_id", "minutes", "worked_on"}, "time.void": {"user_id", "minutes"},
        "cost.add": {"amount_cents", "category", "spent_on"}, "cost.refund": {"amount_cents", "category", "spent_on"},
        "cost.void": {"amount_cents"}, "task.link": {"after", "lag_days"}, "task.unlink": {"after", "lag_days"},
        "plan.import": {"sha256", "tasks", "links", "milestones", "numbers"}}


def _phrase(entry: AuditEntry, project: Project, names: dict) -> str:
    """The action in words, with its subject (and, for money and time, the amount)."""
    a, b = entry.after, entry.before
    subject = _subject(entry, names)
    if entry.action == "time.log" and "minutes" in a:
        return (f"logged {show('minutes', a['minutes'], project)} for {mention(a.get('user_id'))} on "
                f"{show('worked_on', a.get('worked_on'), project)} ({subject})")
    if entry.action == "time.void" and "minutes" in b:
        return f"voided {subject} ({show('minutes', b['minutes'], project)} by {mention(b.get('user_id'))})"
    if entry.action in ("cost.add", "cost.refund") and "amount_cents" in a:
        what = "recorded a refund of" if entry.action == "cost.refund" else "recorded spending of"
        return (f"{what} {money(abs(int(a['amount_cents'])), project.currency)} on {a.get('category', '')}, "
                f"{show('spent_on', a.get('spent_on'), project)} ({subject})")
    if entry.action == "cost.void" and "amount_cents" in b:
        return f"voided {subject} ({money(int(b['amount_cents']), project.currency)})"
    if entry.action == "task.link" and "after" in a:
        lag = int(a.get("lag_days") or 0)
        if b:
            return f"changed the lag of {subject} after #{a['after']}: {int(b.get('lag_days') or 0)}d → {lag}d"
        return f"made {subject} wait on #{a['after']}" + (f" +{lag}d" if lag else "")
    if entry.action == "task.unlink" and "after" in b:
        return f"made {subject} stop waiting on #{b['after']}"
    if entry.action == "plan.import":
        return (f"imported a plan from CSV: {plural(int(a.get('tasks') or 0), 'task')}, "
                f"{plural(int(a.get('links') or 0), 'link')}")
    if entry.action == "task.reopen" and "status" in b:
        return f"reopened {subject} (it was {STATUS_WORDS.get(b['status'], b['status'])})"
    verb = VERBS.get(entry.action, f"{entry.action.replace('.', ' ')} {{s}}")
    return verb.format(s=subject).strip()


def describe(entry: AuditEntry, project: Project, names: dict, *, rates: bool) -> str:
    """`edited *#3 Choose hosting*: estimate 3h → 5h; due Fri 4 Dec 2026 → Tue 8 Dec 2026`."""
    text = _phrase(entry, project, names)
    changes = []
    said = SAID.get(entry.action, set())
    for key in dict.fromkeys([*entry.before, *entry.after]):
        if key in HIDDEN or key in said or (key in RATE_KEYS and not rates):
            continue
        label = LABELS.get(key, key.replace("_", " "))
        if key in WHY:
            if entry.after.get(key):
                changes.append(f"{label} {show(key, entry.after[key], project, names)}")
            continue
        if key in entry.before and key in entry.after:
            old, new = entry.before[key], entry.after[key]
            if old != new:
                changes.append(f"{label} {show(key, old, project, names)} → {show(key, new, project, names)}")
        elif key in entry.after:
            if entry.after[key] not in (None, "") and not (key == "internal" and not entry.after[key]):
                # a value never set is not news (nor a risk that is not internal)
                changes.append(f"{label} {show(key, entry.after[key], project, names)}")
        else:
            changes.append(f"{label} was {show(key, entry.before[key], project, names)}")
    return text + (": " + "; ".join(changes) if changes else "")


def when(moment: datetime, timezone: str) -> str:
    """`Tue 3 Mar 2026 14:05` in `timezone`."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{day(local.date(), year=True)} {local:%H:%M}"

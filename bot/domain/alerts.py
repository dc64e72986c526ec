"""Alerts: one condition, one message, kept current.

`check_project` runs the detectors and `sync_alerts` turns findings into
`Alert` rows and outbox messages:
- a new fingerprint posts to the project's channel (the owner also gets a DM
  when it is critical); during quiet hours in the project's zone the post
  waits until morning;
- a persisting condition edits its message in place (`Kind.UPDATE`);
- it posts again only when severity rises, a snooze has ended, or a resolved
  condition returns;
- a condition that cleared is marked resolved in place (or withdrawn, if its
  post is still waiting for the morning).
What people do to an alert (acknowledge, snooze, assign, make it a risk) is
`bot.domain.alert_actions`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.domain import outbox
from bot.domain.detectors import DETECTORS, limits_for, load_snapshot, run_detectors
from bot.domain.errors import NotFound
from bot.domain.findings import SEVERITY_RANK, Finding
from bot.domain.format import day, mention, moment, money, plural, ratio
from bot.domain.replies import Button, Field, Intent, Reply, Section
from bot.models import Alert, AuditEntry, Member, OutboxMessage, Project, ProjectState, Role

OPEN, ACKNOWLEDGED, SNOOZED, RESOLVED = "open", "acknowledged", "snoozed", "resolved"
ACTIVE_STATES = (OPEN, ACKNOWLEDGED, SNOOZED)
TITLES = {
    "past_due": "Past due",
    "schedule_slip": "Schedule slip",
    "budget_burn": "Budget burn",
    "blockers": "Blocker",
    "silent": "Silent in standups",
    "risk_gaps": "Risk register",
    "overload": "Overload",
}
ICON = {"critical": "🔴", "warning": "🟠", RESOLVED: "✅"}


@dataclass
class SyncResult:
    opened: list[Alert] = field(default_factory=list)
    updated: list[Alert] = field(default_factory=list)
    realerted: list[Alert] = field(default_factory=list)
    resolved: list[Alert] = field(default_factory=list)


# --- quiet hours ------------------------------------------------------------------


def quiet_until(project: Project, now: datetime, limits: dict[str, float]) -> datetime | None:
    """When quiet hours end, if `now` falls in them (project-local), else None."""
    start, end = int(limits["quiet_start"]), int(limits["quiet_end"])
    if start == end:
        return None
    tz = ZoneInfo(project.timezone or "UTC")
    local = now.astimezone(tz)
    hour = local.hour
    quiet = (hour >= start or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return None
    day = local.date() if hour < end else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end), tzinfo=tz)


# --- rendering --------------------------------------------------------------------


LABELS = {
    "oldest_days_late": ("Days late", "{:g}"), "days_late": ("Days late", "{:g}"),
    "tasks": ("Tasks", "tasks"), "open_tasks": ("Open tasks", "{:g}"), "task": ("Task", "#{}"),
    "cause_task": ("Cause", "#{}"), "cause_days_late": ("Cause late by", "day"),
    "remaining": ("Remaining", "{:g}"), "pace_per_week": ("Pace a week", "{:g}"),
    "window_days": ("Pace over", "day"), "due": ("Due", "date"), "p50": ("50% likely by", "date"),
    "forecast": ("Forecast", "date"), "slip_days": ("Late by", "day"), "spent_pct": ("Budget spent", "{:g}%"),
    "work_pct": ("Value earned", "{:g}%"), "gap_points": ("Ahead by", "point"), "cpi": ("CPI", "ratio"),
    "spent_cents": ("Spent", "money"), "budget_cents": ("Budget", "money"),
    "standups": ("Standups in a row", "{:g}"), "working_days": ("Working days", "{:g}"),
    "since": ("Since", "date"), "missed": ("Missed standups", "{:g}"), "last": ("Last missed", "date"),
    "risk": ("Risk", "R{}"), "score": ("Score", "{:g}"), "band": ("Band", "{}"), "gaps": ("Missing", "list"),
    "load_hours": ("Work due", "{:g}h"), "capacity_hours": ("Capacity", "{:g}h"),
    "days_away": ("Days away", "{:g}"), "week": ("Week of", "date"), "here_hours": ("Due here", "{:g}h"),
    "open_hours": ("Open work here", "{:g}h"), "share_hours": ("Their share here", "{:g}h a week"),
}


def _fields(numbers: dict, project: Project) -> list[Field]:
    """The numbers behind an alert, labelled for people."""
    out = []
    for key, value in numbers.items():
        if key not in LABELS or value is None:
            continue
        label, style = LABELS[key]
        if style == "tasks":
            text = ", ".join(f"#{n}" for n in value[:15]) + (" …" if len(value) > 15 else "")
        elif style == "list":
            text = ", ".join(str(v) for v in value)
        elif style == "money":
            text = money(value, project.currency)
        elif style == "date":
            text = day(date.fromisoformat(value))
        elif style in ("day", "point"):
            text = plural(value, style)
        elif style == "ratio":
            text = ratio(value, numbers.get("cpi_limit"))
        else:
            text = style.format(value)
        if key in ("remaining", "pace_per_week") and numbers.get("unit"):
            text += "h" if numbers["unit"] == "h" else f" {numbers['unit']}"
        out.append(Field(label, text))
    return out[:10]


def render_alert(alert: Alert, project: Project, now: datetime) -> Reply:
    """The channel message for an alert, with its state and buttons."""
    tz = ZoneInfo(project.timezone or "UTC")
    icon = ICON[RESOLVED] if alert.state == RESOLVED else ICON.get(alert.severity, "🟠")
    title = f"{icon} {TITLES.get(alert.detector, alert.detector)} · {project.name}"
    sections = [Section(text=alert.reason, fields=_fields(alert.details.get("numbers", {}), project))]
    notes = [f"Severity: *{alert.severity}*"]
    if alert.details.get("assignee"):
        notes.append(f"owner {mention(alert.details['assignee'])}")
    if alert.details.get("risk"):
        notes.append(f"tracked as risk R{alert.details['risk']}")
    if alert.state == ACKNOWLEDGED:
        notes.append(f"acknowledged by {mention(alert.acknowledged_by)}")
    if alert.state == SNOOZED and alert.snoozed_until:
        until = alert.snoozed_until.astimezone(tz)
        notes.append(f"snoozed until {moment(until)} ({project.timezone or 'UTC'})")
    if alert.state == RESOLVED and alert.resolved_at:
        notes.append(f"resolved {moment(alert.resolved_at.astimezone(tz))}: the condition cleared")
    buttons: list[Button] = []
    if alert.state != RESOLVED:
        value = str(alert.id)
        if alert.state != ACKNOWLEDGED:
            buttons.append(Button("Acknowledge", Intent.ALERT_ACK, value, "primary"))
        buttons += [Button("Snooze 1 day", Intent.ALERT_SNOOZE_DAY, value),
                    Button("Snooze 1 week", Intent.ALERT_SNOOZE_WEEK, value),
                    Button("Assign owner", Intent.ALERT_ASSIGN, value)]
        if not alert.details.get("risk"):
            buttons.append(Button("Make it a risk", Intent.ALERT_TO_RISK, value))
        if alert.detector == "overload" and alert.details.get("subject"):
            buttons.append(Button("Workload across projects", Intent.SHOW_PEOPLE, alert.details["subject"]))
    return Reply(title=title, sections=sections, buttons=buttons, footer=" · ".join(notes),
                 ephemeral=False)


# --- messages -----------------------------------------------------------------------


def set_details(alert: Alert, **changes) -> None:
    """Change some of an alert's details (a new dict, so the JSON column sees it)."""
    alert.details = {**(alert.details or {}), **changes}


def _announce(session: Session, project: Project, alert: Alert, now: datetime,
              limits: dict[str, float]) -> None:
    """Post the alert anew (and DM the owner if critical), after quiet hours."""
    n = int(alert.details.get("posts", 0)) + 1
    wait = quiet_until(project, now, limits)
    set_details(alert, posts=n)
    alert.channel_id = project.channel_id
    alert.message_ts = None
    reply = render_alert(alert, project, now)
    if _internal(alert) and _has_clients(session, project):  # the channel has clients in it: owner only
        alert.channel_id = None
        set_details(alert, post=_dm_owner(session, project, alert, reply, n, wait, now), dm=None)
        return
    if project.channel_id:
        key = f"alert:{alert.id}:post:{n}"
        outbox.enqueue(session=session, team_id=project.team_id, key=key, kind=outbox.Kind.POST,
                       reply=reply, channel_id=project.channel_id, project_id=project.id,
                       not_before=wait, now=now)
        set_details(alert, post=key)
    if alert.severity == "critical" and project.owner_user_id:
        set_details(alert, dm=_dm_owner(session, project, alert, reply, n, wait, now))


def _dm_owner(session: Session, project: Project, alert: Alert, reply: Reply, n: int,
              wait: datetime | None, now: datetime) -> str | None:
    """The alert's `n`th post sent to the owner by DM; its outbox key (None without an owner)."""
    if not project.owner_user_id:
        return None
    key = f"alert:{alert.id}:dm:{n}"
    outbox.enqueue(session=session, team_id=project.team_id, key=key, kind=outbox.Kind.DM,
                   reply=reply, user_id=project.owner_user_id, project_id=project.id,
                   not_before=wait, now=now)
    return key


def _retire(session: Session, project: Project, alert: Alert, *, not_before: datetime | None,
            now: datetime) -> None:
    """Before posting again: withdraw the previous post if still unsent, else
    strip its buttons and point to the new one (when the new one goes out)."""
    post = alert.details.get("post")
    if not post or _withdraw(session, post):
        _withdraw(session, alert.details.get("dm"))
        return
    title = f"{TITLES.get(alert.detector, alert.detector)} · {project.name}"
    outbox.enqueue(session=session, team_id=project.team_id, key=f"{post}:retired",
                   kind=outbox.Kind.UPDATE, channel_id=alert.channel_id, project_id=project.id,
                   reply=Reply(title=title, sections=[Section(text=alert.reason)], ephemeral=False,
                               footer="Raised again below, with the latest numbers."),
                   extra={"update_key": post}, not_before=not_before, now=now)


def edit_message(session: Session, project: Project, alert: Alert, now: datetime) -> None:
    """Re-render the alert's current message in place."""
    post = alert.details.get("post")
    if not post:
        return
    rev = int(alert.details.get("rev", 0)) + 1
    set_details(alert, rev=rev)
    outbox.enqueue(session=session, team_id=project.team_id, key=f"alert:{alert.id}:rev:{rev}",
                   kind=outbox.Kind.UPDATE, reply=render_alert(alert, project, now),
                   channel_id=alert.channel_id, project_id=project.id, extra={"update_key": post}, now=now)


def _withdraw(session: Session, key: str | None) -> bool:
    """Cancel a still-pending message (compare-and-set, so a send in flight wins)."""
    if not key:
        return False
    return session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.idempotency_key == key, OutboxMessage.state == outbox.State.PENDING)
        .values(state=outbox.State.CANCELLED)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def _remember_ts(session: Session, alert: Alert) -> None:
    if alert.message_ts is None and alert.details.get("post"):
        channel, ts = outbox.sent_ts(session=session, key=alert.details["post"])
        if ts:
            alert.channel_id, alert.message_ts = channel, ts


# --- syncing findings -----------------------------------------------------------------


def _content(finding: Finding) -> dict:
    return {"numbers": finding.numbers, "subject": finding.subject}


def _insert(session: Session, project: Project, f: Finding, now: datetime) -> Alert | None:
    """A new alert row, or None when a concurrent check created it first."""
    alert = Alert(team_id=project.team_id, project_id=project.id, fingerprint=f.fingerprint,
                  detector=f.detector, severity=f.severity, reason=f.reason,
                  details=_content(f), created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        return None
    return alert


def sync_alerts(*, session: Session, project: Project, findings: list[Finding], ran: set[str],
                now: datetime) -> SyncResult:
    """Bring the project's alerts in line with `findings` from the detectors in `ran`."""
    limits = limits_for(project)
    result = SyncResult()
    existing = {a.fingerprint: a for a in session.exec(select(Alert).where(Alert.project_id == project.id))}
    seen: set[str] = set()
    for f in findings:
        if f.fingerprint in seen:
            continue
        seen.add(f.fingerprint)
        alert = existing.get(f.fingerprint)
        if alert is None:
            alert = _insert(session, project, f, now)
            if alert is not None:
                _announce(session, project, alert, now, limits)
                result.opened.append(alert)
                session.add(alert)
                continue
            alert = session.exec(select(Alert).where(Alert.project_id == project.id,
                                                     Alert.fingerprint == f.fingerprint)).one()
        _remember_ts(session, alert)
        rose = SEVERITY_RANK.get(f.severity, 0) > SEVERITY_RANK.get(alert.severity, 0)
        changed = (alert.reason != f.reason or alert.severity != f.severity
                   or alert.details.get("numbers") != f.numbers)
        snooze_over = alert.state == SNOOZED and (alert.snoozed_until is None or alert.snoozed_until <= now)
        alert.severity, alert.reason = f.severity, f.reason
        set_details(alert, **_content(f))
        if alert.state == RESOLVED or snooze_over or rose:
            if alert.state != RESOLVED:
                _retire(session, project, alert, not_before=quiet_until(project, now, limits), now=now)
            alert.state, alert.snoozed_until, alert.resolved_at = OPEN, None, None
            alert.acknowledged_by = None
            alert.updated_at = now
            _announce(session, project, alert, now, limits)
            result.realerted.append(alert)
        elif changed:
            alert.updated_at = now
            edit_message(session, project, alert, now)
            result.updated.append(alert)
        session.add(alert)
    for fingerprint, alert in existing.items():
        if fingerprint in seen or alert.detector not in ran or alert.state == RESOLVED:
            continue
        _remember_ts(session, alert)
        alert.state, alert.resolved_at, alert.updated_at = RESOLVED, now, now
        if _withdraw(session, alert.details.get("post")):
            _withdraw(session, alert.details.get("dm"))
        else:
            edit_message(session, project, alert, now)
        session.add(alert)
        result.resolved.append(alert)
    session.flush()
    return result


def check_project(*, session: Session, project: Project, now: datetime,
                  only: set[str] | None = None) -> SyncResult:
    """Run the (named) detectors on one project and sync its alerts; a project
    that is no longer active has nothing to watch, so its alerts resolve."""
    if project.state != ProjectState.ACTIVE:
        return sync_alerts(session=session, project=project, findings=[], ran=set(DETECTORS), now=now)
    snapshot = load_snapshot(session=session, project=project, now=now)
    findings = run_detectors(snapshot, limits_for(project), only)
    ran = set(DETECTORS) if only is None else set(only) & set(DETECTORS)
    return sync_alerts(session=session, project=project, findings=findings, ran=ran, now=now)


# --- reading ------------------------------------------------------------------------


def get_alert(*, session: Session, team_id: str, alert_id: int) -> tuple[Alert, Project]:
    alert = session.get(Alert, alert_id)
    if alert is None or alert.team_id != team_id:
        raise NotFound(f"There is no alert {alert_id} here; it may have been removed.")
    project = session.get(Project, alert.project_id)
    assert project is not None
    return alert, project


def _internal(alert: Alert) -> bool:
    """An alert about a risk marked internal (the team's only, never a client's)."""
    return bool(((alert.details or {}).get("numbers") or {}).get("internal"))


def _has_clients(session: Session, project: Project) -> bool:
    return session.exec(select(Member.id).where(Member.project_id == project.id,
                                                Member.role == Role.CLIENT).limit(1)).first() is not None


def list_alerts(*, session: Session, project: Project, include_resolved: bool = False,
                for_client: bool = False) -> list[Alert]:
    """Active alerts, critical first, newest first; a client sees none about internal risks."""
    query = select(Alert).where(Alert.project_id == project.id)
    if not include_resolved:
        query = query.where(Alert.state.in_(ACTIVE_STATES))
    alerts = [a for a in session.exec(query) if not (for_client and _internal(a))]
    return sorted(alerts, key=lambda a: (-SEVERITY_RANK.get(a.severity, 0), -a.id))


# --- after a change -------------------------------------------------------------------

AFFECTED_BY = {
    "task": {"past_due", "schedule_slip", "budget_burn", "blockers", "overload"},
    "milestone": {"past_due"},
    "risk": {"risk_gaps"},
    "cost": {"budget_burn"},
    "standup": {"blockers", "silent"},
    "member": {"overload", "silent", "budget_burn"},
    "dayoff": {"overload", "silent"},
    "project": set(DETECTORS),
}


AUDIT_KINDS = {"task": "task", "milestone": "milestone", "risk": "risk", "cost": "cost", "time": "cost",
               "member": "member", "day_off": "dayoff", "standup": "standup", "project": "project"}


def after_audited_changes(*, session: Session, team_id: str, since_audit_id: int,
                          now: datetime) -> dict[int, SyncResult]:
    """Re-run, per project, the detectors that the changes audited after
    `since_audit_id` can affect (what a command just did); the caller commits."""
    rows = session.exec(select(AuditEntry.project_id, AuditEntry.entity).where(
        AuditEntry.team_id == team_id, AuditEntry.id > since_audit_id,
        AuditEntry.project_id.is_not(None))).all()
    wanted: dict[int, set[str]] = {}
    for project_id, entity in rows:
        kind = AUDIT_KINDS.get(entity)
        if kind:
            wanted.setdefault(project_id, set()).update(AFFECTED_BY[kind])
    results = {}
    for project_id, only in sorted(wanted.items()):
        project = session.get(Project, project_id)
        if project is not None and project.team_id == team_id:
            results[project_id] = check_project(session=session, project=project, now=now, only=only)
    return results


def after_change(*, session: Session, project: Project, now: datetime, what: str) -> SyncResult:
    """Re-run only the detectors a change to `what` (task, milestone, risk, cost,
    standup, member, dayoff, project) can affect, in the caller's transaction."""
    return check_project(session=session, project=project, now=now, only=AFFECTED_BY[what])

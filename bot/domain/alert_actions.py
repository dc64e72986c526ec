"""What people do to an alert (the buttons, and `/project alerts ...`):
acknowledge, snooze, assign an owner, make it a risk; and change a
project's alert thresholds. Each action is audited and re-renders the
alert's message in place."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from bot.domain import audit, outbox
from bot.domain import risks as risk_service
from bot.domain.access import Action, require
from bot.domain.alerts import ACKNOWLEDGED, RESOLVED, SNOOZED, TITLES, edit_message, set_details
from bot.domain.detectors import THRESHOLDS
from bot.domain.errors import Invalid
from bot.domain.format import mention
from bot.domain.replies import Reply
from bot.models import Alert, Project, Risk


def _act(session: Session, project: Project, alert: Alert, actor: str, action: str,
         before: dict, now: datetime) -> None:
    alert.updated_at = now
    session.add(alert)
    audit.record(session=session, team_id=project.team_id, user_id=actor, action=f"alert.{action}",
                 entity="alert", entity_id=alert.id, project_id=project.id, before=before,
                 after={"state": alert.state, "snoozed_until": alert.snoozed_until,
                        "assignee": alert.details.get("assignee"), "risk": alert.details.get("risk")},
                 now=now)
    edit_message(session, project, alert, now)
    session.flush()


def _require_active(alert: Alert) -> None:
    if alert.state == RESOLVED:
        raise Invalid("That alert is already resolved: the condition cleared.")


def acknowledge(*, session: Session, project: Project, alert: Alert, actor: str, now: datetime) -> bool:
    """Mark seen; True if it changed (a second click changes nothing)."""
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="acknowledge alerts")
    _require_active(alert)
    if alert.state == ACKNOWLEDGED:
        return False
    before = {"state": alert.state}
    alert.state, alert.acknowledged_by, alert.snoozed_until = ACKNOWLEDGED, actor, None
    _act(session, project, alert, actor, "acknowledge", before, now)
    return True


def snooze(*, session: Session, project: Project, alert: Alert, actor: str, days: int,
           now: datetime) -> datetime:
    """Hide the alert for `days`; it posts again then if the condition persists."""
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="snooze alerts")
    _require_active(alert)
    until = now + timedelta(days=days)
    if alert.state == SNOOZED and alert.snoozed_until and abs(alert.snoozed_until - until) < timedelta(minutes=1):
        return alert.snoozed_until  # a double click
    before = {"state": alert.state, "snoozed_until": alert.snoozed_until}
    alert.state, alert.snoozed_until = SNOOZED, until
    _act(session, project, alert, actor, "snooze", before, now)
    return until


def assign(*, session: Session, project: Project, alert: Alert, actor: str, assignee: str,
           now: datetime) -> bool:
    """Name who follows the alert up; they get a DM. True if it changed."""
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="assign alerts")
    _require_active(alert)
    if alert.details.get("assignee") == assignee:
        return False
    before = {"assignee": alert.details.get("assignee")}
    set_details(alert, assignee=assignee)
    _act(session, project, alert, actor, "assign", before, now)
    outbox.enqueue(session=session, team_id=project.team_id, key=f"alert:{alert.id}:assign:{assignee}",
                   kind=outbox.Kind.DM, user_id=assignee, project_id=project.id,
                   reply=Reply.text(f"{mention(actor)} asked you to follow up an alert on "
                                    f"*{project.name}*: {alert.reason}"), now=now)
    return True


def to_risk(*, session: Session, project: Project, alert: Alert, actor: str,
            now: datetime) -> tuple[Risk, bool]:
    """Put the alert's condition in the risk register; returns (risk, created). Idempotent."""
    if alert.details.get("risk"):
        return risk_service.get_risk(session=session, project=project, number=int(alert.details["risk"])), False
    critical = alert.severity == "critical"
    owner = alert.details.get("assignee") or alert.details.get("subject")
    title = alert.reason.replace("*", "")
    risk = risk_service.add_risk(
        session=session, project=project, actor=actor,
        title=title if len(title) <= risk_service.MAX_TITLE else title[: risk_service.MAX_TITLE - 1] + "…",
        likelihood=4 if critical else 3, impact=4 if critical else 3, owner=owner,
        description=f"Raised from the {TITLES.get(alert.detector, alert.detector).lower()} alert.",
        source=f"alert:{alert.detector}", now=now)
    before = {"risk": None}
    set_details(alert, risk=risk.number)
    _act(session, project, alert, actor, "to_risk", before, now)
    return risk, True


# --- thresholds -----------------------------------------------------------------------


def set_threshold(*, session: Session, project: Project, actor: str, name: str,
                  value: float | None, now: datetime) -> float:
    """Set one threshold (None resets it to the default); returns the value in force."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE,
            what="change alert thresholds")
    if name not in THRESHOLDS:
        raise Invalid(f"There is no threshold `{name}`; one of {', '.join(THRESHOLDS)}.")
    default, low, high, _ = THRESHOLDS[name]
    if value is not None and not low <= value <= high:
        raise Invalid(f"`{name}` goes from {low:g} to {high:g} (got {value:g}).")
    if value is not None and name.startswith("quiet_") and value != int(value):
        raise Invalid(f"`{name}` is a whole hour from 0 to 23, like 20 (got {value:g}).")
    settings = dict(project.settings or {})
    custom = dict(settings.get("alerts") or {})
    before = {name: custom.get(name, default)}
    if value is None:
        custom.pop(name, None)
    else:
        custom[name] = value
    settings["alerts"] = custom
    project.settings = settings
    session.add(project)
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="alerts.threshold",
                 entity="project", entity_id=project.id, project_id=project.id, before=before,
                 after={name: value if value is not None else default}, now=now)
    session.flush()
    return value if value is not None else default

"""Scheduled judgement: the daily health snapshot and the weekly report.

- `snapshot_all` (hourly): records every active project's red/amber/green for
  its local today (one row per project and day, updated through the day), so
  reports can show the trend.
- `weekly_reports` (every 15 minutes): posts each project's weekly report once
  its local report time has come (default Friday 16:00 project time; per
  project with `/project report schedule mon 09:00` or `off`), to its
  channel and by email to its recipients (`bot.domain.report_emails`), at
  most once per ISO week: the outbox keys name the week, so a rerun, a second
  worker or a restart never posts or emails twice. A report missed on its day (worker
  down) is not posted late on another day.

Both take the database URL (a persistent job store pickles their arguments),
or an `engine` in tests, and `now` so tests can freeze time.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.domain import charts, report_emails
from bot.domain import report as report_service
from bot.domain.health import record_snapshot
from bot.domain.status import build_statuses
from bot.jobs.scheduler import job_engine, job_settings
from bot.models import Project, ProjectState, utcnow

log = logging.getLogger(__name__)
SNAPSHOT_JOB_ID = "health-snapshots"
REPORT_JOB_ID = "weekly-reports"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BATCH = 50



def _settings_known() -> bool:
    try:
        job_settings()
    except RuntimeError:  # called outside a scheduler (tests, the shell's due steps)
        return False
    return True


def _local_now(project: Project, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(project.timezone or "UTC"))


def snapshot_all(*, engine: Engine | None = None,
                 now: datetime | None = None) -> int:
    """Record today's health for every active project; returns how many."""
    engine = engine or job_engine()
    now = now or utcnow()
    recorded = 0
    with Session(engine, expire_on_commit=False) as session:
        projects = list(session.exec(select(Project).where(Project.state == ProjectState.ACTIVE)))
        by_day = sorted(projects, key=lambda p: _local_now(p, now).date())
        for today, group in groupby(by_day, key=lambda p: _local_now(p, now).date()):
            batch = list(group)
            for i in range(0, len(batch), BATCH):
                chunk = batch[i : i + BATCH]
                try:
                    reports = build_statuses(session=session, projects=chunk, today=today)
                    for p in chunk:
                        r = reports[p.id]
                        record_snapshot(session=session, project=p, today=today, health=r.health,
                                        metrics=r.metrics(), now=now)
                    session.commit()
                    recorded += len(chunk)
                except Exception:  # one bad batch must not stop the others
                    session.rollback()
                    log.exception("health snapshot failed for %s", ", ".join(p.key for p in chunk))
    return recorded


def report_due(project: Project, now: datetime) -> bool:
    """True once the project's weekly report time has come today (local);
    never when its report is turned off."""
    schedule = report_service.schedule_of(project)
    if schedule is None:
        return False
    weekday, hhmm = schedule
    local = _local_now(project, now)
    if local.weekday() != WEEKDAYS.index(weekday):
        return False
    hour, minute = (int(x) for x in hhmm.split(":"))
    return (local.hour, local.minute) >= (hour, minute)


def next_report_at(project: Project, after: datetime) -> datetime | None:
    """The first moment after `after` at which `report_due` turns true for the
    project (its report day and time, project time); None when it is off."""
    schedule = report_service.schedule_of(project)
    if schedule is None:
        return None
    weekday, hhmm = schedule
    hour, minute = (int(x) for x in hhmm.split(":"))
    local = _local_now(project, after)
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        if day.weekday() != WEEKDAYS.index(weekday):
            continue
        moment = datetime.combine(day, time(hour, minute), tzinfo=local.tzinfo)
        if moment > after:
            return moment.astimezone(UTC)
    return None


def weekly_reports(*, engine: Engine | None = None, now: datetime | None = None,
                   public_url: str | None = None) -> list[str]:
    """Queue the weekly report of every project whose time has come, to its
    channel and its email recipients; returns the keys queued (the channel
    post's, then each email's). `public_url` (default: `PUBLIC_URL`) puts a
    status-page link in the emails."""
    engine = engine or job_engine()
    now = now or utcnow()
    if public_url is None:
        public_url = job_settings().public_url if _settings_known() else ""
    posted = []
    with Session(engine, expire_on_commit=False) as session:
        due = [p for p in session.exec(select(Project).where(Project.state == ProjectState.ACTIVE))
               if report_due(p, now) and (p.channel_id or report_emails.recipients(p))]
    for p in due:
        with Session(engine, expire_on_commit=False) as session:
            project = session.get(Project, p.id)
            today = _local_now(project, now).date()
            year, week, _ = today.isocalendar()
            key = f"weekly:{project.team_id}:{project.id}:{year}-W{week:02d}"
            to = report_emails.recipients(project)
            try:
                unsent = report_emails.unsent_keys(session=session, keys=[key] * bool(project.channel_id) + [
                    report_emails.email_key(key, r.email) for r in to])
                if not unsent:
                    continue  # posted and emailed this week already
                weekly = report_service.build_weekly_report(session=session, project=project, today=today)
                chart = charts.render_chart(session=session, report=weekly.status, kind="burnup")
                record_snapshot(session=session, project=project, today=today,
                                health=weekly.status.health, metrics=weekly.status.metrics(), now=now)
                if key in unsent and report_service.post_report(session=session, report=weekly, key=key,
                                                                chart_path=str(chart), now=now):
                    posted.append(key)
                emailed = report_emails.queue_emails(session=session, weekly=weekly, to=to, base_key=key,
                                                     chart_path=str(chart), public_url=public_url,
                                                     actor=project.owner_user_id, now=now)
                posted += [report_emails.email_key(key, address) for address in emailed]
                session.commit()
            except Exception:  # one broken project must not stop the other reports
                session.rollback()
                log.exception("weekly report failed for project %s (%s)", project.key, project.id)
    return posted


def register_jobs(scheduler, settings) -> None:
    """Hourly health snapshots and a 15-minute check for due weekly reports."""
    common = dict(replace_existing=True, coalesce=True, max_instances=1,
                  misfire_grace_time=settings.scheduler_misfire_grace_seconds)
    scheduler.add_job(snapshot_all, trigger="interval", hours=1, id=SNAPSHOT_JOB_ID, **common)
    scheduler.add_job(weekly_reports, trigger="interval", minutes=15, id=REPORT_JOB_ID, **common)

"""Closing and reopening a project.

Closing (owner only) sets the state `done`, so no detector, standup or report
job runs for it (they all skip projects that are not active), resolves its
open alerts, stores the final figures on a `ProjectClosure`, posts the final
report to the project's channel (summary, then Markdown and PDF in its thread)
and DMs each member a retrospective button. Reopening brings it back as
active; the closure stays, marked reopened. Both are audited and idempotent.
"""

from __future__ import annotations

import tempfile
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from bot.domain import audit, charts, outbox
from bot.domain.access import role_of
from bot.domain.alerts import check_project
from bot.domain.closing.final import build_final_report, final_figures, latest_closure
from bot.domain.closing.render import to_csv, to_markdown, to_pdf, to_reply
from bot.domain.errors import Invalid, PermissionDenied
from bot.domain.format import day, money, percent, plural, ratio
from bot.domain.members import user_names
from bot.domain.replies import Button, Intent, Reply, Section
from bot.domain.report import project_for_export
from bot.models import Lesson, Member, Project, ProjectClosure, ProjectState, Role

RETRO_MODES = ("named", "anonymous")
DEFAULT_RETRO_DAYS = 5
MAX_RETRO_DAYS = 30


def local_day(project: Project, moment: datetime) -> date:
    """The day `moment` (UTC) falls on in the project's zone."""
    return moment.astimezone(ZoneInfo(project.timezone or "UTC")).date()


def require_owner(session: Session, project: Project, user_id: str, what: str) -> None:
    if role_of(session=session, project=project, user_id=user_id) is not Role.OWNER:
        raise PermissionDenied(f"Only the project's owner can {what} *{project.name}* "
                               f"(owner: <@{project.owner_user_id}>).")


def open_closure(session: Session, project: Project) -> ProjectClosure | None:
    """The closing in force: the latest one, when the project is closed and it was not reopened."""
    closure = latest_closure(session, project)
    if project.state != ProjectState.DONE or closure is None or closure.reopened_at is not None:
        return None
    return closure


def close_project(*, session: Session, project: Project, actor: str, today: date, now: datetime,
                  retro_mode: str = "named", retro_days: int = DEFAULT_RETRO_DAYS,
                  files_dir: Path | None = None) -> tuple[ProjectClosure, bool]:
    """Close `project`; returns (closure, closed now). Closing a closed project changes nothing."""
    require_owner(session, project, actor, "close")
    if project.state == ProjectState.CANCELLED:
        raise Invalid(f"*{project.name}* is deleted (archived); `/project edit {project.key} state active` "
                      "brings it back first.")
    if retro_mode not in RETRO_MODES:
        raise Invalid("The retrospective is `named` or `anonymous`.")
    if not 1 <= retro_days <= MAX_RETRO_DAYS:
        raise Invalid(f"Answers are collected for 1 to {plural(MAX_RETRO_DAYS, 'day')}.")
    existing = open_closure(session, project)
    if existing is not None:
        return existing, False
    before = {"state": project.state}
    project.state = ProjectState.DONE
    project.updated_at = now
    session.add(project)
    closure = ProjectClosure(team_id=project.team_id, project_id=project.id, closed_by=actor, closed_at=now,
                             retro_mode=retro_mode, retro_until=now + timedelta(days=retro_days))
    session.add(closure)
    session.flush()
    check_project(session=session, project=project, now=now)  # a closed project's alerts resolve
    report = build_final_report(session=session, project=project, today=today)
    closure.final = final_figures(report)
    session.add(closure)
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="project.close",
                 entity="project", entity_id=project.id, project_id=project.id, now=now,
                 before=before, after={"state": ProjectState.DONE.value, "retro": retro_mode,
                                       "retro_days": retro_days, **closure.final})
    _post_final_report(session, report, closure, files_dir or charts.DEFAULT_DIR, now)
    _ask_for_retro(session, project, closure, now)
    session.flush()
    return closure, True


def write_files(session: Session, report, directory: Path, formats: tuple[str, ...] = ("md", "pdf")) -> dict[str, Path]:
    """The final report written as files (with the charts in the PDF); {format: path}."""
    p = report.project
    directory.mkdir(parents=True, exist_ok=True)
    names = user_names(session=session, team_id=p.team_id)
    stem = f"{p.key}-final-report-{report.status.today:%Y%m%d}-{uuid.uuid4().hex[:6]}"
    out: dict[str, Path] = {}
    if "md" in formats:
        out["md"] = directory / f"{stem}.md"
        out["md"].write_text(to_markdown(report, names), encoding="utf-8")
    if "pdf" in formats:
        pngs = [charts.render_chart(session=session, report=report.status, kind=k, directory=directory)
                for k in ("burnup", "budget")]
        out["pdf"] = directory / f"{stem}.pdf"
        out["pdf"].write_bytes(to_pdf(report, names, charts=pngs))
        for png in pngs:
            png.unlink(missing_ok=True)
    return out


def export_final(*, session: Session, key: str, now: datetime, fmt: str, team_id: str | None = None) -> bytes:
    """The final report of project `key` as `md`, `csv` or `pdf` bytes (the command line)."""
    if fmt not in ("md", "csv", "pdf"):
        raise Invalid(f"Format is md, csv or pdf (got {fmt}).")
    project = project_for_export(session=session, key=key, team_id=team_id)
    report = build_final_report(session=session, project=project,
                                today=now.astimezone(ZoneInfo(project.timezone or "UTC")).date())
    names = user_names(session=session, team_id=project.team_id)
    if fmt == "md":
        return to_markdown(report, names).encode()
    if fmt == "csv":
        return to_csv(report, names).encode()
    with tempfile.TemporaryDirectory() as tmp:
        pngs = [charts.render_chart(session=session, report=report.status, kind=k, directory=Path(tmp))
                for k in ("burnup", "budget")]
        return to_pdf(report, names, charts=pngs)


def _post_final_report(session: Session, report, closure: ProjectClosure, directory: Path, now: datetime) -> None:
    p = report.project
    if not p.channel_id:
        return
    key = f"final:{p.team_id}:{p.key}:{closure.id}"
    reply = to_reply(report)
    reply.ephemeral = False
    outbox.enqueue(session=session, team_id=p.team_id, key=key, kind=outbox.Kind.POST, reply=reply,
                   channel_id=p.channel_id, project_id=p.id, now=now)
    for fmt, path in write_files(session, report, directory).items():
        outbox.enqueue(session=session, team_id=p.team_id, key=f"{key}:{fmt}", kind=outbox.Kind.UPLOAD,
                       channel_id=p.channel_id, project_id=p.id, now=now,
                       extra={"thread_key": key, "file_path": str(path),
                              "title": f"{p.name}: final report ({fmt.upper()})"})


def retro_people(session: Session, project: Project) -> list[str]:
    """Who is asked for a retrospective: every active member but clients."""
    rows = session.exec(select(Member.user_id).where(Member.project_id == project.id, Member.active == True,  # noqa: E712
                                                     Member.role != Role.CLIENT)).all()
    return sorted(set(rows))


def _ask_for_retro(session: Session, project: Project, closure: ProjectClosure, now: datetime) -> None:
    until = closure.retro_until
    names = "Names are shown with the answers." if closure.retro_mode == "named" else \
        "Answers are summarised without names."
    for user_id in retro_people(session, project):
        reply = Reply(title=f"{project.name} is closed: your retrospective",
                      sections=[Section(text=(
                          f"Four short questions: what went well, what did not, what to do differently next "
                          f"time, and how satisfied you are (1-5). Answers are collected until "
                          f"{day(local_day(project, until), year=True) if until else 'the summary'} and then summarised "
                          f"in the channel. {names} In text: `/project retro {project.key} well \"...\" "
                          f"badly \"...\" differently \"...\" score 4`."))],
                      buttons=[Button("Answer the retrospective", Intent.RETRO_ANSWER, project.key, "primary")],
                      ephemeral=False)
        outbox.enqueue(session=session, team_id=project.team_id, key=f"retro:{closure.id}:ask:{user_id}",
                       kind=outbox.Kind.DM, reply=reply, user_id=user_id, project_id=project.id, now=now)


def reopen_project(*, session: Session, project: Project, actor: str, now: datetime) -> bool:
    """Bring a closed project back as active; False when it is not closed."""
    require_owner(session, project, actor, "reopen")
    if project.state != ProjectState.DONE:
        return False
    closure = open_closure(session, project)
    if closure is not None:
        closure.reopened_at, closure.reopened_by = now, actor
        session.add(closure)
    project.state = ProjectState.ACTIVE
    project.updated_at = now
    session.add(project)
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="project.reopen",
                 entity="project", entity_id=project.id, project_id=project.id, now=now,
                 before={"state": ProjectState.DONE.value}, after={"state": ProjectState.ACTIVE.value})
    session.flush()
    return True


def closed_lines(session: Session, project: Project) -> list[str]:
    """What status adds for a closed project: when and by whom, the final
    figures kept at closing, the retrospective and the lessons count."""
    from bot.domain.closing.retro import answer_count  # retro imports this module

    closure = open_closure(session, project)
    if closure is None:
        return []
    f, cur = closure.final or {}, project.currency
    tz = ZoneInfo(project.timezone or "UTC")
    cost = money(f.get("actual_cents"), cur)
    if f.get("budget_cents"):
        cost += f" of {money(f['budget_cents'], cur)} ({percent(f['actual_cents'] / f['budget_cents'])})"
    indices = " · ".join(f"{k.upper()} {ratio(f[k])}" for k in ("cpi", "spi") if f.get(k) is not None)
    lines = [f"Closed {day(closure.closed_at.astimezone(tz).date(), year=True)} by <@{closure.closed_by}>: "
             f"final cost {cost}" + (f" · {indices}" if indices else "") + "."]
    if f.get("finish"):
        planned = f" (planned {day(date.fromisoformat(f['planned_due']), year=True)})" if f.get("planned_due") else ""
        lines.append(f"Dates: {day(date.fromisoformat(f['start']), year=True) if f.get('start') else '?'} to "
                     f"{day(date.fromisoformat(f['finish']), year=True)}{planned}; "
                     f"{f.get('logged_hours', 0):g}h logged.")
    answers = answer_count(session, closure)
    state = ("summarised" if closure.retro_summarised_at else
             f"open until {day(closure.retro_until.astimezone(tz).date(), year=True)}")
    count = session.exec(select(func.count()).select_from(Lesson).where(Lesson.project_id == project.id)).one()
    lines.append(f"Retrospective: {plural(answers, 'answer')}, {state} · {plural(count, 'lesson')} kept.")
    lines.append(f"`/project report {project.key} final` · `/project reopen {project.key}`")
    return lines

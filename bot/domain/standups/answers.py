"""Answers: which run an answer belongs to, storing and editing it, and what
the answer modal shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.domain.access import role_of
from bot.domain.errors import Invalid, NotFound, PermissionDenied
from bot.domain.format import day as fmt_day
from bot.domain.projects import project_for_channel
from bot.domain.standups.digest import mark_answered
from bot.domain.standups.messages import post_late
from bot.domain.standups.queries import ASKED_ROLES, answered_ids, run_in_team
from bot.domain.standups.runs import advance_run, get_or_create_run, insert_ignore
from bot.domain.standups.schedule import config_timezone, local_time, local_to_utc, next_run_date
from bot.domain.standups.settings import (
    BLOCKERS,
    CONFIDENCE,
    FINISHED,
    NEXT,
    questions_of,
    require_config,
)
from bot.models import (
    Project,
    StandupAnswer,
    StandupConfig,
    StandupParticipant,
    StandupRun,
)

NO_BLOCKER = re.compile(r"^\s*(no(ne|pe|thing)?|n/?a|-+|nope|all good|nothing( blocking)?)\s*[.!]?\s*$",
                        re.I)


MAX_ANSWER = 3000


@dataclass
class AnswerResult:
    answer: StandupAnswer
    run: StandupRun
    created: bool
    when: str  # "on time" | "late" | "early"
    closed_run: StandupRun | None = None  # early because this run (answered already) has closed


def is_blocker(text: str) -> bool:
    return bool(text.strip()) and not NO_BLOCKER.match(text)


def target_run(*, session: Session, project: Project, user_id: str, now: datetime) -> tuple[StandupRun, str]:
    """The run an answer from `user_id` now belongs to: the open one (editable
    until it closes), else the last closed one they did not answer (late),
    else the next one (early)."""
    config = require_config(session=session, project=project)
    runs = list(session.exec(select(StandupRun).where(
        StandupRun.standup_id == config.id, StandupRun.state.in_(["open", "closed"]))
        .order_by(StandupRun.run_date.desc()).limit(3)))
    for run in runs:
        if run.state == "open" and now < run.closes_at:
            return run, "on time"
    if runs and runs[0].state == "closed":
        last = runs[0]
        was_in = session.exec(select(StandupParticipant).where(
            StandupParticipant.run_id == last.id, StandupParticipant.user_id == user_id)).first()
        if was_in and user_id not in answered_ids(session=session, run=last):
            return last, "late"
    tz = config_timezone(config, project)
    today = now.astimezone(ZoneInfo(tz)).date()
    opened_today = any(r.run_date == today for r in runs)
    today_closes = local_to_utc(today, config.time_local, tz) + timedelta(minutes=config.close_after_minutes)
    start = today + timedelta(days=1) if opened_today or now >= today_closes else today
    run_date = next_run_date(session=session, config=config, start=start)
    run, _ = get_or_create_run(session=session, config=config, run_date=run_date, now=now)
    return run, "early"


def submit_answer(*, session: Session, project: Project, user_id: str, answers: dict[str, str],
                  confidence: int | None, now: datetime, run_id: int | None = None) -> AnswerResult:
    """Store (or edit) `user_id`'s answer. With `run_id` (the button's run) that
    run; otherwise `target_run`. Edits are allowed until close; a first answer
    after close is late and goes to the summary's thread."""
    role = role_of(session=session, project=project, user_id=user_id)
    if role not in ASKED_ROLES:
        raise PermissionDenied(f"Only members of *{project.name}* answer its standup.")
    config = require_config(session=session, project=project)
    if run_id is not None:
        run = session.get(StandupRun, run_id)
        if run is None or run.project_id != project.id:
            raise NotFound("That standup no longer exists.")
        when = "late" if run.state == "closed" else "on time" if run.state == "open" else "early"
    else:
        run, when = target_run(session=session, project=project, user_id=user_id, now=now)
    if run.state == "open" and now >= run.closes_at:
        advance_run(session=session, run=run, now=now)  # close it first, then this one is late
        when = "late"
    clean = _clean_answers(config=config, answers=answers, confidence=confidence)
    answer = session.exec(select(StandupAnswer).where(StandupAnswer.run_id == run.id,
                                                      StandupAnswer.user_id == user_id)).first()
    created = answer is None
    if answer is not None and run.state == "closed":
        raise Invalid(f"The standup of {fmt_day(run.run_date)} closed at "
                      f"{local_time(run.closed_at or run.closes_at, config_timezone(config, project))}; "
                      "answers can be edited only until then.")
    if answer is None:
        created = insert_ignore(session, StandupAnswer, {
            "team_id": run.team_id, "run_id": run.id, "project_id": project.id, "user_id": user_id,
            "answers": clean["answers"], "blocker": clean["blocker"], "confidence": clean["confidence"],
            "late": when == "late", "submitted_at": now, "updated_at": now})
        answer = session.exec(select(StandupAnswer).where(StandupAnswer.run_id == run.id,
                                                          StandupAnswer.user_id == user_id)).one()
    else:
        answer.answers = clean["answers"]
        answer.blocker = clean["blocker"]
        answer.confidence = clean["confidence"]
        answer.updated_at = now
        session.add(answer)
        session.flush()
    if run.state == "open":
        part = session.exec(select(StandupParticipant).where(
            StandupParticipant.run_id == run.id, StandupParticipant.user_id == user_id)).first()
        if part is None:  # joined after the run opened
            session.add(StandupParticipant(team_id=run.team_id, run_id=run.id, user_id=user_id,
                                           status="asked", prompt_at=now))
    if run.state == "closed" and created:
        post_late(session=session, run=run, answer=answer, now=now)
    mark_answered(session=session, run=run, user_id=user_id, now=now)
    session.flush()
    closed_run = None
    if when == "early":
        closed_run = session.exec(select(StandupRun).where(
            StandupRun.standup_id == config.id, StandupRun.state == "closed",
            StandupRun.run_date < run.run_date).order_by(StandupRun.run_date.desc())).first()
        if closed_run is not None and closed_run.run_date != now.astimezone(
                ZoneInfo(config_timezone(config, project))).date():
            closed_run = None
    return AnswerResult(answer=answer, run=run, created=created, when=when, closed_run=closed_run)


def _clean_answers(*, config: StandupConfig, answers: dict[str, str], confidence: int | None) -> dict:
    ids = {q["id"] for q in questions_of(config)}
    unknown = set(answers) - ids
    if unknown:
        raise Invalid(f"This standup has no question `{sorted(unknown)[0]}`; it asks: "
                      f"{', '.join(sorted(ids - {CONFIDENCE}))}.")
    clean = {k: v.strip() for k, v in answers.items() if k != CONFIDENCE and v and v.strip()}
    for key, value in clean.items():
        if len(value) > MAX_ANSWER:
            raise Invalid(f"An answer can be at most {MAX_ANSWER} characters (`{key}` has {len(value)}).")
    if not clean and confidence is None:
        raise Invalid("The answer is empty: say what you finished, what is next, or what blocks you.")
    if confidence is not None and not 1 <= confidence <= 5:
        raise Invalid(f"Confidence is from 1 (worried) to 5 (sure), got {confidence}.")
    blocker = clean.get(BLOCKERS, "")
    return {"answers": clean, "blocker": blocker if is_blocker(blocker) else "",
            "confidence": confidence if CONFIDENCE in ids else None}


@dataclass
class AnswerForm:
    """What the answer modal shows: the run, the questions and current values."""

    run: StandupRun
    project: Project
    questions: list[dict]
    values: dict[str, str]
    confidence: int | None
    editing: bool


def answer_form(*, session: Session, project: Project, user_id: str, now: datetime,
                run_id: int | None = None) -> AnswerForm:
    """The modal's contents: this run's answer if any, else the previous
    answer's "next" pre-filled as "finished"."""
    config = require_config(session=session, project=project)
    if run_id is not None:
        run = session.get(StandupRun, run_id)
        if run is None or run.project_id != project.id:
            raise NotFound("That standup no longer exists.")
    else:
        run, _ = target_run(session=session, project=project, user_id=user_id, now=now)
    current = session.exec(select(StandupAnswer).where(StandupAnswer.run_id == run.id,
                                                       StandupAnswer.user_id == user_id)).first()
    if current is not None:
        return AnswerForm(run, project, questions_of(config), dict(current.answers), current.confidence,
                          editing=True)
    previous = session.exec(select(StandupAnswer).join(StandupRun, StandupRun.id == StandupAnswer.run_id)
                            .where(StandupRun.standup_id == config.id, StandupAnswer.user_id == user_id,
                                   StandupRun.run_date < run.run_date)
                            .order_by(StandupRun.run_date.desc())).first()
    values = {FINISHED: previous.answers.get(NEXT, "")} if previous and previous.answers.get(NEXT) else {}
    return AnswerForm(run, project, questions_of(config), values, None, editing=False)


def answer_form_for(*, session: Session, team_id: str, user_id: str, channel_id: str, run_id: int | None,
                    now: datetime) -> AnswerForm:
    """The form an "Answer standup" (or "Edit answer") click opens: for the
    button's run if it still exists, else for the next run of the channel's
    project. `NotFound` without a project; `Invalid` when editing a closed run."""
    run = session.get(StandupRun, run_id) if run_id is not None else None
    if run is not None:
        project = session.get(Project, run.project_id)
        if project is None or project.team_id != team_id:
            raise NotFound("That standup no longer exists.")
    else:
        project = project_for_channel(session=session, team_id=team_id, channel_id=channel_id)
        if project is None:
            raise NotFound("Which project? Use the button in your standup DM, or "
                           "`/project standup answer PROJECT ...`.")
    form = answer_form(session=session, project=project, user_id=user_id, now=now,
                       run_id=run.id if run else None)
    if form.editing and form.run.state == "closed":
        raise Invalid(f"The standup of {fmt_day(form.run.run_date, year=False)} has closed; "
                      "your answer is in its summary.")
    return form


def answer_forms(*, session: Session, team_id: str, user_id: str, run_ids: list[int],
                 now: datetime) -> list[AnswerForm]:
    """The forms of one DM's "Answer standups" (one modal, a part per project):
    each run still open, or closed without their answer (a late one). `Invalid`
    when none is left to answer."""
    forms = []
    for run_id in dict.fromkeys(run_ids):
        found = run_in_team(session=session, team_id=team_id, run_id=run_id)
        if found is None:
            continue
        form = answer_form(session=session, project=found[1], user_id=user_id, now=now, run_id=run_id)
        if not (form.editing and form.run.state == "closed"):
            forms.append(form)
    if not forms:
        raise Invalid("These standups have closed; your answers are in their summaries.")
    return forms

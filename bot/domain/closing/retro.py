"""The retrospective: each member's answers after a closing, collected until
the closing's `retro_until`, then summarised in the project's channel (with
names, or without when the owner chose `anonymous`). Each "do differently
next time" answer is kept as a lesson."""

from __future__ import annotations

from datetime import datetime
from statistics import mean

from sqlalchemy import func
from sqlmodel import Session, select

from bot.domain import audit, outbox, versions
from bot.domain.closing.close import local_day, retro_people
from bot.domain.closing.final import latest_closure
from bot.domain.closing.lessons import add_lesson
from bot.domain.errors import Invalid, PermissionDenied
from bot.domain.format import day, mention, plural, truncate
from bot.domain.replies import Reply, Section
from bot.models import Project, ProjectClosure, ProjectState, RetroAnswer

MAX_TEXT = 1000
QUESTIONS = {"went_well": "What went well", "went_badly": "What did not go well",
             "differently": "What to do differently next time"}


def answer_count(session: Session, closure: ProjectClosure) -> int:
    return session.exec(select(func.count()).select_from(RetroAnswer)
                        .where(RetroAnswer.closure_id == closure.id)).one()


def open_retro(session: Session, project: Project) -> ProjectClosure:
    """The closing whose retrospective is still collecting answers, or a clear refusal."""
    closure = latest_closure(session, project)
    if closure is None or project.state != ProjectState.DONE or closure.reopened_at is not None:
        raise Invalid(f"*{project.name}* is not closed, so there is no retrospective to answer. "
                      f"`/project lessons add {project.key} \"...\"` keeps a lesson at any time.")
    if closure.retro_summarised_at is not None:
        raise Invalid(f"The retrospective of *{project.name}* was summarised on "
                      f"{day(local_day(project, closure.retro_summarised_at), year=True)}. "
                      f"`/project lessons add {project.key} \"...\"` keeps something learned.")
    return closure


def my_answer(session: Session, closure: ProjectClosure, user_id: str) -> RetroAnswer | None:
    return session.exec(select(RetroAnswer).where(RetroAnswer.closure_id == closure.id,
                                                  RetroAnswer.user_id == user_id)).first()


def save_answer(*, session: Session, project: Project, user_id: str, went_well: str = "", went_badly: str = "",
                differently: str = "", satisfaction: int | None = None, now: datetime) -> tuple[RetroAnswer, bool]:
    """Store (or replace) `user_id`'s answers; returns (answer, changed). The same answers again change nothing."""
    closure = open_retro(session, project)
    if user_id not in retro_people(session, project):
        raise PermissionDenied(f"The retrospective of *{project.name}* is for its members.")
    values = {"went_well": went_well.strip(), "went_badly": went_badly.strip(), "differently": differently.strip()}
    for name, text in values.items():
        if len(text) > MAX_TEXT:
            raise Invalid(f"{QUESTIONS[name]}: at most {plural(MAX_TEXT, 'character')} (this has {len(text)}).")
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise Invalid("Satisfaction is a number from 1 (not at all) to 5 (very).")
    if not any(values.values()) and satisfaction is None:
        raise Invalid("Say at least one thing: what went well, what did not, what to do differently, or a score.")
    answer = my_answer(session, closure, user_id)
    if answer is None:
        answer = RetroAnswer(team_id=project.team_id, closure_id=closure.id, user_id=user_id, created_at=now,
                             updated_at=now, satisfaction=satisfaction, **values)
    elif all(getattr(answer, k) == v for k, v in values.items()) and answer.satisfaction == satisfaction:
        return answer, False
    else:
        for k, v in values.items():
            setattr(answer, k, v)
        answer.satisfaction, answer.updated_at = satisfaction, now
    session.add(answer)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=user_id, action="retro.answer",
                 entity="retro_answer", entity_id=answer.id, project_id=project.id, now=now,
                 after={"satisfaction": satisfaction})
    versions.touch(session, project.id)  # status counts the answers
    return answer, True


def summary_reply(session: Session, project: Project, closure: ProjectClosure) -> Reply:
    """The retrospective as a channel message: who answered, satisfaction, the three lists."""
    answers = list(session.exec(select(RetroAnswer).where(RetroAnswer.closure_id == closure.id)
                                .order_by(RetroAnswer.created_at, RetroAnswer.id)))
    asked = len(set(retro_people(session, project)) | {a.user_id for a in answers})
    scores = [a.satisfaction for a in answers if a.satisfaction]
    named = closure.retro_mode == "named"
    head = f"{len(answers)} of {plural(asked, 'member')} answered"
    if scores:
        head += f" · satisfaction {mean(scores):.1f} of 5 (from {plural(len(scores), 'score')})"
    head += "." if named else ". Answers are shown without names."
    sections = [Section(text=head)]
    for field, question in QUESTIONS.items():
        lines = [f"• {truncate(getattr(a, field), 500)}" + (f" ({mention(a.user_id)})" if named else "")
                 for a in answers if getattr(a, field)]
        if lines:
            sections.append(Section(text=f"*{question}*\n" + "\n".join(lines)))
    return Reply(title=f"{project.name}: retrospective", sections=sections, ephemeral=False,
                 footer="Each \"do differently\" answer is kept as a lesson: `/project lessons` finds them, "
                        "and `/project new` suggests them for similar projects.")


def summarise(*, session: Session, project: Project, closure: ProjectClosure, now: datetime) -> tuple[Reply, bool]:
    """Post the summary to the channel, keep the lessons, mark it done; (reply, summarised now)."""
    reply = summary_reply(session, project, closure)
    if closure.retro_summarised_at is not None:
        return reply, False
    answers = session.exec(select(RetroAnswer).where(RetroAnswer.closure_id == closure.id)
                           .order_by(RetroAnswer.id)).all()
    for a in answers:
        if a.differently:
            add_lesson(session=session, team_id=project.team_id, project=project, actor=a.user_id,
                       text=a.differently, source="retro", now=now, check=False)
    closure.retro_summarised_at = now
    session.add(closure)
    if project.channel_id:
        outbox.enqueue(session=session, team_id=project.team_id, key=f"retro:{closure.id}:summary",
                       kind=outbox.Kind.POST, reply=reply, channel_id=project.channel_id,
                       project_id=project.id, now=now)
    audit.record(session=session, team_id=project.team_id, user_id="", action="retro.summary",
                 entity="project", entity_id=project.id, project_id=project.id, now=now,
                 after={"answers": len(answers)})
    versions.touch(session, project.id)
    session.flush()
    return reply, True


def due_closures(session: Session, now: datetime) -> list[int]:
    """Closures whose collection time is over and whose summary is not out (reopened ones are skipped)."""
    return list(session.exec(select(ProjectClosure.id).join(Project, Project.id == ProjectClosure.project_id).where(
        ProjectClosure.retro_summarised_at.is_(None), ProjectClosure.reopened_at.is_(None),
        Project.state == ProjectState.DONE,  # brought back with `edit state active`: not summarised either
        ProjectClosure.retro_until.is_not(None), ProjectClosure.retro_until <= now).order_by(ProjectClosure.id)))

"""What a standup sends: the prompt, the reminder, the "answered" edit, the
summary with its thread, and a late answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.domain.format import day as fmt_day
from bot.domain.format import truncate
from bot.domain.outbox import Kind, enqueue
from bot.domain.replies import Button, Intent, Reply, Section
from bot.domain.standups.insights import repeated_blockers
from bot.domain.standups.queries import run_answers, run_participants
from bot.domain.standups.schedule import local_time
from bot.domain.standups.settings import BLOCKERS, questions_of
from bot.models import Project, StandupAnswer, StandupConfig, StandupRun


def _answer_command(project: Project) -> str:
    return (f'/project standup answer {project.key} finished "..." next "..." blockers none '
            "confidence 4")


def prompt_reply(*, config: StandupConfig, project: Project, run: StandupRun, tz: str) -> Reply:
    """The prompt DM; times in the person's zone `tz`."""
    questions = "\n".join(f"• {q['text']}" for q in questions_of(config))
    return Reply(
        title=f"Standup: {project.name}, {fmt_day(run.run_date, year=False)}",
        sections=[Section(text=f"Time for a quick update. Answer by {local_time(run.closes_at, tz)}.\n"
                               f"{questions}",
                          buttons=[Button("Answer standup", Intent.ANSWER_STANDUP, str(run.id),
                                          "primary")])],
        footer=f"Or type `{_answer_command(project)}`",
        ephemeral=False,
    )


def reminder_reply(*, project: Project, run: StandupRun, tz: str) -> Reply:
    return Reply(
        title=f"Reminder: {project.name} standup",
        sections=[Section(text=f"The standup of {fmt_day(run.run_date, year=False)} closes at "
                               f"{local_time(run.closes_at, tz)}. It takes a minute.",
                          buttons=[Button("Answer standup", Intent.ANSWER_STANDUP, str(run.id),
                                          "primary")])],
        footer=f"Or type `{_answer_command(project)}`",
        ephemeral=False,
    )


def answered_reply(*, project: Project, run: StandupRun, tz: str, now: datetime) -> Reply:
    """The prompt DM once answered: when, and an edit button while the run is open."""
    until = (f" You can edit it until {local_time(run.closes_at, tz)}." if run.state == "open" else "")
    buttons = [Button("Edit answer", Intent.ANSWER_STANDUP, str(run.id))] if run.state == "open" else []
    return Reply(title=f"Standup: {project.name}, {fmt_day(run.run_date, year=False)}",
                 sections=[Section(text=f":white_check_mark: Answered at {local_time(now, tz)}.{until}",
                                   buttons=buttons)], ephemeral=False)


@dataclass
class RunSummary:
    """Counts and lists for one run's summary."""

    run: StandupRun
    answers: list[StandupAnswer]
    missing: list[str]
    away: list[str]
    expected: int
    repeated: set[str]

    @property
    def blockers(self) -> list[StandupAnswer]:
        return [a for a in self.answers if a.blocker]

    def headline(self) -> str:
        n = len(self.blockers)
        late = sum(1 for a in self.answers if a.late)
        late_note = f" ({late} late)" if late else ""
        return (f"Standup, {fmt_day(self.run.run_date, year=False)}: {len(self.answers)} of "
                f"{self.expected} answered{late_note}, {n} blocker{'s' if n != 1 else ''}")


def run_summary(*, session: Session, run: StandupRun) -> RunSummary:
    parts = run_participants(session=session, run=run)
    answers = run_answers(session=session, run=run)
    answered = {a.user_id for a in answers}
    missing = [p.user_id for p in parts if p.status == "asked" and p.user_id not in answered]
    away = [p.user_id for p in parts if p.status == "away" and p.user_id not in answered]
    expected = len([p for p in parts if p.status == "asked" or p.user_id in answered])
    project = session.get(Project, run.project_id)
    assert project is not None
    repeated = {r.user_id for r in repeated_blockers(session=session, project=project,
                                                     now=run.closed_at or run.closes_at,
                                                     until_run=run)}
    return RunSummary(run, answers, missing, away, expected, repeated)


def answer_text(*, config: StandupConfig, answer: StandupAnswer, repeated: bool = False) -> str:
    """One person's answer as text, blocker highlighted."""
    labels = {q["id"]: q["text"] for q in questions_of(config)}
    lines = [f"*<@{answer.user_id}>*" + (" _(late)_" if answer.late else "")]
    for key, value in answer.answers.items():
        if key == BLOCKERS:
            continue
        lines.append(f"_{labels.get(key, key)}_\n{truncate(value, 900)}")
    if answer.blocker:
        again = " (blocked at the last standup too)" if repeated else ""
        lines.append(f":warning: *Blocker{again}:* {truncate(answer.blocker, 900)}")
    if answer.confidence is not None:
        lines.append(f"Confidence: {answer.confidence}/5")
    return "\n".join(lines)


def summary_reply(*, session: Session, run: StandupRun, config: StandupConfig) -> Reply:
    summary = run_summary(session=session, run=run)
    sections: list[Section] = []
    if summary.blockers:
        lines = [f"• <@{a.user_id}>: {truncate(a.blocker, 300)}"
                 + (" :rotating_light: _blocked 2 standups in a row_" if a.user_id in summary.repeated
                    else "") for a in summary.blockers]
        sections.append(Section(text=":warning: *Blockers*\n" + "\n".join(lines),
                                buttons=[Button("Make it a risk", Intent.BLOCKER_TO_RISK,
                                                f"{run.id}:{a.user_id}") for a in summary.blockers[:3]]))
    people = []
    if summary.missing:
        people.append("*Missing:* " + ", ".join(f"<@{u}>" for u in summary.missing))
    if summary.away:
        people.append("*Away:* " + ", ".join(f"<@{u}>" for u in summary.away))
    confidences = [a.confidence for a in summary.answers if a.confidence is not None]
    if confidences:
        people.append(f"*Confidence:* {sum(confidences) / len(confidences):.1f}/5 on average")
    if people:
        sections.append(Section(text="\n".join(people)))
    if not config.answers_in_thread:
        sections += [Section(text=answer_text(config=config, answer=a, repeated=a.user_id in summary.repeated))
                     for a in summary.answers[:40]]
    footer = "Answers in the thread." if config.answers_in_thread and summary.answers else ""
    return Reply(title=summary.headline(), sections=sections, footer=footer, ephemeral=False)


def summary_key(run: StandupRun) -> str:
    return f"standup:{run.id}:summary"


def post_summary(*, session: Session, run: StandupRun, now: datetime) -> None:
    config = session.get(StandupConfig, run.standup_id)
    project = session.get(Project, run.project_id)
    assert config is not None and project is not None
    channel, dm = run.channel_id, None
    if not channel:
        dm = project.owner_user_id
    enqueue(session=session, not_before=now, now=now, team_id=run.team_id, key=summary_key(run),
            kind=Kind.POST if channel else Kind.DM, channel_id=channel, user_id=dm,
            project_id=project.id, reply=summary_reply(session=session, run=run, config=config))
    if config.answers_in_thread:
        repeated = run_summary(session=session, run=run).repeated
        for answer in run_answers(session=session, run=run):
            enqueue(session=session, not_before=now, now=now, team_id=run.team_id,
                    key=f"standup:{run.id}:answer:{answer.user_id}",
                    kind=Kind.POST if channel else Kind.DM, channel_id=channel, user_id=dm,
                    project_id=project.id, extra={"thread_key": summary_key(run)},
                    reply=Reply(sections=[Section(text=answer_text(
                        config=config, answer=answer, repeated=answer.user_id in repeated))],
                        ephemeral=False))


def post_late(*, session: Session, run: StandupRun, answer: StandupAnswer, now: datetime) -> None:
    """A late answer: into the summary's thread, and the summary's counts updated."""
    config = session.get(StandupConfig, run.standup_id)
    assert config is not None
    channel = run.channel_id
    dm = None if channel else session.get(Project, run.project_id).owner_user_id  # type: ignore[union-attr]
    kind = Kind.POST if channel else Kind.DM
    enqueue(session=session, not_before=now, now=now, team_id=run.team_id,
            key=f"standup:{run.id}:late:{answer.user_id}",
            kind=kind, channel_id=channel, user_id=dm, project_id=run.project_id,
            extra={"thread_key": summary_key(run)},
            reply=Reply(sections=[Section(text=answer_text(config=config, answer=answer))],
                        ephemeral=False))
    enqueue(session=session, not_before=now, now=now, team_id=run.team_id,
            key=f"standup:{run.id}:summary:late:{answer.user_id}", kind=Kind.UPDATE,
            channel_id=channel, user_id=dm, project_id=run.project_id,
            extra={"update_key": summary_key(run)},
            reply=summary_reply(session=session, run=run, config=config))

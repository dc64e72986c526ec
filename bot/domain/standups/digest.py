"""One DM a moment: someone asked by several projects' standups at the same
time gets one message with a section per project, not one DM each.

How: a prompt is an outbox DM held until its time (runs open a minute
ahead). A run asking someone at a moment when a prompt DM to them is already
waiting for that very moment (another project's, not yet sent) adds itself to
that DM, which is re-rendered with every project's section; otherwise it
queues its own (`standup:{run_id}:prompt:{user}`, as a single standup always
did). The DM's payload lists its runs (`runs`), and each participant row
names the DM that asked them (`StandupParticipant.prompt_key`), so:

- the DM has one **Answer standups** button: one modal with each project's
  questions (`Intent.ANSWER_STANDUPS`), each project's answer stored on its
  own run, so each summary gets only its own answers;
- answering edits that DM in place (answered projects ticked, an
  **Edit answers** button while any is open); answering before the DM went
  out takes that project out of it;
- one reminder covers every project of the DM still unanswered, at the
  first reminder time among them.

A DM that has already gone out (or is being sent) is never changed into a
digest: a standup opened later the same moment sends its own DM.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from bot.domain.format import day as fmt_day
from bot.domain.format import plural
from bot.domain.outbox import Kind, State, enqueue
from bot.domain.replies import Button, Intent, Reply, Section, reply_to_dict
from bot.domain.standups.messages import answered_reply, prompt_reply, reminder_reply
from bot.domain.standups.schedule import config_timezone, local_time
from bot.domain.standups.settings import questions_of
from bot.models import (
    OutboxMessage,
    Project,
    StandupAnswer,
    StandupConfig,
    StandupParticipant,
    StandupRun,
    User,
)


def prompt_key(run_id: int, user_id: str) -> str:
    return f"standup:{run_id}:prompt:{user_id}"


def key_of(part: StandupParticipant) -> str:
    """The outbox key of the DM that asked this participant."""
    return part.prompt_key or prompt_key(part.run_id, part.user_id)


def runs_of(message: OutboxMessage) -> list[int]:
    """The runs a prompt DM asks about (a single standup's, from its key)."""
    runs = (message.payload or {}).get("runs")
    if runs:
        return [int(r) for r in runs]
    return [int(message.idempotency_key.split(":")[1])]


@dataclass(frozen=True)
class Asked:
    """One standup in a DM: its run, settings, project, and the zone the person sees times in."""

    run: StandupRun
    config: StandupConfig
    project: Project
    tz: str


def _runs(session: Session, run_ids: set[int]) -> dict[int, tuple[StandupRun, StandupConfig, Project]]:
    rows = session.exec(select(StandupRun, StandupConfig, Project)
                        .join(StandupConfig, StandupConfig.id == StandupRun.standup_id)
                        .join(Project, Project.id == StandupRun.project_id)
                        .where(StandupRun.id.in_(run_ids))).all() if run_ids else []
    return {run.id: (run, config, project) for run, config, project in rows}


def _zones(session: Session, team_id: str, users: set[str]) -> dict[str, str]:
    return {u: tz for u, tz in session.exec(select(User.user_id, User.timezone).where(
        User.team_id == team_id, User.user_id.in_(users))) if tz} if users else {}


def _items(found: dict[int, tuple[StandupRun, StandupConfig, Project]], run_ids: list[int],
           zone: str) -> list[Asked]:
    out = []
    for run_id in run_ids:
        if run_id in found:
            run, config, project = found[run_id]
            tz = zone if config.per_member_timezone and zone else config_timezone(config, project)
            out.append(Asked(run, config, project, tz))
    return out


def asked_items(*, session: Session, run_ids: list[int], user_id: str) -> list[Asked]:
    """The runs of a DM, in its order, with the zone each shows times in (two statements)."""
    found = _runs(session, set(run_ids))
    member_time = any(config.per_member_timezone for _, config, _ in found.values())
    team = next(iter(found.values()))[0].team_id if found else ""
    zone = _zones(session, team, {user_id}).get(user_id, "") if member_time else ""
    return _items(found, run_ids, zone)


def digest_reply(asked: list[Asked], *, answered: dict[int, datetime] | None = None) -> Reply:
    """The DM for `asked` (one standup: exactly the single prompt, or its
    "answered" edit); `answered`: run id -> when this person answered it."""
    answered = answered or {}
    if len(asked) == 1:
        a = asked[0]
        if a.run.id in answered:
            return answered_reply(project=a.project, run=a.run, tz=a.tz, now=answered[a.run.id])
        return prompt_reply(config=a.config, project=a.project, run=a.run, tz=a.tz)
    lines = []
    for a in asked:
        if a.run.id in answered:
            edit = f"; you can edit it until {local_time(a.run.closes_at, a.tz)}" if a.run.state == "open" else ""
            lines.append(f":white_check_mark: *{a.project.name}*: answered at "
                         f"{local_time(answered[a.run.id], a.tz)}{edit}")
        elif a.run.state == "closed":
            lines.append(f"• *{a.project.name}*: closed at {local_time(a.run.closed_at or a.run.closes_at, a.tz)}; "
                         "a late answer still goes to its summary's thread")
        else:
            lines.append(f"• *{a.project.name}*: answer by {local_time(a.run.closes_at, a.tz)}")
    sections = [Section(text="\n".join(lines))]
    waiting = [a for a in asked if a.run.id not in answered]
    asks = {a.run.id: [q["text"] for q in questions_of(a.config)] for a in waiting}
    if waiting and all(q == asks[waiting[0].run.id] for q in asks.values()):
        sections.append(Section(text=("Each asks:\n" if len(waiting) > 1 else f"*{waiting[0].project.name}* asks:\n")
                                + "\n".join(f"• {q}" for q in asks[waiting[0].run.id])))
    else:
        sections += [Section(text=f"*{a.project.name}* asks:\n" + "\n".join(f"• {q}" for q in asks[a.run.id]))
                     for a in waiting]
    todo = [a.run.id for a in asked if a.run.id not in answered]
    editable = [a.run.id for a in asked if a.run.id in answered and a.run.state == "open"]
    if todo:
        button = Button("Answer standups", Intent.ANSWER_STANDUPS, ",".join(str(r) for r in todo + editable),
                        "primary")
    elif editable:
        button = Button("Edit answers", Intent.ANSWER_STANDUPS, ",".join(str(r) for r in editable))
    else:
        button = None
    keys = ", ".join(f"`{a.project.key}`" for a in asked)
    done = "" if todo else "All answered. "
    return Reply(
        title=f"Standups: {plural(len(asked), 'project')}, {fmt_day(asked[0].run.run_date, year=False)}",
        sections=sections, buttons=[button] if button else [],
        footer=f"{done}One form for all of them; or type `/project standup answer PROJECT finished \"...\" "
               f"next \"...\" blockers none` for each ({keys}).",
        ephemeral=False)


def reminder_digest(asked: list[Asked]) -> Reply:
    """One reminder for the standups of a DM still unanswered."""
    if len(asked) == 1:
        a = asked[0]
        return reminder_reply(project=a.project, run=a.run, tz=a.tz)
    lines = "\n".join(f"• *{a.project.name}*: closes at {local_time(a.run.closes_at, a.tz)}" for a in asked)
    return Reply(title=f"Reminder: {plural(len(asked), 'standup')}",
                 sections=[Section(text=f"Still open for you:\n{lines}\nIt takes a minute.",
                                   buttons=[Button("Answer standups", Intent.ANSWER_STANDUPS,
                                                   ",".join(str(a.run.id) for a in asked), "primary")])],
                 ephemeral=False)


def answers_by_run(*, session: Session, run_ids: list[int], user_id: str) -> dict[int, datetime]:
    """run id -> when `user_id` answered it (last edit), for the runs they answered."""
    return {run_id: when for run_id, when in session.exec(
        select(StandupAnswer.run_id, StandupAnswer.updated_at).where(
            StandupAnswer.run_id.in_(run_ids), StandupAnswer.user_id == user_id))}


# --- queueing prompts -----------------------------------------------------------------------


def _waiting(session: Session, *, team_id: str, users: set[str], moments: set[datetime]) -> list[OutboxMessage]:
    """Standup prompt DMs to `users` held for one of `moments`, not yet tried
    (locked on PostgreSQL, so two openings merge one after the other)."""
    return list(session.exec(select(OutboxMessage).where(
        OutboxMessage.state == State.PENDING, OutboxMessage.next_attempt_at.in_(moments),
        OutboxMessage.attempts == 0, OutboxMessage.team_id == team_id, OutboxMessage.kind == str(Kind.DM),
        OutboxMessage.user_id.in_(users), OutboxMessage.idempotency_key.like("standup:%:prompt:%"))
        .order_by(OutboxMessage.id).with_for_update().execution_options(populate_existing=True)))


def queue_prompt(*, session: Session, asked: Asked, part: StandupParticipant, send_at: datetime,
                 now: datetime) -> bool:
    """Queue `part`'s prompt for `asked.run`, held until `send_at`: into the DM
    already waiting for them at that moment, else its own. True if they were
    newly asked (False when this prompt was queued before)."""
    run = asked.run
    waiting = _waiting(session, team_id=run.team_id, users={part.user_id}, moments={send_at})
    if waiting:
        message = waiting[0]
        added = _merge_all(session, run.team_id, [(message, [Prompt(asked, part.user_id, send_at, Reply())])])
        part.prompt_key = None if message.idempotency_key == prompt_key(run.id, part.user_id) else \
            message.idempotency_key
        return bool(added)
    _, sent = enqueue(session=session, not_before=send_at, now=now, team_id=run.team_id,
                      key=prompt_key(run.id, part.user_id), kind=Kind.DM, user_id=part.user_id,
                      project_id=asked.project.id, extra={"runs": [run.id]},
                      reply=digest_reply([asked]))
    part.prompt_key = None
    return sent


@dataclass
class Prompt:
    """One person's prompt for one run in a batch: what it asks, and when."""

    asked: Asked
    user_id: str
    send_at: datetime
    reply: Reply  # the single standup's prompt (shared by everyone a run asks at its time)


def queue_prompts(*, session: Session, team_id: str, prompts: list[Prompt], now: datetime
                  ) -> tuple[dict[tuple[int, str], str], list[OutboxMessage], set[tuple[int, str]]]:
    """`queue_prompt` for many at once (the scheduler's batch), in a fixed
    number of statements: people asked by several runs at the same moment get
    one DM. Returns (run id, user) -> the key of the DM that asks them; the
    new outbox rows (the caller inserts them in one statement); and the
    (run id, user) added to DMs already waiting."""
    grouped: dict[tuple[str, datetime], list[Prompt]] = {}
    for p in prompts:
        grouped.setdefault((p.user_id, p.send_at), []).append(p)
    waiting = {(m.user_id, m.next_attempt_at): m for m in _waiting(
        session, team_id=team_id, users={u for u, _ in grouped}, moments={at for _, at in grouped})} \
        if grouped else {}
    keys: dict[tuple[int, str], str] = {}
    rows, merges = [], []
    for (user_id, at), group in grouped.items():
        existing = waiting.get((user_id, at))
        if existing is not None:
            merges.append((existing, group))
            keys |= {(p.asked.run.id, user_id): existing.idempotency_key for p in group}
            continue
        first = group[0].asked
        key = prompt_key(first.run.id, user_id)
        reply = group[0].reply if len(group) == 1 else digest_reply([p.asked for p in group])
        rows.append(OutboxMessage(team_id=team_id, idempotency_key=key, kind=str(Kind.DM), user_id=user_id,
                                  project_id=first.project.id,
                                  payload={"reply": reply_to_dict(reply), "runs": [p.asked.run.id for p in group]},
                                  next_attempt_at=at, created_at=now))
        keys |= {(p.asked.run.id, user_id): key for p in group}
    return keys, rows, _merge_all(session, team_id, merges)


def _merge_all(session: Session, team_id: str, merges: list[tuple[OutboxMessage, list[Prompt]]]
               ) -> set[tuple[int, str]]:
    """Add each group's standups to the DM waiting for them (re-rendered), in
    three statements for all; the (run id, user) added."""
    if not merges:
        return set()
    found = _runs(session, {r for message, _ in merges for r in runs_of(message)})
    zones = _zones(session, team_id, {message.user_id for message, _ in merges})
    added, updates = set(), []
    for message, group in merges:
        runs = runs_of(message)
        new = [p.asked for p in group if p.asked.run.id not in runs]
        if not new:
            continue
        known = {a.run.id: a for a in _items(found, runs, zones.get(message.user_id, ""))} | \
            {a.run.id: a for a in new}
        runs += [a.run.id for a in new]
        reply = digest_reply([known[r] for r in runs if r in known])
        updates.append({"_id": message.id, "payload": {**(message.payload or {}), "runs": runs,
                                                       "reply": reply_to_dict(reply)}})
        added |= {(a.run.id, message.user_id) for a in new}
    if updates:
        table = OutboxMessage.__table__
        session.execute(table.update().where(table.c.id == bindparam("_id")).values(payload=bindparam("payload")),
                        updates)
        for message, _ in merges:
            session.expire(message, ["payload"])  # re-read, should this transaction look again
    return added


# --- after an answer ------------------------------------------------------------------------


def mark_answered(*, session: Session, run: StandupRun, user_id: str, now: datetime) -> None:
    """Show in the DM that asked `user_id` that they answered `run`: edit it in
    place, or, if it has not gone out yet, take the run out of it (withdraw
    it when nothing is left to ask)."""
    part = session.exec(select(StandupParticipant).where(StandupParticipant.run_id == run.id,
                                                         StandupParticipant.user_id == user_id)).first()
    key = key_of(part) if part is not None else prompt_key(run.id, user_id)
    prompt = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).first()
    if prompt is None:
        return
    runs = runs_of(prompt)
    held = prompt.state == State.PENDING and prompt.attempts == 0 and prompt.next_attempt_at > now
    if held:
        left = [r for r in runs if r != run.id]
        claimed = session.execute(update(OutboxMessage).where(
            OutboxMessage.id == prompt.id, OutboxMessage.state == State.PENDING, OutboxMessage.attempts == 0)
            .values(state=State.CANCELLED if not left else State.PENDING,
                    payload={**prompt.payload, "runs": left,
                             "reply": reply_to_dict(digest_reply(asked_items(
                                 session=session, run_ids=left, user_id=user_id)))} if left else prompt.payload)
            .execution_options(synchronize_session=False)).rowcount
        if claimed:
            session.expire(prompt)
            return
    asked = asked_items(session=session, run_ids=runs, user_id=user_id)
    answered = answers_by_run(session=session, run_ids=runs, user_id=user_id)
    enqueue(session=session, not_before=now, now=now, team_id=run.team_id, kind=Kind.UPDATE, user_id=user_id,
            key=f"standup:{run.id}:answered:{user_id}:{int(now.timestamp())}", project_id=run.project_id,
            extra={"update_key": key}, reply=digest_reply(asked, answered=answered))


def queue_reminder(*, session: Session, part: StandupParticipant, now: datetime) -> list[str]:
    """One reminder for every standup of `part`'s DM they have not answered and
    that is still open; marks each of those as reminded. The user ids reminded
    (theirs, once, or nobody)."""
    key = key_of(part)
    prompt = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).first()
    runs = runs_of(prompt) if prompt is not None else [part.run_id]
    answered = answers_by_run(session=session, run_ids=runs, user_id=part.user_id)
    todo = [a for a in asked_items(session=session, run_ids=runs, user_id=part.user_id)
            if a.run.id not in answered and a.run.state == "open" and now < a.run.closes_at]
    session.execute(update(StandupParticipant).where(
        StandupParticipant.run_id.in_(runs), StandupParticipant.user_id == part.user_id,
        StandupParticipant.reminded_at.is_(None)).values(reminded_at=now).execution_options(
        synchronize_session=False))
    part.reminded_at = now
    if not todo:
        return []
    first = todo[0].run
    reminder_key = (f"standup:{first.id}:remind:{part.user_id}" if len(runs) == 1 else f"{key}:remind")
    _, sent = enqueue(session=session, not_before=now, now=now, team_id=first.team_id, key=reminder_key,
                      kind=Kind.DM, user_id=part.user_id, project_id=first.project_id,
                      reply=reminder_digest(todo))
    return [part.user_id] if sent else []

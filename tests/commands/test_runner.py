"""One command runner for every transport: the command, then the after-change
hooks the transport registered, with what changed; read-only and refused
commands run none. The shell and Slack register the same alert hook, so a
command that makes a task overdue raises the same alert in both."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import Session, select

from bot.commands import runner as runner_module
from bot.commands.runner import Change, CommandRunner, check_alerts, refresh_homes
from bot.config import Settings
from bot.models import Alert, OutboxMessage
from bot.shell.console import Shell
from bot.slack.services import Services
from tests.support.factories import MEMBER, OWNER, make_project
from tests.support.helpers import TEAM


class Recorder:
    """A hook that remembers what it was told and whether it ran in the command's session."""

    def __init__(self, wrote: bool = False):
        self.changes: list[Change] = []
        self.sessions: list[Session] = []
        self.wrote = wrote

    def __call__(self, session: Session, change: Change) -> bool:
        self.changes.append(change)
        self.sessions.append(session)
        return self.wrote


def runner_for(engine, now, **kwargs) -> CommandRunner:
    return CommandRunner(engine, clock=lambda: now, **kwargs)


def test_a_change_runs_every_hook_with_what_changed_and_a_read_only_command_none(db_engine, now):
    project = make_project(db_engine, task_titles=("Choose hosting",))
    runner = runner_for(db_engine, now)
    at_once, later = Recorder(), Recorder()
    runner.after_change(at_once)
    runner.after_change(later, deferred=True)

    assert not runner.run(f"status {project.key}", team_id=TEAM, user_id=OWNER).error
    assert runner.run(f"task add {project.key} \"x\"", team_id=TEAM, user_id="U0NOBODY").error
    assert at_once.changes == later.changes == []  # read-only, then refused: nothing changed

    reply = runner.run(f"task assign {project.key} 1 <@{MEMBER}>", team_id=TEAM, user_id=OWNER,
                       channel_id="C0PROJ", cause="trigger-1")
    assert not reply.error, reply.plain()
    (change,) = at_once.changes
    assert later.changes == [change]
    assert (change.team_id, change.user_id, change.cause, change.now) == (TEAM, OWNER, "trigger-1", now)
    assert at_once.sessions[0] is not later.sessions[0]  # a deferred hook has a transaction of its own


def test_what_an_in_request_hook_writes_is_committed_and_delivery_is_kicked(db_engine, now):
    project = make_project(db_engine, task_titles=("Choose hosting",))
    kicks: list[int] = []
    runner = runner_for(db_engine, now, kick=lambda: kicks.append(1))
    runner.after_change(refresh_homes)
    runner.run(f"task assign {project.key} 1 <@{MEMBER}>", team_id=TEAM, user_id=OWNER, cause="trigger-1")
    with Session(db_engine) as s:
        homes = s.exec(select(OutboxMessage.user_id).where(OutboxMessage.kind == "publish_home")).all()
    assert set(homes) == {OWNER, MEMBER} and kicks  # the actor and the new assignee


def test_a_deferred_hook_waits_for_its_runner_and_a_failing_one_is_logged_not_raised(db_engine, now, caplog):
    project = make_project(db_engine, task_titles=("Choose hosting",))
    queued = []
    runner = runner_for(db_engine, now, defer=queued.append)  # as a thread pool would, later

    def broken(session: Session, change: Change) -> bool:
        raise RuntimeError("detector bug")

    runner.after_change(broken, deferred=True)
    reply = runner.run(f"task done {project.key} 1", team_id=TEAM, user_id=OWNER)
    assert not reply.error and len(queued) == 1  # answered before the hook ran
    with caplog.at_level(logging.ERROR):
        queued[0]()
    assert "broken after a change failed" in caplog.text


def test_the_shell_raises_the_alert_a_command_causes_as_slack_does(sqlite_engine, now):
    project = make_project(sqlite_engine, task_titles=("Choose hosting",))
    clock = [now - timedelta(days=3)]
    shell = Shell(sqlite_engine, Settings(), team_id=TEAM, user="owner", clock=lambda: clock[0])
    slack = Services(settings=Settings(), engine=sqlite_engine, kick=lambda: None)
    assert shell.runner.hooks == [(check_alerts, True)]  # no App Home in a terminal
    assert slack.runner.hooks == [(refresh_homes, False), (check_alerts, True)]
    shell.run_command(f"task due {project.key} 1 {clock[0].date().isoformat()}")  # due that day
    clock[0] = now  # three days later, any change re-runs the detectors
    out = shell.run_command(f"task assign {project.key} 1 me")
    assert "── #C0PROJ ──\n🟠 Past due · Website relaunch" in out  # posted, printed with the reply
    with Session(sqlite_engine) as s:
        alerts = s.exec(select(Alert.detector).where(Alert.project_id == project.id)).all()
    assert alerts == ["past_due"]


def test_a_failing_detector_no_longer_breaks_the_shell(sqlite_engine, now, monkeypatch, caplog):
    """The one change for the shell: its detectors run as Slack's do, after the
    command committed, and a failure is logged while the reply still prints."""
    project = make_project(sqlite_engine, task_titles=("Choose hosting",))
    shell = Shell(sqlite_engine, Settings(), team_id=TEAM, user="owner", clock=lambda: now)

    def broken(**kwargs):
        raise RuntimeError("detector bug")

    monkeypatch.setattr(runner_module, "after_audited_changes", broken)
    with caplog.at_level(logging.ERROR):
        out = shell.run_command(f"task done {project.key} 1")
    assert "Choose hosting" in out and "check_alerts after a change failed" in caplog.text

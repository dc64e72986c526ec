"""The local shell: type `/project ...` as someone, somewhere, and read the reply as text."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

import bot
from bot.config import Settings
from bot.domain.demo import DEMO_TEAM
from bot.domain.replies import Button, Field, Intent, Reply, Section
from bot.models import Project
from bot.shell.console import Shell, seed_if_empty
from bot.shell.render import render_text
from tests.support.factories import make_project
from tests.support.standup_world import OWNER, PROMPT, World

ROOT = Path(bot.__file__).resolve().parents[1]  # the repository, wherever this file sits


@pytest.fixture
def shell(sqlite_engine, now):
    assert seed_if_empty(sqlite_engine, now)
    return Shell(sqlite_engine, Settings(), clock=lambda: now)


def test_demo_seeds_a_realistic_project_once(sqlite_engine, now):
    assert seed_if_empty(sqlite_engine, now)
    assert not seed_if_empty(sqlite_engine, now)
    with Session(sqlite_engine) as s:
        (project,) = s.exec(select(Project)).all()
    assert (project.key, project.name, project.team_id) == ("website", "Website relaunch", DEMO_TEAM)


def test_demo_is_not_seeded_into_a_database_that_has_data(sqlite_engine, now):
    make_project(sqlite_engine)  # a real workspace's project
    assert not seed_if_empty(sqlite_engine, now)
    with Session(sqlite_engine) as s:
        assert s.exec(select(Project).where(Project.team_id == DEMO_TEAM)).first() is None


def test_status_in_the_demo_channel_shows_the_demo_project(shell):
    out = shell.handle("/project status")
    assert "Website relaunch: status" in out
    assert "4 of 13 tasks done" in out
    assert "<@" not in out and "@alice" in out  # mentions shown as @name
    assert "*" not in out.splitlines()[0]


def test_replies_render_sections_fields_and_buttons(shell):
    out = shell.handle("/project status")
    lines = out.splitlines()
    assert lines[0] == "Website relaunch: status" and set(lines[1]) == {"─"}
    assert any(line.startswith("  Progress ") for line in lines)
    assert "  [Refresh]  ↳ /project status website" in lines


def test_as_and_in_switch_person_and_channel(shell):
    assert shell.prompt == "@alice in #website> "
    assert shell.handle(":as @bob") == "You are now @bob."
    assert shell.handle(":in #general") == "You are now in #general."
    assert shell.prompt == "@bob in #general> "
    assert shell.handle(":who") == "@bob in #general (workspace T0DEMO)"
    out = shell.handle('/project task add website "Test the contact form"')
    assert "Added #14 Test the contact form" in out
    assert "Test the contact form · nobody" in shell.handle("/project task list website")


def test_at_names_and_hash_channels_become_slack_references(shell):
    assert shell.translate("task assign 3 @carol") == "task assign 3 <@U0CAROL|carol>"
    assert shell.translate("link #website") == "link <#C0WEBSITE|website>"
    assert shell.translate("mail bob@example.com about #2") == "mail bob@example.com about #2"
    assert shell.translate("member add @Newbie") == "member add <@U0NEWBIE|newbie>"
    out = shell.handle("/project task assign 10 @newbie")
    assert "is now @newbie's" in out


def test_as_someone_the_project_does_not_know_is_refused_like_in_slack(shell):
    shell.handle(":as @zoe")
    assert "Only project members can add tasks" in shell.handle('/project task add "Sneak in"')


def test_shell_commands_and_quitting(shell):
    assert shell.handle("") == ""
    assert "Shell commands" in shell.handle(":help")
    assert shell.handle(":as") == "Usage: :as @name"
    assert shell.handle(":in") == "Usage: :in #channel"
    assert shell.handle("/remind me").startswith("Only /project commands here")
    assert shell.handle(":quit") is None and shell.handle("exit") is None
    assert "There is no `/project stauts`" in shell.handle("/project stauts")


def test_render_text_of_a_hand_built_reply():
    reply = Reply(
        title="*Budget* check",
        sections=[Section(text=":warning: <@U1> spent _a lot_ in <#C9|ops>",
                          fields=[Field("Spent", "$9"), Field("Budget left", "$1")],
                          buttons=[Button("Done #3", Intent.TASK_DONE, "web:3")])],
        buttons=[Button("Custom", Intent.SHOW_MORE, "x")],
        footer="As of today",
    )
    assert render_text(reply, {"U1": "alice"}, {}) == "\n".join([
        "Budget check",
        "────────────",
        "⚠ @alice spent a lot in #ops",
        "  Spent        $9",
        "  Budget left  $1",
        "  [Done #3]  ↳ /project task done web 3",
        "  [Custom]",  # paging has no shell command: the label alone
        "As of today",
    ])


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "TOKEN_", "DEFAULT_", "DATABASE_", "TEST_DATABASE", "REQUIRE_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    env["PYTHONPATH"] = str(ROOT)
    return env


def run_bot(tmp_path: Path, stdin: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True,
                          text=True, cwd=tmp_path, env=clean_env(tmp_path), timeout=120)


def test_run_without_slack_starts_the_shell_on_a_seeded_database(tmp_path):
    first = run_bot(tmp_path, "/project status\n:quit\n", "run")
    assert first.returncode == 0, first.stderr
    assert "No Slack credentials found: starting the local shell" in first.stdout
    assert "Seeded the demo project 'Website relaunch'" in first.stdout
    assert "Website relaunch: status" in first.stdout and "tasks done" in first.stdout
    assert "Traceback" not in first.stderr
    second = run_bot(tmp_path, "/project task list\n", "run")  # stdin ends: Ctrl-D
    assert second.returncode == 0, second.stderr
    assert "Seeded" not in second.stdout
    assert "Website relaunch: open tasks" in second.stdout


def test_every_button_a_reply_can_carry_has_a_command_to_type_in_the_shell():
    """The shell has no buttons: each intent is shown with the command that does the same."""
    from bot.domain.replies import Button, Intent
    from bot.shell.render import intent_command

    silent = {Intent.SHOW_MORE, Intent.REFRESH_HOME}  # paging and Home refresh mean nothing in a shell
    for intent in Intent:
        if intent in silent:
            continue
        assert intent_command(Button("x", intent, "website:3")).startswith("/project "), intent


def test_in_the_shell_now_prompts_print_then_answers_then_the_summary(sqlite_engine):
    world = World(sqlite_engine, PROMPT, people=["U0BOB"])
    world.cmd("standup set 09:30")
    clock = {"now": PROMPT}
    shell = Shell(sqlite_engine, Settings(), team_id=world.project.team_id, user="owner",
                  channel="proj", clock=lambda: clock["now"])
    shell.user_id, shell.channel_id = OWNER, "C0PROJ"
    out = shell.handle("/project standup now")
    assert "Standup started: 2 asked" in out
    assert "── DM to @U0BOB ──" in out and "Standup: Website relaunch, Tue 1 Dec" in out
    shell.user_id = "U0BOB"
    out = shell.handle('/project standup answer finished "the header" next "the footer" blockers none')
    assert "Saved your answer" in out
    assert "── DM to @U0BOB (updated) ──" in out and "Answered at 09:30 (Europe/Berlin)" in out
    clock["now"] = PROMPT + timedelta(hours=2)
    out = shell.handle("/project standup history")
    assert "── #proj ──" in out and "Standup, Tue 1 Dec: 1 of 2 answered, 0 blockers" in out
    assert "── #proj (thread) ──" in out and "the footer" in out

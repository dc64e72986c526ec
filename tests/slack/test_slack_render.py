"""Renderers stay valid Block Kit (slack_sdk validates) and inside Slack's limits at any size."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import Session

from bot.domain.replies import Button, Field, Intent, Reply, Section
from bot.models import Project, Task
from bot.slack import render
from bot.slack.home import home_reply
from bot.slack.modals.milestones import render_add_milestone_modal
from bot.slack.modals.projects import render_edit_project_modal, render_new_project_modal
from bot.slack.modals.tasks import render_add_task_modal
from tests.conftest import FROZEN_NOW
from tests.support.factories import OWNER, make_project
from tests.support.helpers import Runner

NASTY = "Fix <b>bold</b> & <!channel> 🚀👩🏽‍💻 ünïcödé > \"quotes\" `code` *stars* _under_ "
LONG = (NASTY * 200)[:3000]


def check(blocks: list[dict], limit: int) -> None:
    """Every limit the Slack API enforces on what we send."""
    assert 0 < len(blocks) <= limit
    action_ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(action_ids) == len(set(action_ids))
    block_ids = [b["block_id"] for b in blocks if b.get("block_id")]
    assert len(block_ids) == len(set(block_ids)) and all(len(i) <= 255 for i in block_ids)
    for b in blocks:
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= 150
        elif b["type"] == "section":
            assert "text" in b or "fields" in b
            if "text" in b:
                assert 0 < len(b["text"]["text"]) <= 3000
            assert len(b.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in b.get("fields", []))
        elif b["type"] == "actions":
            assert 0 < len(b["elements"]) <= 25
            for e in b["elements"]:
                assert len(e["text"]["text"]) <= 75 and len(e.get("value", "")) <= 2000
                assert len(e["action_id"]) <= 255
        elif b["type"] == "context":
            assert len(b["elements"]) <= 10
            assert all(len(e["text"]) <= 3000 for e in b["elements"])
    json.dumps(blocks)


def message_blocks(reply: Reply) -> list[dict]:
    message = render.render_message(reply, source="task list big " + LONG)  # the source rides in block ids
    assert len(message["text"]) <= 3000
    return message["blocks"]


def test_a_huge_reply_is_cut_to_fifty_blocks_and_says_how_much_was_left_out():
    reply = Reply(title=LONG, footer=LONG,
                  sections=[Section(text=LONG, fields=[Field(LONG, LONG)] * 25,
                                    buttons=[Button(LONG, Intent.TASK_DONE, LONG)] * 40)] * 30,
                  buttons=[Button(LONG, Intent.REFRESH_STATUS, LONG, "primary")] * 30)
    blocks = message_blocks(reply)
    check(blocks, 50)
    assert "more blocks not shown" in json.dumps(blocks)
    assert blocks[0]["type"] == "header" and blocks[-1]["type"] == "context"  # title and footer kept
    home = render.render_home(reply).to_dict()["blocks"]
    check(home, 100)


def test_a_reply_with_a_cache_key_is_rendered_once_per_key_footer_and_source(monkeypatch):
    built = []
    real = render.render_blocks
    monkeypatch.setattr(render, "render_blocks", lambda *a, **kw: built.append(1) or real(*a, **kw))
    reply = Reply(title="Status", sections=[Section(text="Green")], buttons=[Button("Refresh", Intent.REFRESH_STATUS)],
                  cache_key=("test-render-cache", 1))
    first = render.render_message(reply, source="status web")
    again = render.render_message(Reply(title="Status", sections=[Section(text="Green")],
                                        buttons=[Button("Refresh", Intent.REFRESH_STATUS)],
                                        cache_key=("test-render-cache", 1)), source="status web")
    assert again == first and again is not first and len(built) == 1
    noted = render.render_message(Reply(title="Status", sections=[Section(text="Green")], footer="note",
                                        cache_key=("test-render-cache", 1)), source="status web")
    elsewhere = render.render_message(reply, source="status")
    uncached = render.render_message(Reply(title="Status", sections=[Section(text="Green")]))
    uncached_again = render.render_message(Reply(title="Status", sections=[Section(text="Green")]))
    assert "note" in json.dumps(noted) and elsewhere != first and uncached == uncached_again
    assert len(built) == 5  # a new footer, a new source, and every reply without a key are built
    reply.sections.insert(0, Section(text="#1 *Design* is done"))  # changed after it was built, key kept
    assert "is done" in json.dumps(render.render_message(reply, source="status web")) and len(built) == 6


def test_markup_in_user_text_is_escaped_but_mentions_and_links_stay():
    text = "<@U123ABC> owns <#C0PROJ|website>; see <https://example.com|the plan> & <script> <!here>"
    out = message_blocks(Reply(sections=[Section(text=text)]))[0]["text"]["text"]
    assert "<@U123ABC>" in out and "<#C0PROJ|website>" in out and "<https://example.com|the plan>" in out
    assert "&amp; &lt;script&gt; &lt;!here&gt;" in out


def test_long_text_is_split_at_line_breaks_not_cut():
    lines = [f"line {n} " + "x" * 90 for n in range(100)]  # ~10,000 chars
    blocks = message_blocks(Reply(sections=[Section(text="\n".join(lines))]))
    check(blocks, 50)
    joined = "\n".join(b["text"]["text"] for b in blocks)
    assert joined == "\n".join(lines)


def test_empty_reply_still_renders_one_valid_block():
    check(message_blocks(Reply()), 50)


@pytest.fixture
def big_project(sqlite_engine) -> Project:
    """1,000 tasks with 500-char titles full of emoji and markup, half overdue, all mine."""
    project = make_project(sqlite_engine, name=("Big " + NASTY * 10)[:200], key="big")
    title = (NASTY * 10)[:500]
    with Session(sqlite_engine, expire_on_commit=False) as s:
        s.add_all(Task(team_id=project.team_id, project_id=project.id, number=n, title=f"{n} {title}"[:500],
                       assignee_user_id=OWNER, status="blocked" if n % 7 == 0 else "todo",
                       blocked_reason=LONG if n % 7 == 0 else "",
                       due_date=date(2026, 11, 1) + timedelta(days=n % 60))
                  for n in range(1, 1001))
        s.commit()
    return project


@pytest.mark.parametrize("command", ["status big", "task list big", "task list big all", "task list big page 40",
                                     "list", "help", "milestone list big", "frobnicate", "task add"])
def test_every_command_reply_renders_within_limits_for_a_thousand_task_project(command, big_project, sqlite_engine):
    reply = Runner(sqlite_engine, FROZEN_NOW)(command)
    check(message_blocks(reply), 50)


def test_home_with_a_thousand_tasks_is_valid_and_lists_overdue_first(big_project, sqlite_engine):
    with Session(sqlite_engine) as s:
        reply = home_reply(session=s, team_id=big_project.team_id, user_id=OWNER, now=FROZEN_NOW)
    view = render.render_home(reply).to_dict()
    check(view["blocks"], 100)
    text = json.dumps(view, ensure_ascii=False)
    assert "My open tasks (1000)" in text and "and 960 more" in text
    tasks = next(b for b in view["blocks"] if b.get("text", {}).get("text", "").startswith("*My open tasks"))
    first_line = tasks["text"]["text"].split("\n")[1]
    assert "overdue" in first_line


def test_modals_are_valid_with_extreme_project_values(big_project):
    big_project.goal = LONG * 2
    big_project.scope = LONG * 3
    for view in (render_new_project_modal(channel_id="C0PROJ"),
                 render_add_task_modal(project=big_project, channel_id="C0PROJ"),
                 render_add_milestone_modal(project=big_project),
                 render_edit_project_modal(project=big_project, budget_text="$1,000,000")):
        data = view.to_dict()
        assert len(data["title"]["text"]) <= 24
        assert len(data["private_metadata"]) <= 3000
        assert len(data["blocks"]) <= 100
        for block in data["blocks"]:
            initial = block["element"].get("initial_value", "")
            assert len(initial) <= block["element"].get("max_length", 3000)

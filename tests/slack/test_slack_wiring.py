"""How the Slack layer is put together: listener discovery, intents to action ids, one way to open a modal."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import bot.slack
from bot.domain.replies import Button, Intent, Reply, Section
from bot.slack import listeners
from bot.slack.ids import ViewId, action_id, action_pattern, intent_of
from bot.slack.modals.openers import OPENERS
from bot.slack.render import render_message


def test_every_listener_module_is_registered_without_editing_a_list(fake):
    from slack_bolt import App

    app = App(token="xoxb-x", signing_secret="s", token_verification_enabled=False)
    found = listeners.register_listeners(app)
    modules = {m.name for m in pkgutil.iter_modules(listeners.__path__)}
    assert {"commands", "actions", "submissions", "events"} <= set(found)
    assert set(found) == {m for m in modules if not m.startswith("_")}


def test_buttons_get_unique_action_ids_that_map_back_to_their_intent():
    reply = Reply(sections=[Section(text="a", buttons=[Button("Done #1", Intent.TASK_DONE, "w:1"),
                                                     Button("Done #2", Intent.TASK_DONE, "w:2")]),
                            Section(text="b", buttons=[Button("Done #3", Intent.TASK_DONE, "w:3")])],
                  buttons=[Button("Refresh", Intent.REFRESH_STATUS, "w")])
    ids = [e["action_id"] for b in render_message(reply)["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert len(ids) == len(set(ids)) == 4
    assert [intent_of(i) for i in ids] == [Intent.TASK_DONE] * 3 + [Intent.REFRESH_STATUS]
    assert all(action_pattern(Intent.TASK_DONE).match(i) for i in ids[:3])
    assert not action_pattern(Intent.ALERT_SNOOZE_DAY).match(action_id(Intent.ALERT_SNOOZE_WEEK, 0))
    assert not action_pattern(Intent.TASK_DONE).match("task_done_extra:0")
    assert intent_of("something_else") is None


def test_every_modal_is_opened_through_the_one_table():
    """`open_modal` is the only `views.open` call, so how a modal opens (ack
    first, a failed call) is decided in one place; every modal has an entry."""
    assert set(OPENERS) == set(ViewId) - {ViewId.HOME}
    root = Path(bot.slack.__file__).parent
    callers = sorted(str(path.relative_to(root)) for path in root.rglob("*.py")
                     for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                     if isinstance(node, ast.Attribute) and node.attr == "views_open")
    assert callers == ["modals/openers.py"]

"""The "Add task" modal (from a button, the Home tab, or a message shortcut)."""

from __future__ import annotations

from slack_sdk.models.blocks import InputBlock, PlainTextObject, UserSelectElement
from slack_sdk.models.views import View

from bot.models import Project
from bot.slack.ids import INPUT_ACTION, BlockId, ViewId
from bot.slack.modals.inputs import date_input, modal, text_input


def render_add_task_modal(*, project: Project, channel_id: str = "", title: str = "") -> View:
    blocks = [
        text_input(BlockId.TITLE, "Task", optional=False, max_length=500, placeholder="Choose hosting",
                   initial=title or None),
        InputBlock(block_id=str(BlockId.ASSIGNEE), label=PlainTextObject(text="Assignee"), optional=True,
                   element=UserSelectElement(action_id=INPUT_ACTION)),
        date_input(BlockId.DUE, "Due date"),
        text_input(BlockId.ESTIMATE, "Estimate", max_length=20, placeholder="4h or 1.5d"),
    ]
    return modal(ViewId.ADD_TASK, f"Add task: {project.key}", "Add",
                 blocks, {"project": project.key, "channel": channel_id})

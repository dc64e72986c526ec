"""The "Add task" modal (from a button, the Home tab, or a message shortcut)
and the "Edit task" modal (the Edit button on a task)."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    InputBlock,
    Option,
    PlainTextObject,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.format import hours, truncate
from bot.models import Milestone, Project, Task
from bot.slack.ids import INPUT_ACTION, BlockId, ViewId
from bot.slack.modals.inputs import date_input, modal, text_input

NO_MILESTONE = "none"
MILESTONE_OPTIONS = 99  # a static select takes 100 options; one is "No milestone"


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


def render_edit_task_modal(*, project: Project, task: Task, milestones: list[Milestone],
                           channel_id: str = "") -> View:
    """The task's title, assignee, due date, estimate and milestone, as they are now."""
    options = [Option(value=NO_MILESTONE, text="No milestone")]
    for m in milestones[:MILESTONE_OPTIONS]:
        state = " (cancelled)" if m.cancelled_at else " (reached)" if m.done_at else ""
        options.append(Option(value=str(m.number), text=truncate(f"M{m.number} {m.name}{state}", 75)))
    current = next((o for o, m in zip(options[1:], milestones, strict=False) if m.id == task.milestone_id),
                   options[0])
    blocks = [
        text_input(BlockId.TITLE, "Task", optional=False, max_length=500, initial=task.title),
        InputBlock(block_id=str(BlockId.ASSIGNEE), label=PlainTextObject(text="Assignee"), optional=True,
                   element=UserSelectElement(action_id=INPUT_ACTION, initial_user=task.assignee_user_id)),
        date_input(BlockId.DUE, "Due date", task.due_date),
        text_input(BlockId.ESTIMATE, "Estimate", max_length=20, placeholder="4h or 1.5d",
                   initial=hours(task.estimate_hours) if task.estimate_hours else None),
        InputBlock(block_id=str(BlockId.MILESTONE), label=PlainTextObject(text="Milestone"), optional=False,
                   element=StaticSelectElement(action_id=INPUT_ACTION, options=options, initial_option=current)),
    ]
    return modal(ViewId.EDIT_TASK, f"Edit #{task.number}: {project.key}", "Save", blocks,
                 {"project": project.key, "task": task.number, "channel": channel_id})

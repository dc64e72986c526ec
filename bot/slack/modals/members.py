"""The "Reassign" modal: who takes the open tasks of someone leaving a project."""

from __future__ import annotations

from slack_sdk.models.blocks import InputBlock, PlainTextObject, SectionBlock, UserSelectElement
from slack_sdk.models.views import View

from bot.domain.format import truncate
from bot.models import Project, Task
from bot.slack.ids import INPUT_ACTION, BlockId, ViewId
from bot.slack.modals.inputs import modal


def render_reassign_modal(*, project: Project, user_id: str, open_tasks: list[Task], channel_id: str = "") -> View:
    lines = "\n".join(f"• #{t.number} {truncate(t.title, 100)}" for t in open_tasks[:20])
    more = f"\nand {len(open_tasks) - 20} more" if len(open_tasks) > 20 else ""
    blocks = [SectionBlock(text=f"<@{user_id}> leaves *{truncate(project.name, 100)}*. Their open tasks:\n"
                                f"{lines}{more}"),
              InputBlock(block_id=str(BlockId.ASSIGNEE), label=PlainTextObject(text="Who takes them?"),
                         element=UserSelectElement(action_id=INPUT_ACTION))]
    return modal(ViewId.REASSIGN, f"Reassign: {project.key}", "Reassign", blocks,
                 {"project": project.key, "user": user_id, "channel": channel_id})

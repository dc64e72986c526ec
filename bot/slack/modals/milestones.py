"""The "Add milestone" modal."""

from __future__ import annotations

from slack_sdk.models.views import View

from bot.models import Project
from bot.slack.ids import BlockId, ViewId
from bot.slack.modals.inputs import date_input, modal, text_input


def render_add_milestone_modal(*, project: Project, channel_id: str = "") -> View:
    blocks = [
        text_input(BlockId.NAME, "Milestone", optional=False, max_length=200, placeholder="Design approved"),
        date_input(BlockId.DUE, "Due date"),
        text_input(BlockId.BUDGET, "Planned budget", max_length=40, placeholder="5000 or $5k"),
        text_input(BlockId.EFFORT, "Planned effort", max_length=20, placeholder="60h or 8d"),
    ]
    return modal(ViewId.ADD_MILESTONE, f"Milestone: {project.key}", "Add",
                 blocks, {"project": project.key, "channel": channel_id})

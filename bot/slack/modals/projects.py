"""The "New project" and "Edit project" modals."""

from __future__ import annotations

from slack_sdk.models.blocks import InputBlock, Option, PlainTextObject, StaticSelectElement
from slack_sdk.models.views import View

from bot.models import Project, ProjectState
from bot.slack.ids import INPUT_ACTION, BlockId, ViewId
from bot.slack.modals.inputs import date_input, modal, text_input
from bot.slack.render import cut


def render_new_project_modal(*, channel_id: str = "") -> View:
    blocks = [
        text_input(BlockId.NAME, "Name", optional=False, max_length=200, placeholder="Website relaunch"),
        text_input(BlockId.GOAL, "Goal", multiline=True, max_length=2000,
                   placeholder="What will be better when this is done?"),
        date_input(BlockId.DUE, "Due date"),
        text_input(BlockId.BUDGET, "Budget", max_length=40, placeholder="25000 or $25k"),
        text_input(BlockId.KEY, "Short key", max_length=40, placeholder="website",
                   hint="Used in commands: /project status website. Made from the name if empty."),
    ]
    return modal(ViewId.NEW_PROJECT, "New project", "Create", blocks, {"channel": channel_id})


EDIT_LIMITS = {"name": 200, "goal": 2000, "scope": 3000}  # longer stored text is shown cut


def shown_in_edit(field: str, value: str) -> str:
    """What the Edit modal pre-fills for a text field (so an untouched field is not a change)."""
    return cut(value.strip(), EDIT_LIMITS[field]) if value.strip() else ""


def render_edit_project_modal(*, project: Project, budget_text: str = "", channel_id: str = "") -> View:
    states = [Option(value=str(s), label=str(s).replace("_", " ")) for s in ProjectState]
    initial_state = next(o for o in states if o.value == project.state)
    blocks = [
        text_input(BlockId.NAME, "Name", optional=False, max_length=EDIT_LIMITS["name"], initial=project.name),
        text_input(BlockId.GOAL, "Goal", multiline=True, max_length=EDIT_LIMITS["goal"], initial=project.goal),
        text_input(BlockId.SCOPE, "Scope", multiline=True, max_length=EDIT_LIMITS["scope"], initial=project.scope),
        date_input(BlockId.DUE, "Due date", project.due_date),
        text_input(BlockId.BUDGET, "Budget", max_length=40, initial=budget_text, placeholder="25000 or $25k"),
        InputBlock(block_id=str(BlockId.STATE), label=PlainTextObject(text="State"), optional=False,
                   element=StaticSelectElement(action_id=INPUT_ACTION, options=states,
                                               initial_option=initial_state)),
    ]
    return modal(ViewId.EDIT_PROJECT, f"Edit: {project.key}", "Save", blocks,
                 {"project": project.key, "channel": channel_id})


def plain_amount(project: Project) -> str:
    """The budget as a bare number ("25000", "1200.50") that reads back unchanged in any currency."""
    if project.budget_cents is None:
        return ""
    whole, cents = divmod(project.budget_cents, 100)
    return f"{whole}.{cents:02d}" if cents else str(whole)

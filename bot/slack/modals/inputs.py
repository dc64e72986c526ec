"""Modals: "New project", "Add task", "Add milestone", "Edit project".

`render_*_modal()` build the views (slack_sdk.models, validated); `read_*()`
turn a submitted view's `state.values` into service arguments, raising
`FieldErrors` ({block_id: message}) that Slack shows under each field.
`OPENERS` maps a reply's `open_modal` name to the function that builds it;
feature modules add their own entries.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

from slack_sdk.models.blocks import (
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.commands.grammar import Money, UsageError, parse_duration, parse_money
from bot.models import Project, ProjectState
from bot.slack.ids import INPUT_ACTION, BlockId, ViewId
from bot.slack.render import cut

METADATA_LIMIT = 3000
INITIAL_TEXT = 3000


class FieldErrors(Exception):
    """Validation errors keyed by input block id."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = {k: cut(v, 150) for k, v in errors.items()}


def _text(block: BlockId, label: str, *, optional: bool = True, multiline: bool = False,
          max_length: int | None = None, placeholder: str = "", initial: str | None = None,
          hint: str = "") -> InputBlock:
    element = PlainTextInputElement(
        action_id=INPUT_ACTION, multiline=multiline, max_length=max_length,
        placeholder=PlainTextObject(text=placeholder) if placeholder else None,
        initial_value=cut(initial, min(max_length or INITIAL_TEXT, INITIAL_TEXT)) if initial else None)
    return InputBlock(block_id=str(block), label=PlainTextObject(text=label), element=element,
                      optional=optional, hint=PlainTextObject(text=hint) if hint else None)


def _date(block: BlockId, label: str, initial: date | None = None) -> InputBlock:
    element = DatePickerElement(action_id=INPUT_ACTION,
                                initial_date=initial.isoformat() if initial else None)
    return InputBlock(block_id=str(block), label=PlainTextObject(text=label), element=element, optional=True)


def _metadata(data: dict) -> str:
    text = json.dumps(data, separators=(",", ":"))
    if len(text) > METADATA_LIMIT:
        raise ValueError("private_metadata over 3000 characters")
    return text


def _modal(view: ViewId, title: str, submit: str, blocks: list, metadata: dict) -> View:
    return View(type="modal", callback_id=str(view), title=PlainTextObject(text=cut(title, 24)),
                submit=PlainTextObject(text=submit), close=PlainTextObject(text="Cancel"),
                private_metadata=_metadata(metadata), blocks=blocks)


def render_new_project_modal(*, channel_id: str = "") -> View:
    blocks = [
        _text(BlockId.NAME, "Name", optional=False, max_length=200, placeholder="Website relaunch"),
        _text(BlockId.GOAL, "Goal", multiline=True, max_length=2000,
              placeholder="What will be better when this is done?"),
        _date(BlockId.DUE, "Due date"),
        _text(BlockId.BUDGET, "Budget", max_length=40, placeholder="25000 or $25k"),
        _text(BlockId.KEY, "Short key", max_length=40, placeholder="website",
              hint="Used in commands: /project status website. Made from the name if empty."),
    ]
    return _modal(ViewId.NEW_PROJECT, "New project", "Create", blocks, {"channel": channel_id})


def render_add_task_modal(*, project: Project, channel_id: str = "", title: str = "") -> View:
    blocks = [
        _text(BlockId.TITLE, "Task", optional=False, max_length=500, placeholder="Choose hosting",
              initial=title or None),
        InputBlock(block_id=str(BlockId.ASSIGNEE), label=PlainTextObject(text="Assignee"), optional=True,
                   element=UserSelectElement(action_id=INPUT_ACTION)),
        _date(BlockId.DUE, "Due date"),
        _text(BlockId.ESTIMATE, "Estimate", max_length=20, placeholder="4h or 1.5d"),
    ]
    return _modal(ViewId.ADD_TASK, f"Add task: {project.key}", "Add",
                  blocks, {"project": project.key, "channel": channel_id})


def render_add_milestone_modal(*, project: Project, channel_id: str = "") -> View:
    blocks = [
        _text(BlockId.NAME, "Milestone", optional=False, max_length=200, placeholder="Design approved"),
        _date(BlockId.DUE, "Due date"),
        _text(BlockId.BUDGET, "Planned budget", max_length=40, placeholder="5000 or $5k"),
        _text(BlockId.EFFORT, "Planned effort", max_length=20, placeholder="60h or 8d"),
    ]
    return _modal(ViewId.ADD_MILESTONE, f"Milestone: {project.key}", "Add",
                  blocks, {"project": project.key, "channel": channel_id})


EDIT_LIMITS = {"name": 200, "goal": 2000, "scope": 3000}  # longer stored text is shown cut


def shown_in_edit(field: str, value: str) -> str:
    """What the Edit modal pre-fills for a text field (so an untouched field is not a change)."""
    return cut(value.strip(), EDIT_LIMITS[field]) if value.strip() else ""


def render_edit_project_modal(*, project: Project, budget_text: str = "", channel_id: str = "") -> View:
    states = [Option(value=str(s), label=str(s).replace("_", " ")) for s in ProjectState]
    initial_state = next(o for o in states if o.value == project.state)
    blocks = [
        _text(BlockId.NAME, "Name", optional=False, max_length=EDIT_LIMITS["name"], initial=project.name),
        _text(BlockId.GOAL, "Goal", multiline=True, max_length=EDIT_LIMITS["goal"], initial=project.goal),
        _text(BlockId.SCOPE, "Scope", multiline=True, max_length=EDIT_LIMITS["scope"], initial=project.scope),
        _date(BlockId.DUE, "Due date", project.due_date),
        _text(BlockId.BUDGET, "Budget", max_length=40, initial=budget_text, placeholder="25000 or $25k"),
        InputBlock(block_id=str(BlockId.STATE), label=PlainTextObject(text="State"), optional=False,
                   element=StaticSelectElement(action_id=INPUT_ACTION, options=states,
                                               initial_option=initial_state)),
    ]
    return _modal(ViewId.EDIT_PROJECT, f"Edit: {project.key}", "Save", blocks,
                  {"project": project.key, "channel": channel_id})


# --- reading submissions ---------------------------------------------------------


class Submitted:
    """The values of a submitted view, by block id."""

    def __init__(self, view: dict):
        self.values = (view.get("state") or {}).get("values") or {}
        self.metadata = json.loads(view.get("private_metadata") or "{}")

    def _element(self, block: BlockId) -> dict:
        return (self.values.get(str(block)) or {}).get(INPUT_ACTION) or {}

    def text(self, block: BlockId) -> str:
        return (self._element(block).get("value") or "").strip()

    def date(self, block: BlockId) -> date | None:
        raw = self._element(block).get("selected_date")
        return date.fromisoformat(raw) if raw else None

    def user(self, block: BlockId) -> str | None:
        return self._element(block).get("selected_user") or None

    def option(self, block: BlockId) -> str | None:
        return (self._element(block).get("selected_option") or {}).get("value")


def read_money(values: Submitted, block: BlockId, errors: dict[str, str]) -> Money | None:
    raw = values.text(block)
    if not raw:
        return None
    try:
        return parse_money(raw)
    except UsageError as exc:
        errors[str(block)] = str(exc)
        return None


def read_hours(values: Submitted, block: BlockId, errors: dict[str, str]) -> float | None:
    raw = values.text(block)
    if not raw:
        return None
    try:
        return parse_duration(raw)
    except UsageError as exc:
        errors[str(block)] = str(exc)
        return None


# --- modals a command reply can ask for (`Reply.open_modal`) ---------------------------

Opener = Callable[..., View]  # (services, *, team_id, channel_id, context) -> View


def _open_new_project(services: object, *, team_id: str, channel_id: str, context: dict) -> View:
    return render_new_project_modal(channel_id=channel_id)


OPENERS: dict[str, Opener] = {str(ViewId.NEW_PROJECT): _open_new_project}

"""What every modal is made of: text and date inputs, the modal itself with
its metadata, and reading a submitted view back (`Submitted`, `read_*`), with
`FieldErrors` ({block_id: message}) that Slack shows under each field."""

from __future__ import annotations

import json
from datetime import date

from slack_sdk.models.blocks import (
    DatePickerElement,
    InputBlock,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.views import View

from bot.commands.grammar import Money, UsageError, parse_duration, parse_money
from bot.slack.ids import INPUT_ACTION, BlockId, ViewId
from bot.slack.render import cut

METADATA_LIMIT = 3000
INITIAL_TEXT = 3000


class FieldErrors(Exception):
    """Validation errors keyed by input block id."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = {k: cut(v, 150) for k, v in errors.items()}


def text_input(block: BlockId, label: str, *, optional: bool = True, multiline: bool = False,
               max_length: int | None = None, placeholder: str = "", initial: str | None = None,
               hint: str = "") -> InputBlock:
    """A text input; an initial value is cut to what the input accepts."""
    element = PlainTextInputElement(
        action_id=INPUT_ACTION, multiline=multiline, max_length=max_length,
        placeholder=PlainTextObject(text=placeholder) if placeholder else None,
        initial_value=cut(initial, min(max_length or INITIAL_TEXT, INITIAL_TEXT)) if initial else None)
    return InputBlock(block_id=str(block), label=PlainTextObject(text=label), element=element,
                      optional=optional, hint=PlainTextObject(text=hint) if hint else None)


def date_input(block: BlockId, label: str, initial: date | None = None) -> InputBlock:
    """An optional date picker."""
    element = DatePickerElement(action_id=INPUT_ACTION,
                                initial_date=initial.isoformat() if initial else None)
    return InputBlock(block_id=str(block), label=PlainTextObject(text=label), element=element, optional=True)


def private_metadata(data: dict) -> str:
    """`data` as a view's private_metadata (JSON within Slack's 3000 characters)."""
    text = json.dumps(data, separators=(",", ":"))
    if len(text) > METADATA_LIMIT:
        raise ValueError("private_metadata over 3000 characters")
    return text


def modal(view: ViewId, title: str, submit: str, blocks: list, metadata: dict) -> View:
    """A modal with Cancel, its title cut to Slack's 24 characters."""
    return View(type="modal", callback_id=str(view), title=PlainTextObject(text=cut(title, 24)),
                submit=PlainTextObject(text=submit), close=PlainTextObject(text="Cancel"),
                private_metadata=private_metadata(metadata), blocks=blocks)


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

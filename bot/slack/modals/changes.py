"""The "Reject" modal of a change request: a rejection needs a reason."""

from __future__ import annotations

from slack_sdk.models.blocks import InputBlock, PlainTextInputElement, PlainTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.domain.format import truncate
from bot.slack.ids import INPUT_ACTION, BlockId, ViewId
from bot.slack.modals.inputs import private_metadata


def render_reject_modal(*, project_key: str, number: int, title: str, channel_id: str) -> View:
    return View(
        type="modal", callback_id=str(ViewId.CHANGE_REJECT), title=PlainTextObject(text=f"Reject CR-{number}"),
        submit=PlainTextObject(text="Reject"), close=PlainTextObject(text="Cancel"),
        private_metadata=private_metadata({"project": project_key, "change": number, "channel": channel_id}),
        blocks=[SectionBlock(text=truncate(f"CR-{number} {title}".replace("*", ""), 2900)),
                InputBlock(block_id=str(BlockId.CHANGE_REASON), label=PlainTextObject(text="Why not?"),
                           element=PlainTextInputElement(action_id=INPUT_ACTION, multiline=True, max_length=1000))])

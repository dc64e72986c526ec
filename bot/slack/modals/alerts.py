"""The "Assign owner" modal of an alert."""

from __future__ import annotations

from slack_sdk.models.blocks import InputBlock, PlainTextObject, SectionBlock, UserSelectElement
from slack_sdk.models.views import View

from bot.domain.format import truncate
from bot.slack.ids import INPUT_ACTION, BlockId, ViewId
from bot.slack.modals.inputs import private_metadata


def render_assign_modal(*, alert_id: int, reason: str, channel_id: str) -> View:
    return View(
        type="modal", callback_id=str(ViewId.ALERT_ASSIGN), title=PlainTextObject(text="Assign owner"),
        submit=PlainTextObject(text="Assign"), close=PlainTextObject(text="Cancel"),
        private_metadata=private_metadata({"alert": alert_id, "channel": channel_id}),
        blocks=[SectionBlock(text=truncate(reason.replace("*", ""), 2900)),
                InputBlock(block_id=str(BlockId.ALERT_ASSIGNEE), label=PlainTextObject(text="Who follows it up?"),
                           element=UserSelectElement(action_id=INPUT_ACTION))])

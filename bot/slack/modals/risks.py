"""The "Add risk" modal (a status button, or `/project risk add` alone)."""

from __future__ import annotations

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

from bot.domain import risks as risk_service
from bot.slack.ids import INPUT_ACTION, BlockId, ViewId
from bot.slack.modals.inputs import private_metadata

SCALE = {1: "rare / minor", 2: "unlikely / small", 3: "possible / moderate", 4: "likely / major",
         5: "almost certain / severe"}


def _scale_select(block: BlockId, label: str) -> InputBlock:
    options = [Option(value=str(n), text=f"{n} · {text}") for n, text in SCALE.items()]
    return InputBlock(block_id=str(block), label=PlainTextObject(text=label),
                      element=StaticSelectElement(action_id=INPUT_ACTION, options=options,
                                                  initial_option=options[2]))


def render_add_risk_modal(*, project_key: str, project_name: str, channel_id: str = "") -> View:
    responses = [Option(value=str(r), text=str(r).capitalize()) for r in risk_service.Response]
    return View(
        type="modal", callback_id=str(ViewId.ADD_RISK), title=PlainTextObject(text="Add risk"),
        submit=PlainTextObject(text="Add"), close=PlainTextObject(text="Cancel"),
        private_metadata=private_metadata({"project": project_key, "channel": channel_id}),
        blocks=[
            InputBlock(block_id=str(BlockId.RISK_TITLE), label=PlainTextObject(text=f"Risk to {project_name}"[:150]),
                       element=PlainTextInputElement(action_id=INPUT_ACTION, max_length=risk_service.MAX_TITLE,
                                                     placeholder=PlainTextObject(text="Hosting vendor may slip"))),
            _scale_select(BlockId.LIKELIHOOD, "Likelihood"),
            _scale_select(BlockId.IMPACT, "Impact"),
            InputBlock(block_id=str(BlockId.RISK_OWNER), label=PlainTextObject(text="Owner"), optional=True,
                       element=UserSelectElement(action_id=INPUT_ACTION)),
            InputBlock(block_id=str(BlockId.MITIGATION), label=PlainTextObject(text="Mitigation"),
                       optional=True, element=PlainTextInputElement(action_id=INPUT_ACTION, multiline=True,
                                                                    max_length=risk_service.MAX_TEXT)),
            InputBlock(block_id=str(BlockId.REVIEW), label=PlainTextObject(text="Review by"), optional=True,
                       element=DatePickerElement(action_id=INPUT_ACTION)),
            InputBlock(block_id=str(BlockId.RESPONSE), label=PlainTextObject(text="Response"),
                       element=StaticSelectElement(action_id=INPUT_ACTION, options=responses,
                                                   initial_option=responses[1])),
        ])

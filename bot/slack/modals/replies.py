"""A reply shown in a modal: a button clicked on the Home tab (which has no
message to replace) or inside a modal."""

from __future__ import annotations

from slack_sdk.models.blocks import PlainTextObject
from slack_sdk.models.views import View

from bot.domain.replies import Reply
from bot.slack.render import SURFACE_BLOCKS, render_blocks


def render_reply_modal(reply: Reply) -> View:
    title = (reply.title or "Project")[:24]
    return View(type="modal", title=PlainTextObject(text=title), close=PlainTextObject(text="Close"),
                blocks=render_blocks(reply, limit=SURFACE_BLOCKS))

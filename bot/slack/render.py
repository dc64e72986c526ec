"""Pure `render_*` functions: a `Reply` in, Block Kit (slack_sdk.models) out.

Every function stays inside Slack's limits whatever the data: at most 50
blocks per message and 100 per modal or Home tab, section text 3000 chars,
10 fields per section, header 150, button text 75. Long texts are split into
several sections at line breaks; what still does not fit is cut with
"and N more". User text is escaped (`&`, `<`, `>`) except Slack's own
mention, channel and link markup.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Hashable

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain.replies import Button, Reply, Section
from bot.slack.ids import ViewId, action_id

MESSAGE_BLOCKS = 50
SURFACE_BLOCKS = 100  # modal or Home tab
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTIONS_ELEMENTS = 25
CONTEXT_TEXT = 2000
SOURCE_PREFIX = "src:"
REPLY_BUTTONS_START = 100_000  # after every section's buttons, so action ids stay unique
FALLBACK_TEXT = 3000
RENDERED_CAPACITY = 512  # rendered messages kept for replies with a cache key
_rendered: OrderedDict[Hashable, dict] = OrderedDict()
_rendered_lock = threading.Lock()

# kept as markup: <@U123>, <@U123|name>, <#C123|name>, <https://...|label>; anything else
# (including <!channel>/<!here> typed into a title) is shown literally, never pings.
_SLACK_TOKEN = re.compile(r"<(?:[@#][UWCGD][A-Z0-9]+(?:\|[^<>]*)?|(?:https?|mailto):[^<>\s|]+(?:\|[^<>]*)?)>")


def escape(text: str) -> str:
    """Escape `&<>` for mrkdwn, keeping user and channel mentions and links."""
    out, pos = [], 0
    for match in _SLACK_TOKEN.finditer(text):
        out.append(_escape_plain(text[pos:match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(_escape_plain(text[pos:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split_text(text: str, limit: int = SECTION_TEXT) -> list[str]:
    """Chunks of at most `limit` chars, split at line breaks where possible."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single over-long line: hard split
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        chunks.append(current)
    return chunks


def render_buttons(buttons: list[Button], *, start: int = 0, source: str = "") -> ActionsBlock | None:
    """An actions block for up to 25 buttons (None when there are none). `source`
    (the command that made the message) rides in the block id, so a click can
    re-run it and show the message as it is now."""
    if not buttons:
        return None
    elements = [
        ButtonElement(
            text=PlainTextObject(text=cut(b.label, BUTTON_TEXT), emoji=True),
            action_id=action_id(b.intent, start + i),
            value=cut(b.value, BUTTON_VALUE) if b.value else None,
            style=b.style if b.style in ("primary", "danger") else None,
        )
        for i, b in enumerate(buttons[:ACTIONS_ELEMENTS])
    ]
    block_id = cut(f"{SOURCE_PREFIX}{start}:{source}", 255) if source else None
    return ActionsBlock(elements=elements, block_id=block_id)


def render_section(section: Section, *, start_action: int = 0, source: str = "") -> list[Block]:
    """A section as one or more blocks: text chunks, fields by tens, its buttons."""
    blocks: list[Block] = []
    for chunk in split_text(escape(section.text)) if section.text.strip() else []:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=chunk)))
    fields = [MarkdownTextObject(text=cut(f"*{escape(f.label)}*\n{escape(f.value) or '-'}", FIELD_TEXT))
              for f in section.fields]
    for i in range(0, len(fields), FIELDS):
        blocks.append(SectionBlock(fields=fields[i : i + FIELDS]))
    actions = render_buttons(section.buttons, start=start_action, source=source)
    if actions is not None:
        blocks.append(actions)
    return blocks


def render_blocks(reply: Reply, *, limit: int = MESSAGE_BLOCKS, source: str = "") -> list[Block]:
    """The reply as at most `limit` blocks: header, sections, buttons, footer.

    Sections that do not fit are replaced by one "and N more" line; the
    reply's own buttons and footer (which say how to see the rest) are kept."""
    head: list[Block] = []
    if reply.title:
        head.append(HeaderBlock(text=PlainTextObject(text=cut(reply.title, HEADER_TEXT), emoji=True)))
    tail: list[Block] = []
    buttons = render_buttons(reply.buttons, start=REPLY_BUTTONS_START, source=source)
    if buttons is not None:
        tail.append(buttons)
    if reply.footer:
        tail.append(ContextBlock(elements=[MarkdownTextObject(text=cut(escape(reply.footer), CONTEXT_TEXT))]))
    body: list[Block] = []
    for n, section in enumerate(reply.sections):
        body.extend(render_section(section, start_action=n * ACTIONS_ELEMENTS, source=source))
    room = limit - len(head) - len(tail)
    if len(body) > room:
        hidden = len(body) - (room - 1)
        body = body[: room - 1] + [ContextBlock(elements=[MarkdownTextObject(
            text=f"_and {hidden} more blocks not shown: narrow the command or use its `page` option._")])]
    blocks = head + body + tail
    if not blocks:
        blocks = [SectionBlock(text=MarkdownTextObject(text="Done."))]
    return blocks


def fallback_text(reply: Reply) -> str:
    """Plain notification text (shown in notifications and to screen readers)."""
    return cut(escape(reply.plain()) or "Done.", FALLBACK_TEXT)


def render_message(reply: Reply, *, source: str = "") -> dict:
    """Keyword arguments for chat.postMessage / respond(): `text` and `blocks`.
    A reply with a `cache_key` (one that is asked for again and again, like an
    unchanged status) is rendered once per content and source: the key is the
    reply's full `repr` (~25 µs against ~400 µs to render), so a reply changed
    after it was built can never get another's blocks."""
    key = None if reply.cache_key is None else (repr(reply), source)
    if key is not None:
        with _rendered_lock:
            found = _rendered.get(key)
            if found is not None:
                _rendered.move_to_end(key)
                return dict(found)
    message = {"text": fallback_text(reply),
               "blocks": [b.to_dict() for b in render_blocks(reply, limit=MESSAGE_BLOCKS, source=source)]}
    if key is not None:
        with _rendered_lock:
            _rendered[key] = message
            while len(_rendered) > RENDERED_CAPACITY:
                _rendered.popitem(last=False)
    return dict(message)


def source_of(block_id: str) -> str:
    """The command a message was made by, from one of its actions block ids ("" if none)."""
    if not block_id.startswith(SOURCE_PREFIX):
        return ""
    return block_id[len(SOURCE_PREFIX):].split(":", 1)[-1]


def render_home(reply: Reply) -> View:
    """The App Home tab (at most 100 blocks)."""
    blocks = render_blocks(reply, limit=SURFACE_BLOCKS)
    return View(type="home", callback_id=str(ViewId.HOME), blocks=blocks)

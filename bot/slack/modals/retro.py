"""The retrospective modal a member opens from their DM after a project closes."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    InputBlock,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.closing.close import local_day
from bot.domain.closing.retro import MAX_TEXT, QUESTIONS
from bot.domain.format import day
from bot.models import Project, ProjectClosure, RetroAnswer
from bot.slack.ids import INPUT_ACTION, BlockId, ViewId
from bot.slack.modals.inputs import modal, text_input
from bot.slack.render import cut

SCORES = {1: "1 · not at all", 2: "2 · not really", 3: "3 · somewhat", 4: "4 · satisfied", 5: "5 · very"}
BLOCKS = {"went_well": BlockId.RETRO_WELL, "went_badly": BlockId.RETRO_BADLY,
          "differently": BlockId.RETRO_DIFFERENTLY}


def render_retro_modal(*, project: Project, closure: ProjectClosure, answer: RetroAnswer | None) -> View:
    """Three questions and a one-to-five score, filled in with `answer` when there is one."""
    who = ("Your name is shown with your answers." if closure.retro_mode == "named"
           else "Answers are summarised without names.")
    options = [Option(value=str(n), text=text) for n, text in SCORES.items()]
    initial = options[answer.satisfaction - 1] if answer and answer.satisfaction else None
    blocks = [SectionBlock(text=cut(f"*{project.name}* is closed. {who} Answers are collected until "
                                    f"{day(local_day(project, closure.retro_until), year=True)}.", 3000))]
    blocks += [text_input(BLOCKS[k], q, multiline=True, max_length=MAX_TEXT,
                          initial=getattr(answer, k) if answer else None) for k, q in QUESTIONS.items()]
    blocks.append(InputBlock(block_id=str(BlockId.RETRO_SCORE), label=PlainTextObject(text="How satisfied are you?"),
                             optional=True, element=StaticSelectElement(action_id=INPUT_ACTION, options=options,
                                                                        initial_option=initial)))
    return modal(ViewId.RETRO, "Retrospective", "Send", blocks, {"project": project.key})

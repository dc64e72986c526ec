"""The close check's buttons, the retrospective DM's button and its modal.

Each button runs the `/project close ...` command it stands for as the
clicker (so the owner check, idempotency and audit are the command's) and
shows the refreshed check in place; the retrospective button opens the modal,
whose submission stores the answers once per view and thanks the member by DM
(never in the channel, so an anonymous retrospective stays anonymous).
"""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from sqlmodel import Session

from bot.domain.closing import retro as retro_service
from bot.domain.replies import Intent, Reply
from bot.slack.ids import BlockId, ViewId
from bot.slack.listeners.actions import _open, command_button, on_intent
from bot.slack.listeners.submissions import _project, submit_view
from bot.slack.manifest import interactive
from bot.slack.modals.inputs import Submitted
from bot.slack.modals.retro import BLOCKS


def _pair(click) -> tuple[str, str]:
    key, _, rest = click.value.partition(":")
    return key, rest


def _not_happened(click) -> str:
    key, which = _pair(click)
    # words joined, not an f-string: "risks"/"tasks" here are command words, not counted nouns
    return " ".join(["close", key, "risks did-not-happen"] if which == "all"
                    else ["close", key, "risk", which, "did-not-happen"])


handle_close_confirm = command_button(lambda c: f"close {c.value} confirm", changes=False)
handle_cancel_tasks = command_button(lambda c: " ".join(["close", c.value, "tasks cancel"]), changes=False)
handle_move_tasks = command_button(lambda c: "close {} tasks move {}".format(*_pair(c)), changes=False)
handle_risk_happened = command_button(lambda c: "close {} risk {} happened".format(*_pair(c)), changes=False)
handle_risk_not_happened = command_button(_not_happened, changes=False)
handle_retro_answer = _open(ViewId.RETRO)


def register(app: App) -> None:
    on_intent(app, Intent.CLOSE_CONFIRM)(handle_close_confirm)
    on_intent(app, Intent.CLOSE_CANCEL_TASKS)(handle_cancel_tasks)
    on_intent(app, Intent.CLOSE_MOVE_TASKS)(handle_move_tasks)
    on_intent(app, Intent.RISK_HAPPENED)(handle_risk_happened)
    on_intent(app, Intent.RISK_NOT_HAPPENED)(handle_risk_not_happened)
    on_intent(app, Intent.RETRO_ANSWER)(handle_retro_answer)
    interactive(app)
    app.view(str(ViewId.RETRO))(handle_retro)


def write_retro(session: Session, values: Submitted, who: dict) -> Reply:
    project = _project(session, values, who)
    raw = values.option(BlockId.RETRO_SCORE)
    _, changed = retro_service.save_answer(
        session=session, project=project, user_id=who["user_id"], now=who["now"],
        satisfaction=int(raw) if raw else None, **{k: values.text(block) for k, block in BLOCKS.items()})
    return Reply.text(f"Thanks: your retrospective of *{project.name}* is saved"
                      + ("" if changed else " (unchanged)") + ". The button in this DM changes it until the summary.")


def handle_retro(ack: Ack, body: dict, context: BoltContext) -> None:
    submit_view(ack, body, context, write_retro, error_block=BlockId.RETRO_WELL)

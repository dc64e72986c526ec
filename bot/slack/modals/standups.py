"""The standup modals: "Answer standup" and the settings form.

The answer modal is built from an `AnswerForm` and read back into answers
(the "Answer standups" modal of a DM that asks for several standups has a part
per project, each read back to its own run):
one multiline input per question (block id = question id, e.g. `finished`),
the confidence as a 1-5 select, and the run in `private_metadata`. The
previous answer's "next" arrives pre-filled as this "finished". The
settings form (`/project standup` in Slack) shows every setting as a field.
"""

from __future__ import annotations

import json

from slack_sdk.models.blocks import (
    ContextBlock,
    DividerBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.domain import standups
from bot.domain.format import day
from bot.slack.ids import INPUT_ACTION, ViewId
from bot.slack.render import cut

CONFIDENCE_LABELS = {1: "1 · worried", 2: "2 · doubtful", 3: "3 · okay", 4: "4 · confident", 5: "5 · sure"}
MAX_INPUT = standups.MAX_ANSWER


def _inputs(form: standups.AnswerForm, prefix: str = "") -> list:
    """One input per question (block id `prefix` + question id), confidence as a 1-5 select."""
    blocks: list = []
    for question in form.questions:
        qid = question["id"]
        block_id = f"{prefix}{qid}"
        if qid == standups.CONFIDENCE:
            current = form.confidence
            options = [Option(value=str(n), text=label) for n, label in CONFIDENCE_LABELS.items()]
            element = StaticSelectElement(
                action_id=INPUT_ACTION, options=options,
                initial_option=options[current - 1] if current else None,
                placeholder=PlainTextObject(text="Pick 1-5"))
            blocks.append(InputBlock(block_id=block_id, label=PlainTextObject(text=cut(question["text"], 150)),
                                     element=element, optional=True))
            continue
        initial = form.values.get(qid) or None
        element = PlainTextInputElement(action_id=INPUT_ACTION, multiline=True, max_length=MAX_INPUT,
                                        initial_value=cut(initial, MAX_INPUT) if initial else None,
                                        placeholder=PlainTextObject(
                                            text="none" if qid == standups.BLOCKERS else "A line or two"))
        blocks.append(InputBlock(block_id=block_id, label=PlainTextObject(text=cut(question["text"], 150)),
                                 element=element, optional=True))
    return blocks


def _heading(form: standups.AnswerForm) -> str:
    return (f"*{form.project.name}* · standup of {day(form.run.run_date, year=False)}"
            + (" · editing your answer" if form.editing else "")
            + (" · closed: a late answer" if form.run.state == "closed" else ""))


def render_answer_modal(form: standups.AnswerForm, *, channel_id: str = "") -> View:
    """The modal for `form` (at most 8 questions plus confidence: far under 100 blocks)."""
    blocks: list = [ContextBlock(elements=[MarkdownTextObject(text=cut(_heading(form), 2000))])]
    blocks += _inputs(form)
    return View(
        type="modal", callback_id=str(ViewId.STANDUP_ANSWER), title=PlainTextObject(text="Standup"),
        submit=PlainTextObject(text="Save" if form.editing else "Send"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=json.dumps({"run": form.run.id, "project": form.project.key,
                                     "channel": channel_id}),
        blocks=blocks)


MAX_PROJECTS = 8  # 8 projects x (heading + 9 inputs + divider) stays under Slack's 100 blocks


def render_answers_modal(forms: list[standups.AnswerForm], *, channel_id: str = "") -> View:
    """One modal for the standups of one DM: a part per project (block ids
    `r{run}.{question}`), each answer stored on its own project's run. More
    than `MAX_PROJECTS` projects: the rest are named, to answer one by one."""
    blocks: list = []
    for form in forms[:MAX_PROJECTS]:
        if blocks:
            blocks.append(DividerBlock())
        blocks.append(SectionBlock(text=MarkdownTextObject(text=cut(_heading(form), 3000))))
        blocks += _inputs(form, prefix=f"r{form.run.id}.")
    if len(forms) > MAX_PROJECTS:
        rest = ", ".join(f"`{f.project.key}`" for f in forms[MAX_PROJECTS:])
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=cut(
            f"Also open: {rest}. Answer each with `/project standup answer KEY ...`.", 2000))]))
    editing = all(f.editing for f in forms[:MAX_PROJECTS])
    return View(
        type="modal", callback_id=str(ViewId.STANDUP_ANSWERS), title=PlainTextObject(text="Standups"),
        submit=PlainTextObject(text="Save" if editing else "Send"), close=PlainTextObject(text="Cancel"),
        private_metadata=json.dumps({"runs": [f.run.id for f in forms[:MAX_PROJECTS]], "channel": channel_id}),
        blocks=blocks)


def read_answers(view: dict) -> tuple[list[int], dict[int, tuple[dict[str, str], int | None]]]:
    """(the runs in the modal, run id -> (answers by question id, confidence))
    from a submitted `render_answers_modal`; a project left empty is absent."""
    metadata = json.loads(view.get("private_metadata") or "{}")
    runs = [int(r) for r in metadata.get("runs", [])]
    values = (view.get("state") or {}).get("values") or {}
    out: dict[int, tuple[dict[str, str], int | None]] = {}
    for block_id, elements in values.items():
        head, _, qid = block_id.partition(".")
        if not head.startswith("r") or not head[1:].isdigit():
            continue
        run_id = int(head[1:])
        element = (elements or {}).get(INPUT_ACTION) or {}
        answers, confidence = out.get(run_id, ({}, None))
        if qid == standups.CONFIDENCE:
            raw = (element.get("selected_option") or {}).get("value")
            confidence = int(raw) if raw and raw.isdigit() else confidence
        elif element.get("value") and str(element["value"]).strip():
            answers = {**answers, qid: str(element["value"])}
        if answers or confidence is not None:
            out[run_id] = (answers, confidence)
    return runs, out


def read_answer(view: dict) -> tuple[dict, dict[str, str], int | None]:
    """(metadata, answers by question id, confidence) from a submitted modal."""
    metadata = json.loads(view.get("private_metadata") or "{}")
    values = (view.get("state") or {}).get("values") or {}
    answers: dict[str, str] = {}
    confidence: int | None = None
    for block_id, elements in values.items():
        element = (elements or {}).get(INPUT_ACTION) or {}
        if block_id == standups.CONFIDENCE:
            raw = (element.get("selected_option") or {}).get("value")
            confidence = int(raw) if raw and raw.isdigit() else None
        elif element.get("value"):
            answers[block_id] = str(element["value"])
    return metadata, answers, confidence


# --- the settings modal (`/project standup` in Slack) ----------------------------------

SETTINGS_FIELDS = ("time", "days", "timezone", "channel", "holidays", "close", "remind", "zones", "answers")


def _input(block: str, label: str, initial: str, hint: str = "", optional: bool = False) -> InputBlock:
    element = PlainTextInputElement(action_id=INPUT_ACTION, initial_value=cut(initial, 150) or None,
                                    max_length=150)
    return InputBlock(block_id=block, label=PlainTextObject(text=label), element=element, optional=optional,
                      hint=PlainTextObject(text=hint) if hint else None)


def _choice(block: str, label: str, choices: dict[str, str], current: str) -> InputBlock:
    options = [Option(value=value, text=text) for value, text in choices.items()]
    initial = next(o for o in options if o.value == current)
    return InputBlock(block_id=block, label=PlainTextObject(text=label),
                      element=StaticSelectElement(action_id=INPUT_ACTION, options=options,
                                                  initial_option=initial))


def render_settings_modal(*, project_key: str, project_name: str, timezone: str, channel_id: str | None,
                          config: dict) -> View:
    """Every standup setting as a field, pre-filled with the current (or default) values."""
    from slack_sdk.models.blocks import ConversationSelectElement

    close = config["close"]
    channel = ConversationSelectElement(action_id=INPUT_ACTION, initial_conversation=channel_id or None,
                                        default_to_current_conversation=not channel_id)
    blocks = [
        ContextBlock(elements=[MarkdownTextObject(text=cut(f"*{project_name}*: daily standup", 2000))]),
        _input("time", "Prompt at (24-hour time)", config["time"], "like 09:30"),
        _input("days", "Days", config["days"], "mon-fri, or mon,wed,fri"),
        _input("timezone", "Time zone", config["timezone"] or timezone, "an IANA zone like Europe/Berlin"),
        InputBlock(block_id="channel", label=PlainTextObject(text="Summary channel"), element=channel),
        _input("holidays", "Skip public holidays of", config["holidays"], "a country, optionally with a "
               "region: DE, DE-BY, US-NY; empty for none", optional=True),
        _input("close", "Close at", close, "answers after this count as late"),
        _input("remind", "Remind at (% of the window)", str(config["remind"]), "10 to 95"),
        _choice("zones", "Whose time?", {"project": "The project's time zone",
                                         "member": "Each member's own time zone"},
                "member" if config["per_member"] else "project"),
        _choice("answers", "Answers", {"thread": "In the summary's thread", "inline": "In the summary"},
                "thread" if config["thread"] else "inline"),
    ]
    return View(type="modal", callback_id=str(ViewId.STANDUP_SETTINGS), title=PlainTextObject(text="Standup"),
                submit=PlainTextObject(text="Save"), close=PlainTextObject(text="Cancel"),
                private_metadata=json.dumps({"project": project_key, "channel": channel_id or ""}),
                blocks=blocks)


def read_settings(values: dict) -> dict[str, str]:
    """The settings modal's `state.values` by field name (text, channel id or option value)."""
    out: dict[str, str] = {}
    for name in SETTINGS_FIELDS:
        element = (values.get(name) or {}).get(INPUT_ACTION) or {}
        out[name] = str(element.get("value") or element.get("selected_conversation")
                        or (element.get("selected_option") or {}).get("value") or "").strip()
    return out

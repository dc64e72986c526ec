"""Transport-neutral replies: the Slack layer renders them as Block Kit, the
shell as text. Text uses a small markup both understand: *bold*, _italic_,
`code`, and Slack's <@U123> mentions (the shell swaps in names)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from enum import StrEnum


class Intent(StrEnum):
    """What a button asks for; the Slack layer maps each to an action id."""

    TASK_DONE = "task_done"
    TASK_ASSIGN_ME = "task_assign_me"
    TASK_EDIT = "task_edit"
    MEMBER_UNASSIGN = "member_unassign"
    MEMBER_REASSIGN = "member_reassign"
    REFRESH_STATUS = "refresh_status"
    NEW_PROJECT = "new_project"
    REFRESH_HOME = "refresh_home"
    POST_STATUS = "post_status"
    ADD_TASK = "add_task"
    ADD_MILESTONE = "add_milestone"
    ADD_RISK = "add_risk"
    EDIT_PROJECT = "edit_project"
    SHOW_MORE = "show_more"
    CHART = "chart"
    ANSWER_STANDUP = "answer_standup"
    ALERT_ACK = "alert_ack"
    ALERT_SNOOZE_DAY = "alert_snooze_day"
    ALERT_SNOOZE_WEEK = "alert_snooze_week"
    ALERT_ASSIGN = "alert_assign"
    ALERT_TO_RISK = "alert_to_risk"
    BLOCKER_TO_RISK = "blocker_to_risk"
    SHOW_PEOPLE = "show_people"  # `/project people @user` for the clicker; value: the user id
    ANSWER_STANDUPS = "answer_standups"  # one modal for several standups; value: their run ids, comma-separated
    # closing (bot/slack/listeners/closing.py); values name the project (and a task target or risk)
    CLOSE_CONFIRM = "close_confirm"  # value: KEY
    CLOSE_CANCEL_TASKS = "close_cancel_tasks"  # value: KEY
    CLOSE_MOVE_TASKS = "close_move_tasks"  # value: KEY:OTHER
    RISK_HAPPENED = "risk_happened"  # value: KEY:N
    RISK_NOT_HAPPENED = "risk_not_happened"  # value: KEY:N, or KEY:all
    RETRO_ANSWER = "retro_answer"  # opens the retrospective modal; value: KEY
    CHANGE_APPROVE = "change_approve"  # value: `project key:CR number`
    CHANGE_REJECT = "change_reject"  # opens a modal asking why
    CHANGE_DISCUSS = "change_discuss"  # asks for a discussion in the card's thread


@dataclass
class Button:
    """A button as an intent: the label, what it does, and its argument."""

    label: str
    intent: Intent
    value: str = ""
    style: str | None = None  # "primary" | "danger" | None


@dataclass
class Field:
    label: str
    value: str


@dataclass
class Section:
    """A block of text, optional label/value fields, and optional buttons."""

    text: str = ""
    fields: list[Field] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)


@dataclass
class Reply:
    """What a command answers: a title, sections, buttons and a footer note."""

    title: str = ""
    sections: list[Section] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    footer: str = ""
    ephemeral: bool = True
    error: bool = False
    open_modal: str | None = None  # e.g. "new_project": Slack opens a modal instead
    modal_context: dict = field(default_factory=dict)
    image_path: str | None = None  # a chart the transport uploads or prints
    # set when the reply holds a secret shown once (a status-page link): what a
    # repeated delivery of the same request answers instead, so the secret is never stored
    replay: str = ""
    # names what the reply was built from (a project's version and day) on replies
    # asked for again and again; a transport may keep their rendering (by content).
    # Never stored in the outbox, never part of equality or repr.
    cache_key: Hashable | None = field(default=None, compare=False, repr=False)

    @classmethod
    def fail(cls, message: str, usage: str = "") -> Reply:
        """A short error that says what was wrong, with the usage if known."""
        sections = [Section(text=f":warning: {message}")]
        if usage:
            sections.append(Section(text=f"Usage: `/project {usage}`"))
        return cls(sections=sections, error=True)

    @classmethod
    def text(cls, message: str, title: str = "") -> Reply:
        return cls(title=title, sections=[Section(text=message)])

    def plain(self) -> str:
        """All text in the reply, for tests and logs."""
        parts = [self.title]
        for s in self.sections:
            parts.append(s.text)
            parts.extend(f"{f.label}: {f.value}" for f in s.fields)
            parts.extend(b.label for b in s.buttons)
        parts.extend(b.label for b in self.buttons)
        parts.append(self.footer)
        return "\n".join(p for p in parts if p)


def reply_to_dict(reply: Reply) -> dict:
    """A JSON-ready copy, for the outbox."""
    from dataclasses import asdict

    data = asdict(reply)
    del data["cache_key"]
    return data


def reply_from_dict(data: dict) -> Reply:
    """Rebuild a `Reply` stored by `reply_to_dict`."""

    def buttons(items: list[dict]) -> list[Button]:
        return [Button(b["label"], Intent(b["intent"]), b.get("value", ""), b.get("style")) for b in items]

    sections = [
        Section(text=s.get("text", ""), fields=[Field(f["label"], f["value"]) for f in s.get("fields", [])],
                buttons=buttons(s.get("buttons", [])))
        for s in data.get("sections", [])
    ]
    rest = {k: v for k, v in data.items() if k not in {"sections", "buttons"}}
    return Reply(sections=sections, buttons=buttons(data.get("buttons", [])), **rest)

"""Replies as readable terminal text: sections, fields, and buttons listed."""

from __future__ import annotations

import re

from bot.domain.replies import Button, Intent, Reply

EMOJI = {":warning:": "⚠", ":white_check_mark:": "✔", ":tada:": "🎉", ":red_circle:": "🔴",
         ":large_yellow_circle:": "🟡", ":large_green_circle:": "🟢"}
_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
_BOLD = re.compile(r"(?<![\w*])[*_]([^*_\n]+)[*_](?![\w*])")
_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|([^>]*))?>")


def intent_command(button: Button) -> str:
    """The `/project` text a button stands for, so shell users can type it."""
    value = button.value
    key, _, number = value.partition(":")
    return {
        Intent.TASK_DONE: f"/project task done {key} {number}",
        Intent.TASK_ASSIGN_ME: f"/project task assign {key} {number} me",
        Intent.TASK_EDIT: f'/project task edit {key} {number} title "..." estimate 5h due DATE',
        Intent.MEMBER_UNASSIGN: f"/project member remove {key} <@{number}> unassign",
        Intent.MEMBER_REASSIGN: f"/project member remove {key} <@{number}> reassign @someone",
        Intent.REFRESH_STATUS: f"/project status {value}",
        Intent.POST_STATUS: f"/project status {value}",
        Intent.ADD_TASK: f'/project task add {value} "title"',
        Intent.ADD_MILESTONE: f'/project milestone add {value} "name" due DATE',
        Intent.ADD_RISK: f'/project risk add {value} "title" likelihood 3 impact 4',
        Intent.EDIT_PROJECT: f"/project edit {value} ...",
        Intent.CHART: f"/project chart {value} burnup",
        Intent.ANSWER_STANDUP: '/project standup answer finished "..." next "..." blockers none',
        Intent.ALERT_ACK: f"/project alerts ack A{value}",
        Intent.ALERT_SNOOZE_DAY: f"/project alerts snooze A{value} day",
        Intent.ALERT_SNOOZE_WEEK: f"/project alerts snooze A{value} week",
        Intent.ALERT_ASSIGN: f"/project alerts assign A{value} @someone",
        Intent.ALERT_TO_RISK: f"/project alerts risk A{value}",
        Intent.BLOCKER_TO_RISK: '/project risk add "the blocker" likelihood 3 impact 3',
        Intent.NEW_PROJECT: '/project new "Name" due DATE budget AMOUNT',
        Intent.SHOW_PEOPLE: f"/project people <@{value}>",
        Intent.ANSWER_STANDUPS: '/project standup answer PROJECT finished "..." next "..." blockers none',
        Intent.CLOSE_CONFIRM: f"/project close {value} confirm",
        Intent.CLOSE_CANCEL_TASKS: " ".join(["/project close", value, "tasks cancel"]),
        Intent.CLOSE_MOVE_TASKS: " ".join(["/project close", key, "tasks move", number]),
        Intent.RISK_HAPPENED: f"/project close {key} risk {number} happened [cost AMOUNT]",
        Intent.RISK_NOT_HAPPENED: (" ".join(["/project close", key, "risks did-not-happen"]) if number == "all"
                                   else f"/project close {key} risk {number} did-not-happen"),
        Intent.RETRO_ANSWER: f'/project retro {value} well "..." badly "..." differently "..." score 4',
        Intent.CHANGE_APPROVE: f"/project change approve {key} CR-{number}",
        Intent.CHANGE_REJECT: f'/project change reject {key} CR-{number} reason "..."',
        Intent.CHANGE_DISCUSS: f"/project change discuss {key} CR-{number}",
    }.get(button.intent, "")


def render_text(reply: Reply, names: dict[str, str] | None = None,
                channels: dict[str, str] | None = None) -> str:
    """Reply -> text. Mentions become @name, channels #name."""
    names, channels = names or {}, channels or {}

    def clean(text: str) -> str:
        text = _MENTION.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
        text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or channels.get(m.group(1), m.group(1))), text)
        text = _BOLD.sub(r"\1", text)
        for code, char in EMOJI.items():
            text = text.replace(code, char)
        return text

    out: list[str] = []
    if reply.title:
        title = clean(reply.title)
        out += [title, "─" * min(len(title), 60)]
    for section in reply.sections:
        if section.text:
            out.append(clean(section.text))
        width = max((len(f.label) for f in section.fields), default=0)
        out += [f"  {f.label.ljust(width)}  {clean(f.value)}" for f in section.fields]
        out += [clean(line) for line in _buttons(section.buttons)]
    out += [clean(line) for line in _buttons(reply.buttons)]
    if reply.footer:
        out.append(clean(reply.footer))
    if reply.image_path:
        out.append(f"Chart written to {reply.image_path}")
    return "\n".join(out)


def _buttons(buttons: list[Button]) -> list[str]:
    lines = []
    for b in buttons:
        cmd = intent_command(b)
        lines.append(f"  [{b.label}]" + (f"  ↳ {cmd}" if cmd else ""))
    return lines

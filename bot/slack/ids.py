"""Every action, view (callback) and block id the Slack layer uses, in one place.

A reply's `Button.intent` becomes an action id `<intent>:<n>` (n keeps ids
unique inside one actions block); listeners match an intent with
`action_pattern(intent)`. Listener modules for new intents register their own
handlers with that pattern, so adding an `Intent` needs no edit here.
"""

from __future__ import annotations

import re
from enum import StrEnum

from bot.domain.replies import Intent

SLASH_COMMAND = "/project"


def action_id(intent: Intent | str, index: int = 0) -> str:
    """The action id of the `index`-th button with this intent in a message."""
    return f"{intent}:{index}"


def action_pattern(intent: Intent | str) -> re.Pattern[str]:
    """Matches every action id `action_id(intent, n)` produces."""
    return re.compile(rf"^{re.escape(str(intent))}:\d+$")


def intent_of(action: str) -> Intent | None:
    """The intent behind an action id, or None for an id not made by `action_id`."""
    name = action.rsplit(":", 1)[0]
    try:
        return Intent(name)
    except ValueError:
        return None


class ViewId(StrEnum):
    """Modal callback ids (and the Home tab's)."""

    NEW_PROJECT = "new_project"
    ADD_TASK = "add_task"
    ADD_MILESTONE = "add_milestone"
    EDIT_PROJECT = "edit_project"
    ADD_RISK = "add_risk"
    ALERT_ASSIGN = "alert_assign"
    EDIT_TASK = "edit_task"
    REASSIGN = "reassign"
    STANDUP_ANSWER = "standup_answer"
    STANDUP_ANSWERS = "standup_answers"  # one modal for the standups of one DM
    STANDUP_SETTINGS = "standup_settings"
    RETRO = "retro"  # a member's retrospective of a closed project
    CHANGE_REJECT = "change_reject"  # why a change request is rejected
    REPLY = "reply"  # a reply shown in a modal (it takes no submission)
    HOME = "home"


class BlockId(StrEnum):
    """Input block ids in modals; validation errors are keyed by these."""

    NAME = "name"
    KEY = "key"
    GOAL = "goal"
    SCOPE = "scope"
    START = "start"
    DUE = "due"
    BUDGET = "budget"
    TIMEZONE = "timezone"
    STATE = "state"
    TITLE = "title"
    ASSIGNEE = "assignee"
    ESTIMATE = "estimate"
    MILESTONE = "milestone"
    EFFORT = "effort"
    RISK_TITLE = "risk_title"
    LIKELIHOOD = "risk_likelihood"
    IMPACT = "risk_impact"
    RISK_OWNER = "risk_owner"
    MITIGATION = "risk_mitigation"
    REVIEW = "risk_review"
    RESPONSE = "risk_response"
    ALERT_ASSIGNEE = "alert_assignee"
    RETRO_WELL = "retro_well"
    RETRO_BADLY = "retro_badly"
    RETRO_DIFFERENTLY = "retro_differently"
    RETRO_SCORE = "retro_score"
    CHANGE_REASON = "change_reason"


class ShortcutId(StrEnum):
    """Global and message shortcut callback ids."""

    NEW_PROJECT = "new_project_shortcut"
    TASK_FROM_MESSAGE = "task_from_message"


INPUT_ACTION = "value"  # the action id of the one element inside every input block

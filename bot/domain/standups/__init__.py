"""Daily standups (being split into modules named for what they hold)."""

from bot.domain.standups.runs import *  # noqa: F403

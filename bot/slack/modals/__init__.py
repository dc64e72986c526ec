"""Modals, by subject (being split out of `inputs`, the old `bot/slack/modals.py`)."""

from bot.slack.modals.inputs import *  # noqa: F403

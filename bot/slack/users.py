"""Slack users as the bot caches them: name, time zone, and whether they are a
bot or deleted, from users.info.

People whose standups prompt them at their own time are refreshed about once
a day by `refresh_zones_job`, a worker job of the Slack transport:
`register_jobs` is handed to the worker where transports are wired to jobs
(`bot/__main__.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.config import Settings
from bot.db import session_scope
from bot.domain import members, standups
from bot.domain.errors import Invalid
from bot.jobs.scheduler import job_engine, job_settings
from bot.models import utcnow
from bot.slack.notifier import notifier_for

log = logging.getLogger(__name__)
ZONE_MAX_AGE = timedelta(hours=20)
ZONES_JOB_ID = "standups:zones"


def refresh_user_zones(*, session: Session, client: WebClient, team_id: str, now: datetime,
                       user_ids: list[str] | None = None) -> int:
    """Cache name and timezone from users.info for standup participants whose
    cache is older than ~a day (all of `user_ids` if given); returns how many."""
    if user_ids is None:
        user_ids = standups.member_time_users(session=session, team_id=team_id)
    fresh = members.fresh_users(session=session, team_id=team_id, user_ids=user_ids, since=now - ZONE_MAX_AGE)
    refreshed = 0
    for user_id in [u for u in user_ids if u not in fresh]:
        try:
            info = client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            log.warning("users.info %s failed: %s", user_id, exc.response.get("error", ""))
            continue
        members.remember_user(session=session, team_id=team_id, user_id=user_id, name=info.get("name", ""),
                              timezone=info.get("tz") or "", is_bot=bool(info.get("is_bot")),
                              deleted=bool(info.get("deleted")), refreshed_at=now, now=now)
        refreshed += 1
    session.flush()
    return refreshed


def email_resolver(settings: Settings) -> Callable[[str], str | None]:
    """E-mail -> Slack user id through users.lookupByEmail, None when nobody in
    the workspace has it (for `python -m bot import`). Its scope,
    users:read.email, is optional: the manifest leaves it out."""
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)

    def lookup(email: str) -> str | None:
        try:
            return client.users_lookupByEmail(email=email)["user"]["id"]
        except SlackApiError as exc:
            error = exc.response.get("error", "")
            if error == "users_not_found":
                return None
            raise Invalid(f"Slack refused to look up `{email}` ({error}). Looking people up by e-mail "
                          "needs the users:read.email scope, which the manifest leaves out: add it under "
                          "oauth_config → scopes → bot and reinstall, or use Slack user ids.") from None
    return lookup


def refresh_zones_job(now: datetime | None = None) -> None:
    """Refresh the cached Slack timezones of people prompted at their own time,
    one transaction per workspace."""
    engine, now = job_engine(), now or utcnow()
    notifier = notifier_for(job_settings(), engine)
    with Session(engine) as session:
        teams = standups.member_time_teams(session=session)
    for team_id in teams:
        try:
            with session_scope(engine) as session:
                refresh_user_zones(session=session, client=notifier.client(team_id), team_id=team_id,
                                   now=now)
        except Exception:  # one workspace's failure must not stop the others
            log.exception("timezone refresh failed for %s", team_id)


def register_jobs(scheduler: BaseScheduler, settings: Settings) -> None:
    """The zone refresh every 6 hours, the first a minute after start-up."""
    scheduler.add_job(refresh_zones_job, IntervalTrigger(hours=6), id=ZONES_JOB_ID,
                      name="standups timezones", replace_existing=True,
                      next_run_time=utcnow() + timedelta(minutes=1))

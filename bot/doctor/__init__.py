"""`python -m bot doctor`: everything a working install needs, checked in order.

Settings and the database first (`local.py`, no network: `make run` runs this
quick half before starting), then Slack (`slack_checks.py`: the token, its
scopes, Socket Mode or the HTTP server, the project channels), then what
runs in the background (`delivery.py`: the worker's lease and last run, the
outbox). Each check prints as `ok`, `skip` (does not apply here) or `FAIL`
with what to do; the command exits 0 only when nothing failed.
"""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.doctor.delivery import outbox_check, worker_check
from bot.doctor.local import database_check, settings_checks
from bot.doctor.report import Check, Status, render, skip
from bot.doctor.slack_checks import slack_checks
from bot.models import utcnow

__all__ = ["Check", "Status", "quick_hint", "render", "run_doctor"]


def run_doctor(settings: Settings, *, url: str | None = None, quick: bool = False,
               now: datetime | None = None) -> list[Check]:
    """Every check, in order; `quick`: only settings and the database."""
    checks = settings_checks(settings)
    database, engine = database_check(settings)
    checks.append(database)
    if quick:
        if engine is not None:
            engine.dispose()
        return checks
    try:
        from bot.slack.manifest import bot_scopes

        checks += slack_checks(settings, engine, wanted_scopes=bot_scopes(oauth=settings.oauth_enabled), url=url)
        if engine is not None:
            checks.append(worker_check(settings, engine, now or utcnow()) if settings.has_slack_credentials
                          else skip("worker", "the local shell runs scheduled work itself, after every command"))
            checks += outbox_check(engine, now or utcnow())
    finally:
        if engine is not None:
            engine.dispose()
    return checks


def quick_hint(settings: Settings) -> str | None:
    """The first quick check that fails, as one line (None when all pass)."""
    failed = next((c for c in run_doctor(settings, quick=True) if not c.passed), None)
    if failed is None:
        return None
    return f"{failed.name}: {failed.detail}. To fix: {failed.fix.splitlines()[0]}"

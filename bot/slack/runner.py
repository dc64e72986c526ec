"""`run_slack(settings, start_worker)`: Socket Mode when `SLACK_APP_TOKEN` is set, else HTTP.

Socket Mode is one process that does everything: it also runs the scheduler
and outbox worker in a thread (a separate `python -m bot worker` would wait as
standby behind the leader lease). HTTP mode runs it in the web process only
with `RUN_SCHEDULER_IN_WEB=true`; otherwise run `python -m bot worker`.
`start_worker(notifier)` starts that thread; it comes from `bot/__main__.py`,
where transports are wired to jobs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.config import Settings
from bot.domain.outbox import Notifier

log = logging.getLogger(__name__)


def check_slack_settings(settings: Settings) -> None:
    """Raise `ConfigError` (one line naming the setting) if Slack mode cannot start."""
    settings.require_slack()
    if settings.oauth_enabled:
        from bot.slack.oauth import fernet

        fernet(settings.token_encryption_key)


def run_slack(settings: Settings, *, start_worker: Callable[[Notifier], object]) -> None:
    """Connect to Slack the way the settings say; blocks until stopped."""
    check_slack_settings(settings)
    if not settings.socket_mode:
        from bot.slack.server import serve

        serve(settings, start_worker=start_worker)
        return
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.db import make_engine
    from bot.slack.app import create_app

    engine = make_engine(settings.database_url)
    app = create_app(settings, engine)
    start_worker(app.pm_notifier)
    if settings.public_url:  # status pages: Socket Mode has no web server of its own
        from bot.web.standalone import PageServer

        PageServer(engine, port=settings.port).start()
    log.info("connecting to Slack in Socket Mode (no public URL needed)")
    SocketModeHandler(app, settings.slack_app_token).start()

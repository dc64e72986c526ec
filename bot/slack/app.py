"""`create_app(settings, engine)`: the Bolt app, built fresh (no module-level app).

Single-workspace when `SLACK_BOT_TOKEN` is set; multi-workspace OAuth when
`SLACK_CLIENT_ID`/`SLACK_CLIENT_SECRET` are (tokens stored encrypted, see
`oauth.py`). Every WebClient uses `SLACK_API_URL` with bounded retries.
Bolt's loggers get a filter that keeps request bodies and tokens out of logs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime

from slack_bolt import App, BoltContext
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.mail import with_email
from bot.models import utcnow
from bot.slack.acknowledge import answer_200_for_web_api_errors
from bot.slack.channels import CHANNEL_SCOPES
from bot.slack.listeners import register_listeners
from bot.slack.manifest import declared, needs_scopes
from bot.slack.notifier import NOTIFIER_SCOPES, OutboxPump, make_client, notifier_for
from bot.slack.services import Services

_SECRETS = re.compile(r"(xox[abpsre]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|https://hooks\.slack[^\s'\"]+)")
_BODY_MARKERS = ("body:", "response_url", "payload=", "'token':", '"token":')


class RedactFilter(logging.Filter):
    """Drops the request body from Bolt log lines and masks tokens and hooks URLs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message == warning_client_prioritized_and_token_skipped():
            return False  # Bolt reads SLACK_BOT_TOKEN itself; the client we give it carries that token
        if any(marker in message for marker in _BODY_MARKERS):
            cut = min(message.find(m) for m in _BODY_MARKERS if m in message)
            message = message[:cut] + "[request body not logged]"
        record.msg, record.args = _SECRETS.sub("[redacted]", message), None
        return True


def bolt_logger() -> logging.Logger:
    """Bolt's base logger, with `RedactFilter` (Bolt copies it to every logger it makes).

    slack_sdk's and Bolt's own DEBUG output carries request bodies and
    response URLs, so those libraries never log below INFO."""
    for name in ("slack_sdk", "slack_bolt", "bot.slack.bolt"):
        library = logging.getLogger(name)
        if library.level < logging.INFO:  # NOTSET would inherit DEBUG from the root
            library.setLevel(logging.INFO)
    logger = logging.getLogger("bot.slack.bolt")
    if not any(isinstance(f, RedactFilter) for f in logger.filters):
        logger.addFilter(RedactFilter())
    return logger


def create_app(settings: Settings, engine: Engine, *, clock: Callable[[], datetime] = utcnow,
               verify_token: bool = True) -> App:
    """The Bolt app with every listener registered and the outbox pump wired."""
    client = make_client(settings.slack_api_url, settings.slack_bot_token or None)
    common = dict(
        client=client,
        logger=bolt_logger(),
        signing_secret=settings.slack_signing_secret,
        request_verification_enabled=not settings.socket_mode,
        ignoring_self_events_enabled=True,
        # Listeners run in the request's own thread and the response goes back when
        # they return (ack() alone sends nothing). So buttons and shortcuts
        # acknowledge and hand their work to a pool (`acknowledge.ack_first`), a
        # slow command answers on the response_url, and submissions and events
        # only touch the database before answering.
        process_before_response=True,
    )
    store = None
    if settings.oauth_enabled:
        from bot.slack.oauth import build_oauth_settings, installation_store

        store = installation_store(settings, engine)
        app = App(oauth_settings=build_oauth_settings(settings, engine, store), **common)
        app.enable_token_revocation_listeners()
        declared(app).events.update({"app_uninstalled", "tokens_revoked"})
    else:
        app = App(token_verification_enabled=verify_token, **common)  # the token is in `client`

    notifier = with_email(notifier_for(settings, engine, store=store, clock=clock), settings, clock=clock)
    pump = OutboxPump(engine, notifier)
    services = Services(settings=settings, engine=engine, kick=pump.kick, clock=clock)

    @app.middleware
    def provide_services(context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002
        context["services"] = services
        next()

    app.error(answer_200_for_web_api_errors)
    register_listeners(app)
    needs_scopes(app, *NOTIFIER_SCOPES)
    needs_scopes(app, *CHANNEL_SCOPES)  # `doctor` checks the project channels
    if app.oauth_flow is not None:
        from bot.slack.oauth import use_declared_scopes

        use_declared_scopes(app.oauth_flow.settings, declared(app).scopes)
    app.pm_services = services  # type: ignore[attr-defined]  # for the server and tests
    app.pm_notifier = notifier  # type: ignore[attr-defined]
    app.pm_pump = pump  # type: ignore[attr-defined]
    return app

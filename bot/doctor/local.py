"""The quick local half of `doctor`: settings and the database, no network.

`make run` (through `python -m bot run`) runs these before starting and
prints the first failure as a one-line hint.
"""

from __future__ import annotations

import re
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.config import ConfigError, Settings
from bot.db import alembic_config, make_engine
from bot.doctor.report import Check, fail, ok, skip

SIGNING_SECRET_LENGTH = 32  # Slack's Signing Secret: 32 characters
VERIFICATION_TOKEN_LENGTH = 24  # the deprecated Verification Token, often pasted instead
TOKEN_KINDS = {"xoxb-": "a bot token", "xoxp-": "a user token", "xapp-": "an app-level token",
               "xoxe": "a refresh or configuration token"}
BOT_TOKEN_FIX = "copy the Bot User OAuth Token (xoxb-...) from api.slack.com/apps → your app → OAuth & Permissions"
APP_TOKEN_FIX = ("Basic Information → App-Level Tokens → Generate Token and Scopes, scope connections:write; "
                 "copy the xapp-... token")


def _kind(token: str) -> str:
    return next((kind for prefix, kind in TOKEN_KINDS.items() if token.startswith(prefix)),
                f"something starting {token[:4]!r}")


def settings_checks(settings: Settings) -> list[Check]:
    """How the bot will connect, and each Slack setting's shape (never its value)."""
    checks = [_mode(settings)]
    if settings.slack_bot_token:
        checks.append(ok("SLACK_BOT_TOKEN", "a bot token (xoxb-)") if settings.slack_bot_token.startswith("xoxb-")
                      else fail("SLACK_BOT_TOKEN", f"is {_kind(settings.slack_bot_token)}, not a bot token (xoxb-)",
                                BOT_TOKEN_FIX))
    if settings.slack_app_token:
        checks.append(ok("SLACK_APP_TOKEN", "an app-level token (xapp-)")
                      if settings.slack_app_token.startswith("xapp-")
                      else fail("SLACK_APP_TOKEN", f"is {_kind(settings.slack_app_token)}, not an app-level "
                                "token (xapp-)", APP_TOKEN_FIX))
    if settings.has_slack_credentials:
        checks.append(_signing_secret(settings))
    if settings.oauth_enabled:
        checks.append(_encryption_key(settings))
    return checks


def _mode(settings: Settings) -> Check:
    if settings.slack_client_id and not settings.slack_client_secret or \
            settings.slack_client_secret and not settings.slack_client_id:
        return fail("mode", "only one of SLACK_CLIENT_ID and SLACK_CLIENT_SECRET is set",
                    "set both (Basic Information → App Credentials) for OAuth, or neither")
    if not settings.has_slack_credentials:
        stray = [name for name, value in (("SLACK_APP_TOKEN", settings.slack_app_token),
                                          ("SLACK_SIGNING_SECRET", settings.slack_signing_secret)) if value]
        if stray:
            return fail("mode", f"{' and '.join(stray)} set but SLACK_BOT_TOKEN is empty, so `run` opens "
                        "the local shell instead of Slack", BOT_TOKEN_FIX)
        return ok("mode", "local shell only (no Slack credentials set; the README shows three ways to start)")
    if settings.socket_mode:
        return ok("mode", "Socket Mode (SLACK_APP_TOKEN is set): the bot dials out, no public URL needed")
    if settings.oauth_enabled:
        return ok("mode", "HTTP with OAuth: workspaces install through /slack/install")
    return ok("mode", "HTTP: Slack calls POST /slack/events on your public URL")


def _signing_secret(settings: Settings) -> Check:
    secret = settings.slack_signing_secret
    if settings.socket_mode:
        return skip("SLACK_SIGNING_SECRET", "not used in Socket Mode")
    where = "Basic Information → App Credentials → Signing Secret (Show), into SLACK_SIGNING_SECRET"
    if not secret:
        return fail("SLACK_SIGNING_SECRET", "is empty: HTTP mode cannot verify Slack's requests", where)
    if len(secret) != SIGNING_SECRET_LENGTH or not secret.isalnum():
        also = " (the length of the old Verification Token)" if len(secret) == VERIFICATION_TOKEN_LENGTH else ""
        return fail("SLACK_SIGNING_SECRET", f"has {len(secret)} characters{also}; a Signing Secret is "
                    f"{SIGNING_SECRET_LENGTH} letters and digits", where)
    return ok("SLACK_SIGNING_SECRET", f"{SIGNING_SECRET_LENGTH} characters, as Slack's are")


def _encryption_key(settings: Settings) -> Check:
    from bot.slack.oauth import fernet

    if not re.fullmatch(r"\d+\.\d+", settings.slack_client_id):
        return fail("SLACK_CLIENT_ID", "does not look like a Client ID (digits.digits)",
                    "Basic Information → App Credentials → Client ID")
    try:
        fernet(settings.token_encryption_key)
    except ConfigError:
        return fail("TOKEN_ENCRYPTION_KEY", "is empty or not a Fernet key: stored tokens cannot be encrypted",
                    'make one: python -c "from cryptography.fernet import Fernet; '
                    'print(Fernet.generate_key().decode())"')
    return ok("TOKEN_ENCRYPTION_KEY", "a valid key: stored workspace tokens are encrypted with it")


def database_check(settings: Settings) -> tuple[Check, Engine | None]:
    """Reachable and at the newest migration; the engine when later checks may use it."""
    if settings.is_sqlite:
        path = settings.database_url.split("///", 1)[-1]
        if path and path != ":memory:" and not Path(path).exists():
            return fail("database", f"no database file at {path} yet",
                        "`make run` or `python -m bot db upgrade` creates it"), None
    engine = make_engine(settings.database_url)
    where = engine.url.render_as_string(hide_password=True)
    script = ScriptDirectory.from_config(alembic_config(engine))
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        engine.dispose()
        return fail("database", f"cannot connect to {where}: {reason[0] if reason else exc.__class__.__name__}",
                    "check DATABASE_URL and that the database server is running"), None
    check = _migration_state(script, current, where)
    if not check.passed:
        engine.dispose()
        return check, None
    return check, engine


def _migration_state(script: ScriptDirectory, current: set[str], where: str) -> Check:
    known = {rev.revision for rev in script.walk_revisions()}
    if current - known:
        return fail("database", f"{where} is at revision {', '.join(sorted(current - known))}, which this "
                    "code does not know (a newer version migrated it)", "run the newer version of the bot")
    applied = {rev.revision for head in current for rev in script.iterate_revisions(head, "base")}
    pending = [rev.revision for rev in reversed(list(script.walk_revisions())) if rev.revision not in applied]
    if pending:
        state = "has no tables yet" if not current else f"is at {', '.join(sorted(current))}"
        plural = "s" if len(pending) != 1 else ""
        return fail("database", f"{where} {state}: {len(pending)} migration{plural} not applied "
                    f"({', '.join(pending)})",
                    "python -m bot db upgrade (`make run` and the Procfile's release step run it)")
    return ok("database", f"{where} answers and is at the newest migration ({script.get_current_head()})")

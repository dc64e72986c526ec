"""Settings read once from the environment and `.env`.

Every setting is listed in `.env.example`. A malformed value stops start-up
with one line naming the setting (`ConfigError`); secrets never appear in
`repr()` or logs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

DEFAULT_DB_PATH = Path("data") / "bot.sqlite3"
SLACK_API_DEFAULT = "https://slack.com/api/"
SECRET_FIELDS = {
    "slack_bot_token",
    "slack_signing_secret",
    "slack_app_token",
    "slack_client_secret",
    "token_encryption_key",
    "smtp_url",
}


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it."""


def normalise_database_url(url: str) -> str:
    """Accept Heroku-style `postgres://` and bare `postgresql://` URLs."""
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith(("postgresql+psycopg://", "sqlite://", "sqlite+pysqlite://")):
        return url
    raise ConfigError(
        "DATABASE_URL must start with sqlite:/// or postgresql:// (got "
        f"{url.split(':', 1)[0] or 'nothing'}://...)"
    )


@dataclass(frozen=True)
class Settings:
    """All configuration, validated."""

    database_url: str = f"sqlite:///{DEFAULT_DB_PATH}"
    slack_bot_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_app_token: str = field(default="", repr=False)
    slack_client_id: str = ""
    slack_client_secret: str = field(default="", repr=False)
    token_encryption_key: str = field(default="", repr=False)
    slack_api_url: str = SLACK_API_DEFAULT
    default_timezone: str = "UTC"
    default_currency: str = "USD"
    date_order: str = "DMY"
    port: int = 3000
    log_level: str = "INFO"
    scheduler_misfire_grace_seconds: int = 3600
    run_scheduler_in_web: bool = False
    public_url: str = ""  # where people outside Slack reach the status pages: https://pm.example.com
    smtp_url: str = field(default="", repr=False)  # smtp://user:pass@host:587 (STARTTLS) or smtps://...:465
    smtp_from: str = ""  # the From of emailed reports: "PM bot <pm@example.com>"
    # conversations.history/replies limits: "limited" (1 read a minute, 15 messages: Slack's rule
    # since 29 May 2025 for commercially distributed apps outside the Marketplace), "internal"
    # (a single-workspace app keeps the old limits), "auto" (limited with OAuth, else internal)
    slack_history_limits: str = "auto"
    # where a DM is posted: "user" (to the person's user id; Slack posts it in the app's DM and
    # answers with its D... id, which is kept) or "open" (conversations.open once, then the D... id)
    slack_dm_channel: str = "user"

    @property
    def history_limited(self) -> bool:
        """Whether conversations.history/replies are held to 1 read a minute and 15 messages."""
        return self.slack_history_limits == "limited" or (
            self.slack_history_limits == "auto" and self.oauth_enabled)

    @property
    def email_configured(self) -> bool:
        return bool(self.smtp_url and self.smtp_from)

    @property
    def has_slack_credentials(self) -> bool:
        return bool(self.slack_bot_token or (self.slack_client_id and self.slack_client_secret))

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    @property
    def oauth_enabled(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def require_slack(self) -> None:
        """Fail with one clear line when Slack mode lacks a required secret."""
        if self.socket_mode:
            if not self.slack_bot_token:
                raise ConfigError("SLACK_BOT_TOKEN is required with SLACK_APP_TOKEN (Socket Mode)")
            if not self.slack_app_token.startswith("xapp-"):
                raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
            return
        if not self.slack_signing_secret:
            raise ConfigError("SLACK_SIGNING_SECRET is required to serve Slack over HTTP")
        if self.oauth_enabled and not self.token_encryption_key:
            raise ConfigError("TOKEN_ENCRYPTION_KEY is required when SLACK_CLIENT_ID is set")


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
INT_RANGES = {"PORT": (1, 65535)}


def _parse_int(name: str, raw: str) -> int:
    low, high = INT_RANGES.get(name, (0, None))
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number (got {raw!r})") from None
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ConfigError(f"{name} must be {bounds} (got {value})")
    return value


def _parse_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true or false (got {raw!r})")


def load_settings(env: dict[str, str] | None = None, env_file: str | Path | None = ".env") -> Settings:
    """Build `Settings` from `.env` overlaid by the real environment."""
    values: dict[str, str] = {}
    if env_file and Path(env_file).exists():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if env is None else env)
    # The Slack CLI's start hook (`slack run`) hands its app's tokens over as SLACK_CLI_XAPP and
    # SLACK_CLI_XOXB (and as SLACK_APP_TOKEN/SLACK_BOT_TOKEN unless those are set already,
    # in which case, as the CLI says, the set ones are used): fall back to them.
    for name, cli_name in (("SLACK_APP_TOKEN", "SLACK_CLI_XAPP"), ("SLACK_BOT_TOKEN", "SLACK_CLI_XOXB")):
        if not values.get(name) and values.get(cli_name):
            values[name] = values[cli_name]

    kwargs: dict[str, object] = {}
    for f in fields(Settings):
        name = f.name.upper()
        if name not in values or values[name] == "":
            continue
        raw = values[name]
        if f.type in ("int", int):
            kwargs[f.name] = _parse_int(name, raw)
        elif f.type in ("bool", bool):
            kwargs[f.name] = _parse_bool(name, raw)
        else:
            kwargs[f.name] = raw.strip()

    if "database_url" in kwargs:
        kwargs["database_url"] = normalise_database_url(str(kwargs["database_url"]))
    tz = str(kwargs.get("default_timezone", "UTC"))
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ConfigError(f"DEFAULT_TIMEZONE must be an IANA zone like Europe/Berlin (got {tz!r})") from None
    currency = str(kwargs.get("default_currency", "USD"))
    if len(currency) != 3 or not currency.isalpha():
        raise ConfigError(f"DEFAULT_CURRENCY must be a 3-letter code like USD (got {currency!r})")
    kwargs["default_currency"] = currency.upper()
    order = str(kwargs.get("date_order", "DMY")).upper()
    if order not in ("DMY", "MDY"):
        raise ConfigError(f"DATE_ORDER must be DMY (31/12) or MDY (12/31) (got {order!r})")
    kwargs["date_order"] = order
    level = str(kwargs.get("log_level", "INFO")).upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)} (got {level!r})")
    kwargs["log_level"] = level
    api = str(kwargs.get("slack_api_url", SLACK_API_DEFAULT))
    if not api.startswith(("http://", "https://")):
        raise ConfigError(f"SLACK_API_URL must be an http(s) URL (got {api!r})")
    kwargs["slack_api_url"] = api if api.endswith("/") else api + "/"
    public = str(kwargs.get("public_url", "")).rstrip("/")
    if public and not public.startswith(("http://", "https://")):
        raise ConfigError(f"PUBLIC_URL must be an http(s) URL like https://pm.example.com (got {public!r})")
    kwargs["public_url"] = public
    smtp = str(kwargs.get("smtp_url", ""))
    if smtp and not smtp.startswith(("smtp://", "smtps://")):
        raise ConfigError("SMTP_URL must start with smtp:// (STARTTLS) or smtps:// (TLS), like "
                          f"smtp://user:password@mail.example.com:587 (got {smtp.split(':', 1)[0]}://...)")
    sender = str(kwargs.get("smtp_from", ""))
    if sender and "@" not in sender:
        raise ConfigError(f"SMTP_FROM must be an email address like pm@example.com (got {sender!r})")
    for name, allowed in (("slack_history_limits", ("auto", "limited", "internal")),
                          ("slack_dm_channel", ("user", "open"))):
        value = str(kwargs.get(name, allowed[0])).lower()
        if value not in allowed:
            raise ConfigError(f"{name.upper()} must be {' or '.join(allowed)} (got {value!r})")
        kwargs[name] = value
    return Settings(**kwargs)  # type: ignore[arg-type]

"""Multi-workspace install: Bolt's OAuth flow with its SQLAlchemy stores in the
bot's database (tables from migration 0003), tokens encrypted at rest.

On when `SLACK_CLIENT_ID` and `SLACK_CLIENT_SECRET` are set: a workspace admin
opens `/slack/install`, approves, and Slack redirects to
`/slack/oauth_redirect`, which stores the installation. Bot, user and refresh
tokens are Fernet-encrypted with `TOKEN_ENCRYPTION_KEY` before they are
written and decrypted when read, so a database dump holds no usable token.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.engine import Engine

from bot.config import ConfigError, Settings

log = logging.getLogger(__name__)
TOKEN_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
STATE_EXPIRATION_SECONDS = 600


def fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode())
    except (ValueError, TypeError):
        raise ConfigError("TOKEN_ENCRYPTION_KEY must be a Fernet key: generate one with "
                          "python -c \"from cryptography.fernet import Fernet; "
                          "print(Fernet.generate_key().decode())\"") from None


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """The SQLAlchemy installation store with every token encrypted at rest."""

    def __init__(self, client_id: str, engine: Engine, key: str):
        super().__init__(client_id=client_id, engine=engine, logger=log)
        self._fernet = fernet(key)

    def _encrypt(self, item: Any) -> Any:
        """A copy with plain tokens encrypted (the base class's `save` calls
        `save_bot` with the already encrypted copy: those stay as they are)."""
        item = copy.copy(item)
        for name in TOKEN_FIELDS:
            value = getattr(item, name, None)
            if value and not self._is_encrypted(value):
                setattr(item, name, self._fernet.encrypt(value.encode()).decode())
        return item

    def _is_encrypted(self, value: str) -> bool:
        try:
            self._fernet.decrypt(value.encode())
        except InvalidToken:
            return False
        return True

    def _decrypt(self, item: Any) -> Any:
        if item is None:
            return None
        for name in TOKEN_FIELDS:
            value = getattr(item, name, None)
            if value:
                try:
                    setattr(item, name, self._fernet.decrypt(value.encode()).decode())
                except InvalidToken:
                    log.error("a stored %s could not be decrypted (TOKEN_ENCRYPTION_KEY changed?)", name)
                    setattr(item, name, None)
        return item

    def save(self, installation: Installation) -> None:
        super().save(self._encrypt(installation))

    def save_bot(self, bot: Bot) -> None:
        super().save_bot(self._encrypt(bot))

    def find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                 is_enterprise_install: bool | None = False) -> Bot | None:
        return self._decrypt(super().find_bot(enterprise_id=enterprise_id, team_id=team_id,
                                              is_enterprise_install=is_enterprise_install))

    def find_installation(self, *, enterprise_id: str | None, team_id: str | None,
                          user_id: str | None = None,
                          is_enterprise_install: bool | None = False) -> Installation | None:
        return self._decrypt(super().find_installation(enterprise_id=enterprise_id, team_id=team_id,
                                                       user_id=user_id,
                                                       is_enterprise_install=is_enterprise_install))


def installation_store(settings: Settings, engine: Engine) -> EncryptedInstallationStore:
    return EncryptedInstallationStore(settings.slack_client_id, engine, settings.token_encryption_key)


def build_oauth_settings(settings: Settings, engine: Engine, store: EncryptedInstallationStore,
                         scopes: list[str] | None = None) -> OAuthSettings:
    """Bolt OAuth settings: install at /slack/install, redirect to /slack/oauth_redirect."""
    from bot.slack.notifier import NOTIFIER_SCOPES

    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=scopes or sorted({"commands", *NOTIFIER_SCOPES}),
        installation_store=store,
        state_store=SQLAlchemyOAuthStateStore(expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine,
                                              logger=log),
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
        install_page_rendering_enabled=True,
        success_url=None,
        failure_url=None,
        user_scopes=[],
        authorization_url=authorization_url(settings.slack_api_url),
    )


def authorization_url(api_url: str) -> str:
    """Slack's install page on the same host as the Web API (GovSlack has its own)."""
    return api_url.rstrip("/").removesuffix("/api") + "/oauth/v2/authorize"


def use_declared_scopes(oauth: OAuthSettings, scopes: set[str]) -> None:
    """Ask at install for exactly the scopes the registered listeners declared."""
    oauth.scopes = sorted(scopes)
    oauth.authorize_url_generator.scopes = oauth.scopes

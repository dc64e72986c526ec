"""Multi-workspace mode: install through OAuth, tokens stored encrypted, requests served per workspace."""

from __future__ import annotations

import re
from urllib.request import Request, urlopen

from cryptography.fernet import Fernet
from sqlalchemy import text

from tests.support.slackhttp import SlackApp, get, settings_for


def _get(url: str, cookie: str = "") -> tuple[int, str, str]:
    request = Request(url, headers={"Cookie": cookie} if cookie else {})
    with urlopen(request, timeout=10) as response:
        return response.status, response.read().decode(), response.headers.get("Set-Cookie", "")


def test_a_workspace_installs_and_its_token_is_stored_encrypted_and_used(fake, db_engine):
    key = Fernet.generate_key().decode()
    settings = settings_for(fake, slack_bot_token="", slack_client_id="111.222", slack_client_secret="shh",
                            token_encryption_key=key)
    with SlackApp.start(settings, db_engine, fake) as slack:
        status, page, cookie = _get(slack.url + "/slack/install")
        assert status == 200
        link = re.search(r'<a href="([^"]+)"', page).group(1).replace("&amp;", "&")
        assert link.startswith(fake.base_url + "/oauth/v2/authorize?")  # same host as SLACK_API_URL
        assert "scope=" in link and "commands" in link
        state = re.search(r"state=([^&]+)", link).group(1)
        status, done, _ = _get(f"{slack.url}/slack/oauth_redirect?code=the-code&state={state}",
                               cookie=cookie.split(";")[0])
        assert status == 200
        assert fake.last("oauth.v2.access").params["code"] == "the-code"
        with db_engine.connect() as conn:
            stored = conn.execute(text("SELECT bot_token, team_id FROM slack_bots")).one()
            installed = conn.execute(text("SELECT bot_token FROM slack_installations")).scalar()
        assert "xoxb-installed-token" not in installed
        assert stored.team_id == "T0TEST"
        assert "xoxb-installed-token" not in stored.bot_token
        assert Fernet(key.encode()).decrypt(stored.bot_token.encode()).decode() == "xoxb-installed-token"

        slack.event({"type": "app_home_opened", "user": "U0OWNER", "tab": "home", "event_ts": "1.0"})
        published = fake.wait_for("views.publish")[0]
        assert published.token == "xoxb-installed-token"


def test_a_redirect_with_a_forged_state_installs_nothing(fake, db_engine):
    settings = settings_for(fake, slack_bot_token="", slack_client_id="111.222", slack_client_secret="shh",
                            token_encryption_key=Fernet.generate_key().decode())
    with SlackApp.start(settings, db_engine, fake) as slack:
        response = get(f"{slack.url}/slack/oauth_redirect?code=the-code&state=forged")
        assert response.status >= 400
    assert fake.calls_to("oauth.v2.access") == []
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM slack_bots")).scalar() == 0

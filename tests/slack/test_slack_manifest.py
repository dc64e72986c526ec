"""The manifest is generated from what the code registers, so it cannot drift."""

from __future__ import annotations

import yaml

from bot.config import Settings
from bot.db import make_engine
from bot.slack.app import create_app
from bot.slack.manifest import build_manifest, combined, declared, registered


def _app():
    settings = Settings(slack_bot_token="xoxb-x", slack_signing_secret="s", slack_api_url="http://127.0.0.1:9/api/")
    return create_app(settings, make_engine("sqlite://"), verify_token=False)


def test_http_manifest_points_commands_events_and_interactivity_at_the_events_url():
    data = yaml.safe_load(build_manifest(socket=False, url="https://pm.example.com"))
    url = "https://pm.example.com/slack/events"
    assert data["features"]["slash_commands"][0]["command"] == "/project"
    assert data["features"]["slash_commands"][0]["url"] == url
    assert data["settings"]["event_subscriptions"]["request_url"] == url
    assert data["settings"]["interactivity"] == {"is_enabled": True, "request_url": url}
    assert data["settings"]["socket_mode_enabled"] is False
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert {(s["callback_id"], s["type"]) for s in data["features"]["shortcuts"]} == {
        ("new_project_shortcut", "global"), ("task_from_message", "message")}


def test_socket_manifest_has_no_urls():
    text = build_manifest(socket=True, url=None)
    assert "https://" not in text
    assert yaml.safe_load(text)["settings"]["socket_mode_enabled"] is True


def test_manifest_lists_exactly_what_the_app_registers():
    app = _app()
    record = combined(app)
    data = yaml.safe_load(build_manifest(socket=True, url=None))
    assert data["settings"]["event_subscriptions"]["bot_events"] == sorted(record.events)
    assert data["oauth_config"]["scopes"]["bot"] == sorted(record.scopes)
    assert [c["command"] for c in data["features"]["slash_commands"]] == sorted(record.commands)
    # and what Bolt actually listens to matches: every declared event has a listener
    registered = " ".join(repr(listener.ack_function) for listener in app._listeners)
    assert "handle_app_home_opened" in registered and "handle_project_command" in registered
    assert {"commands", "chat:write", "im:write", "users:read", "files:write"} <= record.scopes


def test_a_listener_registered_with_plain_bolt_calls_still_reaches_the_manifest():
    app = _app()
    app.event("app_mention")(lambda: None)
    app.command("/standup")(lambda: None)
    record = combined(app)
    assert {"app_mention", "app_home_opened"} <= record.events
    assert "app_mentions:read" in record.scopes
    assert {"/project", "/standup"} <= set(record.commands)
    bolt = registered(_app())  # Bolt's own view agrees with what the helpers declared
    assert bolt.events == declared(_app()).events and set(bolt.commands) == {"/project"} and bolt.interactivity


def test_the_cli_prints_it_and_refuses_ambiguous_options():
    from click.testing import CliRunner

    from bot.__main__ import cli

    ok = CliRunner().invoke(cli, ["manifest", "--url", "https://pm.example.com", "--oauth"])
    assert ok.exit_code == 0, ok.output
    data = yaml.safe_load(ok.stdout)
    assert data["oauth_config"]["redirect_urls"] == ["https://pm.example.com/slack/oauth_redirect"]
    assert {"app_uninstalled", "tokens_revoked"} <= set(data["settings"]["event_subscriptions"]["bot_events"])
    assert ok.stderr == ""
    for args in (["manifest"], ["manifest", "--socket", "--url", "https://x.example"]):
        bad = CliRunner().invoke(cli, args)
        assert bad.exit_code == 2 and "--socket" in bad.stderr
    plain = CliRunner().invoke(cli, ["manifest", "--url", "http://insecure.example"])
    assert plain.exit_code == 2 and "https://" in plain.stderr

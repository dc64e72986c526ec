"""The Slack app manifest, generated from what the code registers.

Listener modules register through `slash_command()`, `subscribe()` and
`interactive()`, and code that calls the Web API declares its scopes with
`needs_scopes()`; each records what it registers on the app. `build_manifest()`
builds a throwaway app and reads those records back, together with what Bolt
has listeners for (`registered()`), so the manifest cannot drift from the code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import yaml
from slack_bolt import App

APP_NAME = "Project Manager"
DESCRIPTION = "Your IT project manager: status, tasks, standups, risks and alerts in Slack."


@dataclass
class Declared:
    """What an app's listeners handle and which OAuth scopes its calls need."""

    commands: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (description, hint)
    events: set[str] = field(default_factory=set)
    scopes: set[str] = field(default_factory=set)
    interactivity: bool = False
    shortcuts: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # id -> (type, name, description)


def declared(app: App) -> Declared:
    found = getattr(app, "pm_declared", None)
    if found is None:
        found = Declared()
        app.pm_declared = found  # type: ignore[attr-defined]
    return found


def slash_command(app: App, name: str, *, description: str, usage_hint: str = "") -> Callable:
    """`app.command(name)` that also lists the command in the manifest."""
    record = declared(app)
    record.commands[name] = (description, usage_hint)
    record.scopes.add("commands")
    return app.command(name)


def subscribe(app: App, event: str, *scopes: str) -> Callable:
    """`app.event(event)` that also subscribes to it (and its scopes) in the manifest."""
    record = declared(app)
    record.events.add(event)
    record.scopes.update(scopes)
    return app.event(event)


def interactive(app: App) -> None:
    """Buttons or modals are used: the manifest enables interactivity."""
    declared(app).interactivity = True


def shortcut(app: App, callback_id: str, *, name: str, description: str, kind: str = "global") -> Callable:
    """`app.shortcut(callback_id)` that also lists it in the manifest (kind: global or message)."""
    record = declared(app)
    record.shortcuts[str(callback_id)] = (kind, name, description)
    record.interactivity = True
    record.scopes.add("commands")
    return app.shortcut(callback_id)


def needs_scopes(app: App, *scopes: str) -> None:
    declared(app).scopes.update(scopes)


EVENT_SCOPES = {"app_mention": "app_mentions:read", "member_joined_channel": "channels:read",
                "team_join": "users:read", "user_change": "users:read", "channel_archive": "channels:read"}


def registered(app: App) -> Declared:
    """What Bolt itself has listeners for (commands, events, interactivity), read
    from its listener matchers, so a listener registered with plain `app.event()`
    still reaches the manifest. Combined with `declared(app)` by `build_manifest`."""
    found = Declared()
    for listener in getattr(app, "_listeners", []):
        for matcher in listener.matchers:
            func = getattr(matcher, "func", None)
            if func is None or not func.__closure__:
                continue
            cells = dict(zip(func.__code__.co_freevars, (c.cell_contents for c in func.__closure__),
                             strict=False))
            kind = func.__qualname__.split(".", 1)[0]
            if kind == "command" and isinstance(cells.get("command"), str):
                found.commands.setdefault(cells["command"], ("", ""))
                found.scopes.add("commands")
            elif kind == "event":
                event = cells.get("event_type")
                name = event.get("type") if isinstance(event, dict) else event
                if isinstance(name, str):
                    found.events.add(name)
                    if name in EVENT_SCOPES:
                        found.scopes.add(EVENT_SCOPES[name])
            elif kind in ("action", "block_action", "view", "view_submission", "view_closed", "shortcut",
                          "global_shortcut", "message_shortcut"):
                found.interactivity = True
    return found


def combined(app: App) -> Declared:
    """Everything the code declares or registers."""
    mine, bolt = declared(app), registered(app)
    commands = {**{name: ("", "") for name in bolt.commands}, **mine.commands}
    return Declared(commands=commands, events=mine.events | bolt.events, scopes=mine.scopes | bolt.scopes,
                    interactivity=mine.interactivity or bolt.interactivity, shortcuts=dict(mine.shortcuts))


def manifest_dict(record: Declared, *, socket: bool, url: str | None, oauth: bool = False) -> dict:
    """The manifest as a dict; `url` is the public base URL in HTTP mode."""
    if not socket and not url:
        raise ValueError("give --socket or --url https://your-host")
    base = (url or "").rstrip("/")
    events_url = f"{base}/slack/events"
    commands = []
    for name, (description, hint) in sorted(record.commands.items()):
        command = {"command": name, "description": description or name, "should_escape": True}
        if hint:
            command["usage_hint"] = hint
        if not socket:
            command["url"] = events_url
        commands.append(command)
    settings: dict = {"org_deploy_enabled": False, "socket_mode_enabled": socket,
                      "token_rotation_enabled": False}
    if record.events:
        settings["event_subscriptions"] = {"bot_events": sorted(record.events)}
        if not socket:
            settings["event_subscriptions"]["request_url"] = events_url
    if record.interactivity:
        settings["interactivity"] = {"is_enabled": True}
        if not socket:
            settings["interactivity"]["request_url"] = events_url
    oauth_config: dict = {"scopes": {"bot": sorted(record.scopes)}}
    if oauth and base:
        oauth_config["redirect_urls"] = [f"{base}/slack/oauth_redirect"]
    return {
        "display_information": {"name": APP_NAME, "description": DESCRIPTION,
                                "background_color": "#2c3e50"},
        "features": {
            "app_home": {"home_tab_enabled": "app_home_opened" in record.events,
                         "messages_tab_enabled": True, "messages_tab_read_only_enabled": True},
            "bot_user": {"display_name": "pm", "always_online": True},
            "slash_commands": commands,
            "shortcuts": [{"name": name, "type": kind, "callback_id": callback_id, "description": description}
                          for callback_id, (kind, name, description) in sorted(record.shortcuts.items())],
        },
        "oauth_config": oauth_config,
        "settings": settings,
    }


def manifest_data(*, socket: bool, url: str | None, oauth: bool = False) -> dict:
    """The manifest for this code base as a dict (no Slack or database access needed)."""
    from bot.config import Settings
    from bot.db import make_engine
    from bot.slack.app import create_app

    settings = Settings(slack_bot_token="xoxb-manifest", slack_signing_secret="manifest",
                        slack_api_url="http://127.0.0.1:9/api/")
    if oauth:
        from cryptography.fernet import Fernet

        settings = replace(settings, slack_bot_token="", slack_client_id="manifest",
                           slack_client_secret="manifest", token_encryption_key=Fernet.generate_key().decode())
    app = create_app(settings, make_engine("sqlite://"), verify_token=False)
    return manifest_dict(combined(app), socket=socket, url=url, oauth=oauth)


def build_manifest(*, socket: bool, url: str | None, oauth: bool = False, fmt: str = "yaml") -> str:
    """The manifest as YAML (to paste at api.slack.com/apps) or JSON (the Slack CLI's `get-manifest`)."""
    data = manifest_data(socket=socket, url=url, oauth=oauth)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return "# Generated by `python -m bot manifest`; paste into api.slack.com/apps > Create New App.\n" + \
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def bot_scopes(*, oauth: bool = False) -> list[str]:
    """The bot token scopes the manifest asks for."""
    return list(manifest_data(socket=True, url=None, oauth=oauth)["oauth_config"]["scopes"]["bot"])

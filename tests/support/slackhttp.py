"""Drive the real Slack app over HTTP, exactly as Slack would, in tests.

`SlackApp.start(settings, engine, fake)` serves the production WSGI app
(`bot.slack.server.create_flask_app`) with a threaded werkzeug server on a
random local port; its Web API calls go to a `FakeSlack` (tests/support/fakeslack.py).
`SlackApp` then sends signed requests (v0 HMAC-SHA256 of `v0:{ts}:{body}`):

    with FakeSlack() as fake, SlackApp.start(settings_for(fake), engine, fake) as slack:
        assert slack.slash("task list website", user="U1", channel="C1").status == 200
        listing = slack.wait_reply()               # what the bot sent to the response_url
        slack.click(Intent.TASK_DONE, **press(listing, "Done #1"))
        slack.event({"type": "app_home_opened", "user": "U1", "tab": "home"}, retry_num=1)
        fake.wait_for("views.publish")
        wait_for_outbox(engine)                    # everything queued has been delivered

When the HTTP answer comes depends on the request (the app runs Bolt with
`process_before_response=True`, which answers only when the listener returns):
- buttons and shortcuts are answered at once and do their work afterwards
  (`bot.slack.acknowledge.ack_first`), so wait for their effects (`wait_reply`,
  `fake.wait_for`, `wait_for_outbox`) before asserting on them;
- a slash command carries its reply in the answer when it is ready within
  2 s, else answers empty and replies on the response_url; a modal it asks
  for opens after the answer;
- modal submissions and events do their database work before the answer
  (a submission's field errors travel in it); messages they cause go through
  the outbox, after it.
Other test modules import `SlackApp`, `settings_for`, `sign`, `press`,
`wait_for_outbox`; tests/slack/conftest.py has the `fake` and `slack` fixtures.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from sqlalchemy.engine import Engine
from werkzeug.serving import make_server

from bot.config import Settings
from bot.domain.replies import Intent
from bot.slack.ids import action_id
from tests.support.fakeslack import FakeSlack
from tests.support.helpers import TEAM

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


def settings_for(fake: FakeSlack, **overrides: Any) -> Settings:
    """Settings for an HTTP-mode app whose Web API is the fake."""
    values: dict[str, Any] = dict(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                                  slack_api_url=fake.api_url)
    values.update(overrides)
    return Settings(**values)


def sign(body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with `body`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class HTTPResult:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@contextmanager
def serve_wsgi(wsgi_app: Callable) -> Iterator[str]:
    """Serve a WSGI app on 127.0.0.1:<random> in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-app",
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def post(url: str, body: bytes, headers: dict[str, str], timeout: float = 10) -> HTTPResult:
    request = Request(url, data=body, headers=headers, method="POST")
    try:
        with urlopen(request, timeout=timeout) as response:
            return HTTPResult(response.status, response.read(), dict(response.headers))
    except HTTPError as exc:
        return HTTPResult(exc.code, exc.read(), dict(exc.headers))


def get(url: str, timeout: float = 10) -> HTTPResult:
    try:
        with urlopen(url, timeout=timeout) as response:
            return HTTPResult(response.status, response.read(), dict(response.headers))
    except HTTPError as exc:
        return HTTPResult(exc.code, exc.read(), dict(exc.headers))


class SlackApp:
    """A running app plus a Slack-shaped client for it."""

    def __init__(self, url: str, fake: FakeSlack, *, team_id: str = TEAM, secret: str = SIGNING_SECRET):
        self.url, self.fake, self.team_id, self.secret = url, fake, team_id, secret
        self._n = 0

    @classmethod
    @contextmanager
    def start(cls, settings: Settings, engine: Engine, fake: FakeSlack, *,
              clock: Callable[[], datetime] | None = None, team_id: str = TEAM) -> Iterator[SlackApp]:
        """Build the production Flask app and serve it locally."""
        from bot.slack.server import create_flask_app

        kwargs = {"clock": clock} if clock else {}
        flask = create_flask_app(settings, engine, **kwargs)
        try:
            with serve_wsgi(flask) as url:
                yield cls(url, fake, team_id=team_id, secret=settings.slack_signing_secret)
        finally:  # no delivery thread or click's follow-up may outlive the test and touch the next one's rows
            flask.config["bolt_app"].pm_services.followups.shutdown(wait=True)
            flask.config["bolt_app"].pm_pump.close()

    @property
    def events_url(self) -> str:
        return self.url + "/slack/events"

    def _next(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n:06d}"

    # --- raw sending ---------------------------------------------------------------

    def send(self, body: bytes, content_type: str, *, headers: dict[str, str] | None = None,
             signed: bool = True, timestamp: int | None = None) -> HTTPResult:
        all_headers = {"Content-Type": content_type}
        if signed:
            all_headers.update(sign(body, secret=self.secret, timestamp=timestamp))
        all_headers.update(headers or {})
        return post(self.events_url, body, all_headers)

    def send_form(self, fields: dict[str, str], **kwargs: Any) -> HTTPResult:
        return self.send(urlencode(fields).encode(), "application/x-www-form-urlencoded", **kwargs)

    def send_payload(self, payload: dict, **kwargs: Any) -> HTTPResult:
        """An interactivity request: form field `payload=` holding JSON."""
        return self.send_form({"payload": json.dumps(payload)}, **kwargs)

    # --- Slack-shaped requests --------------------------------------------------------

    def slash(self, text: str, *, user: str = "U0OWNER", channel: str = "C0PROJ",
              team: str | None = None, command: str = "/project", **kwargs: Any) -> HTTPResult:
        """`/project <text>` as Slack posts it; its response_url points at the fake."""
        self.last_slash = self.slash_body(text, user=user, channel=channel, team=team, command=command)
        return self.send_slash(self.last_slash, **kwargs)

    def slash_body(self, text: str, *, user: str = "U0OWNER", channel: str = "C0PROJ",
                   team: str | None = None, command: str = "/project") -> dict[str, str]:
        """The form fields of a slash command, with a new trigger id and response_url."""
        self.last_trigger_id = self._next("trigger.")
        self.last_response_url = self.fake.response_url(self._next("slash"))
        return {"token": "legacy-verification-token", "team_id": team or self.team_id,
                "team_domain": "fake", "channel_id": channel, "channel_name": channel.lower(),
                "user_id": user, "user_name": user.lower(), "command": command, "text": text,
                "api_app_id": "A0APP", "is_enterprise_install": "false",
                "response_url": self.last_response_url, "trigger_id": self.last_trigger_id}

    def redeliver_slash(self, *, retry_num: int = 1, **kwargs: Any) -> HTTPResult:
        """The last slash command's body again, byte for byte, as a retry."""
        return self.send_slash(self.last_slash, retry_num=retry_num, **kwargs)

    def send_slash(self, fields: dict[str, str], *, retry_num: int | None = None,
                   **kwargs: Any) -> HTTPResult:
        """Post a slash command body (freshly signed; `retry_num` adds Slack's retry
        headers) and keep an answer given in the acknowledgement."""
        if retry_num is not None:
            kwargs["headers"] = {**kwargs.get("headers", {}), "X-Slack-Retry-Num": str(retry_num),
                                 "X-Slack-Retry-Reason": "http_timeout"}
        result = self.send_form(fields, **kwargs)
        if result.status == 200 and result.body.strip():
            body = result.json()
            if isinstance(body, dict) and ("text" in body or "blocks" in body):
                self.fake.record_response("/ack/" + fields["response_url"].rsplit("/", 1)[-1], body)
        return result

    def action(self, payload: dict, **kwargs: Any) -> HTTPResult:
        return self.send_payload(payload, **kwargs)

    def click(self, intent: Intent | str, value: str = "", *, user: str = "U0OWNER",
              channel: str = "C0PROJ", message_ts: str | None = None, ephemeral: bool = True,
              view: dict | None = None, index: int = 0, action: str | None = None,
              block_id: str = "b1", **kwargs: Any) -> HTTPResult:
        """A button click (block_actions) on a message, or on a view when `view` is given.
        Pass `press(message, label)` results as keyword arguments to click a button the
        app rendered (its action id, block id and value)."""
        return self.send_payload(self.click_payload(intent, value, user=user, channel=channel,
                                                    message_ts=message_ts, ephemeral=ephemeral, view=view,
                                                    index=index, action=action, block_id=block_id), **kwargs)

    def click_payload(self, intent: Intent | str, value: str = "", *, user: str = "U0OWNER",
                      channel: str = "C0PROJ", message_ts: str | None = None, ephemeral: bool = True,
                      view: dict | None = None, index: int = 0, action: str | None = None,
                      block_id: str = "b1") -> dict:
        """The block_actions payload `click()` sends (Socket Mode tests send it over the websocket)."""
        self.last_response_url = self.fake.response_url(self._next("click"))
        self.last_trigger_id = self._next("trigger.")
        element = {"type": "button", "action_id": action or action_id(intent, index), "block_id": block_id,
                   "value": value, "action_ts": f"{time.time():.6f}"}
        payload: dict[str, Any] = {
            "type": "block_actions", "team": {"id": self.team_id, "domain": "fake"},
            "user": {"id": user, "username": user.lower(), "team_id": self.team_id},
            "api_app_id": "A0APP", "token": "legacy", "trigger_id": self.last_trigger_id,
            "actions": [element],
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id", "V0HOME")}
            payload["view"] = {"type": "home", "id": "V0HOME", **view}
        else:
            ts = message_ts or "1700000000.000001"
            payload["container"] = {"type": "message", "message_ts": ts, "channel_id": channel,
                                    "is_ephemeral": ephemeral}
            payload["channel"] = {"id": channel, "name": channel.lower()}
            payload["response_url"] = self.last_response_url
            if not ephemeral:
                payload["message"] = {"ts": ts, "type": "message", "text": ""}
        return payload

    def shortcut(self, callback_id: str, *, user: str = "U0OWNER", channel: str = "C0PROJ",
                 message_text: str | None = None, **kwargs: Any) -> HTTPResult:
        """A global shortcut, or a message shortcut when `message_text` is given."""
        return self.send_payload(self.shortcut_payload(callback_id, user=user, channel=channel,
                                                       message_text=message_text), **kwargs)

    def shortcut_payload(self, callback_id: str, *, user: str = "U0OWNER", channel: str = "C0PROJ",
                         message_text: str | None = None) -> dict:
        """The payload `shortcut()` sends."""
        self.last_trigger_id = self._next("trigger.")
        payload: dict[str, Any] = {
            "type": "shortcut", "callback_id": callback_id, "trigger_id": self.last_trigger_id,
            "team": {"id": self.team_id, "domain": "fake"}, "token": "legacy", "action_ts": f"{time.time():.6f}",
            "user": {"id": user, "username": user.lower(), "team_id": self.team_id}}
        if message_text is not None:
            self.last_response_url = self.fake.response_url(self._next("shortcut"))
            payload.update(type="message_action", channel={"id": channel, "name": channel.lower()},
                           message={"type": "message", "text": message_text, "ts": "1700000000.000900",
                                    "user": "U0ASKER"},
                           message_ts="1700000000.000900", response_url=self.last_response_url)
        return payload

    def view_submission(self, payload: dict, **kwargs: Any) -> HTTPResult:
        return self.send_payload(payload, **kwargs)

    def submit(self, view: dict, values: dict[str, dict], *, user: str = "U0OWNER",
               view_id: str | None = None, **kwargs: Any) -> HTTPResult:
        """Submit a modal the app opened (`view` as sent to views.open) with `values`:
        {block_id: {"value": "..."} | {"selected_date": ...} | {"selected_user": ...}}."""
        state = {block: {"value": {"type": "input", **element}} for block, element in values.items()}
        payload = {
            "type": "view_submission", "team": {"id": self.team_id, "domain": "fake"},
            "user": {"id": user, "username": user.lower(), "team_id": self.team_id},
            "api_app_id": "A0APP", "token": "legacy", "trigger_id": self._next("trigger."),
            "view": {**view, "id": view_id or view.get("id") or "V0MODAL", "team_id": self.team_id,
                     "type": "modal", "state": {"values": state}, "hash": "1.hash"},
        }
        return self.view_submission(payload, **kwargs)

    def event(self, event: dict, *, retry_num: int | None = None, event_id: str | None = None,
              **kwargs: Any) -> HTTPResult:
        """An Events API delivery (JSON); `retry_num` adds Slack's retry headers."""
        body = {"token": "legacy", "team_id": self.team_id, "api_app_id": "A0APP", "type": "event_callback",
                "event_id": event_id or self._next("Ev"), "event_time": int(time.time()),
                "event": event, "authorizations": [{"team_id": self.team_id, "user_id": "U0BOT",
                                                    "is_bot": True, "enterprise_id": None}]}
        headers = dict(kwargs.pop("headers", {}) or {})
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
        return self.send(json.dumps(body).encode(), "application/json", headers=headers, **kwargs)

    # --- what came back -------------------------------------------------------------

    def wait_reply(self, count: int = 1, timeout: float = 20.0) -> dict:
        """The `count`-th message the app sent to any response_url (bodies are JSON);
        fails if Slack would have refused it (Block Kit limits)."""
        response = self.fake.wait_for("response", count, timeout)[count - 1]
        assert not response.errors, f"Slack would refuse this reply: {response.errors}"
        return response.body


def press(message: dict, label: str) -> dict:
    """The `click()` keyword arguments for the button labelled `label` in a rendered
    message: `slack.click(Intent.TASK_DONE, **press(reply, "Done #1"))`."""
    for block in message.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element["text"]["text"] == label:
                return {"value": element.get("value", ""), "action": element["action_id"],
                        "block_id": block.get("block_id") or "b1"}
    raise AssertionError(f"no button {label!r} in the message")


def wait_for_outbox(engine: Engine, timeout: float = 20.0) -> list:
    """Wait until the web process delivered every outbox row (none pending or sending);
    returns all rows."""
    from sqlmodel import Session, select

    from bot.models import OutboxMessage

    deadline = time.monotonic() + timeout
    while True:
        with Session(engine) as session:
            rows = list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))
        busy = [r for r in rows if r.state in ("pending", "sending")]
        if not busy:
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"outbox not drained after {timeout}s: "
                                 f"{[(r.idempotency_key, r.state, r.last_error) for r in busy]}")
        time.sleep(0.02)

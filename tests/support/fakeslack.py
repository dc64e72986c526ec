"""A local fake of the Slack Web API for tests: a real HTTP server on 127.0.0.1.

Point any `WebClient(base_url=fake.api_url)` (or the app's `SLACK_API_URL`) at
it. It records every call (`fake.calls`), answers like Slack (`ok`, increasing
`ts`, `channel`, D-channels from `conversations.open` (and for a message
posted to a user id), users with a `tz`,
views with ids, the three-step `files_upload_v2` flow), and misbehaves on
demand:

    fake.fail_next("chat.postMessage", error="channel_not_found")
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    fake.fail_next("views.publish", status=500)
    fake.fail_next("chat.update", drop=True)          # connection closed, no answer
    fake.fail_next("chat.postMessage", lose_answer=True)  # posted, then the connection closed
    fake.rate_limit(per_channel_per_second=1, per_minute=50)
    fake.slow("views.open", 4.0)                      # answers, but only after 4 s
    fake.limit_history(per_minute=1, messages=15)     # conversations.history/replies since May 2025

Tokens, scopes and channels are modelled only when a test asks (otherwise any
token works, every scope is there, every channel is public with the bot in it):

    fake.accept_only("xoxb-right", "xapp-right")     # others: invalid_auth
    fake.grant("chat:write", "channels:read")        # the bot token's scopes (x-oauth-scopes)
    fake.add_channel("C1", "website", private=True, members={"U0BOT"}, archived=False)

It also serves `response_url`s (`fake.response_url()`), recording what the
app sends there in `fake.responses`. Like Slack it refuses messages and views
over Block Kit's limits (`invalid_blocks` / `invalid_arguments`), so an
end-to-end test catches a renderer that overflows.

    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.api_url)
        client.chat_postMessage(channel="C1", text="hi")
        assert fake.last("chat.postMessage").params["text"] == "hi"
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

JSON_KEYS = {"blocks", "attachments", "view", "files", "metadata", "user_auth_blocks"}
RATE_LIMITED_METHODS = ("chat.postMessage", "chat.postEphemeral")


@dataclass
class Call:
    """One request the fake received: the API method and its parsed parameters."""

    method: str
    params: dict[str, Any]
    token: str = ""
    status: int = 200
    error: str | None = None
    at: float = field(default_factory=time.monotonic)
    posted_to: str = ""  # the channel as sent, when a user id stood for the bot's DM with them

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None

    def text(self) -> str:
        """Everything readable in the call (text, blocks, view) as one string."""
        return json.dumps(self.params, ensure_ascii=False)


@dataclass
class Failure:
    error: str | None = None
    status: int = 200
    retry_after: int | None = None
    drop: bool = False
    lose_answer: bool = False  # carry the call out, then drop the connection before answering


@dataclass
class Response:
    """A POST the app made to a `response_url`."""

    path: str
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    errors: list[str] = field(default_factory=list)  # Block Kit limits broken (Slack answers 400)


class FakeSlack:
    """The fake Web API server; a context manager (`start()`/`stop()` also work)."""

    def __init__(self, team_id: str = "T0TEST", bot_user_id: str = "U0BOT"):
        self.team_id, self.bot_user_id = team_id, bot_user_id
        self.calls: list[Call] = []
        self.responses: list[Response] = []
        self.uploads: dict[str, bytes] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.history: dict[str, list[dict[str, Any]]] = defaultdict(list)  # channel -> messages
        self.handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}
        self.tokens: set[str] | None = None  # None: any token authenticates
        self.scopes: set[str] | None = None  # None: scopes are not modelled
        self.channels: dict[str, dict[str, Any]] = {}  # registered channels; others are lenient
        self._failures: dict[str, deque[Failure]] = defaultdict(deque)
        self._delays: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Condition()
        self._counter = itertools.count(1)
        self._ts_lock = threading.Lock()
        self._last_ts = 0.0
        self._per_channel: float | None = None
        self._per_minute: int | None = None
        self._history_per_minute: int | None = None
        self._history_messages: int | None = None
        self._history_calls: dict[str, deque[float]] = defaultdict(deque)
        self._last_by_channel: dict[str, float] = {}
        self._window: deque[float] = deque()
        self.clock: Callable[[], float] = time.monotonic
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------

    def start(self) -> FakeSlack:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fakeslack", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server, "FakeSlack is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """The Web API base URL (ends in /api/), for WebClient(base_url=...)."""
        return self.base_url + "/api/"

    def response_url(self, name: str | None = None) -> str:
        """A fresh response_url whose POSTs land in `self.responses`."""
        return f"{self.base_url}/response/{name or next(self._counter)}"

    def record_response(self, path: str, body: dict[str, Any]) -> list[str]:
        """Keep a reply the app gave: POSTed to a response_url, or (path `/ack/...`)
        carried in the acknowledgement itself, which Slack shows the same way.
        Returns the Block Kit errors Slack would refuse it for."""
        errors = block_errors(body.get("blocks") or [], MESSAGE_BLOCKS)
        with self._lock:
            self.responses.append(Response(path, body, errors=errors))
            self._lock.notify_all()
        return errors

    # --- behaviour ---------------------------------------------------------------

    def fail_next(self, method: str, *, error: str | None = None, status: int = 200,
                  retry_after: int | None = None, drop: bool = False, lose_answer: bool = False,
                  times: int = 1) -> None:
        """Make the next `times` calls to `method` fail: a Slack error (`ok: false`),
        an HTTP status (429 with Retry-After, 500...), a dropped connection (`drop`:
        nothing done), or a lost answer (`lose_answer`: done, e.g. posted, but the
        connection drops before the answer)."""
        if error is None and status == 200 and not drop and not lose_answer:
            raise ValueError("say how to fail: error=, status=, drop=True or lose_answer=True")
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            for _ in range(times):
                self._failures[method].append(Failure(error, status, retry_after, drop, lose_answer))

    def slow(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Make the next `times` calls to `method` answer only after `seconds` (a
        slow network or a busy Slack); the answer itself is unchanged."""
        with self._lock:
            self._delays[method].extend([seconds] * times)

    def rate_limit(self, *, per_channel_per_second: float | None = 1.0,
                   per_minute: int | None = None) -> None:
        """Enforce Slack-like posting limits on chat.postMessage/postEphemeral:
        at most `per_channel_per_second` messages per channel per second and
        `per_minute` in the workspace; over the limit answer 429 + Retry-After."""
        with self._lock:
            self._per_channel, self._per_minute = per_channel_per_second, per_minute

    def on(self, method: str, handler: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        """Answer `method` with `handler(params)` (merged over {"ok": True})."""
        self.handlers[method] = handler

    def limit_history(self, *, per_minute: int | None = 1, messages: int | None = 15) -> None:
        """Slack's limits since 29 May 2025 for commercially distributed apps outside
        the Marketplace: conversations.history and conversations.replies each
        answer `per_minute` calls a minute (then 429 + Retry-After) and at most
        `messages` messages a call (`has_more` says there were more)."""
        with self._lock:
            self._history_per_minute, self._history_messages = per_minute, messages

    def _read(self, method: str, channel: str, p: dict[str, Any]) -> dict[str, Any]:
        """conversations.history / .replies as Slack documents them: only where the bot
        is a member (a public channel: `not_in_channel`; a private one is invisible:
        `channel_not_found`); history holds parent messages (and replies sent with
        `reply_broadcast`), newest first; replies the thread's parent then its replies,
        oldest first; `oldest`/`latest` bound the ts (exclusive unless `inclusive`)."""
        registered = self.channels.get(channel)
        if registered is not None and self.bot_user_id not in registered["members"]:
            return {"ok": False, "error": "channel_not_found" if registered["is_private"] else "not_in_channel"}
        stored = self.history.get(channel, [])
        inclusive = str(p.get("inclusive", "")).lower() in ("1", "true")

        def inside(m: dict) -> bool:
            ts = float(m["ts"])
            low = float(p["oldest"]) if p.get("oldest") else None
            high = float(p["latest"]) if p.get("latest") else None
            if low is not None and (ts < low or (ts == low and not inclusive)):
                return False
            return high is None or ts < high or (ts == high and inclusive)

        if method == "conversations.replies":
            parent = next((m for m in stored if m["ts"] == p.get("ts") and not _is_reply(m)), None)
            if parent is None:
                return {"ok": False, "error": "thread_not_found"}
            messages = [parent] + [m for m in stored if m.get("thread_ts") == parent["ts"] and _is_reply(m)
                                   and inside(m)]
        else:
            messages = [m for m in reversed(stored) if (not _is_reply(m) or m.get("reply_broadcast")) and inside(m)]
        limit = int(p.get("limit") or 100)
        if self._history_messages is not None:
            limit = min(limit, self._history_messages)
        return {"ok": True, "messages": messages[:limit], "has_more": len(messages) > limit}

    def add_user(self, user_id: str, *, name: str | None = None, tz: str = "UTC",
                 is_bot: bool = False, deleted: bool = False) -> None:
        self.users[user_id] = {"id": user_id, "team_id": self.team_id, "name": name or user_id.lower(),
                               "real_name": name or user_id, "tz": tz, "is_bot": is_bot,
                               "deleted": deleted, "profile": {"real_name": name or user_id,
                                                               "display_name": name or user_id}}

    def accept_only(self, *tokens: str) -> None:
        """Only these tokens authenticate. Slack's rule: a token it does not know gets
        `invalid_auth`, a call without one `not_authed` (Web API common errors)."""
        self.tokens = set(tokens)

    def grant(self, *scopes: str) -> None:
        """The bot token has exactly these scopes. Slack's rule: every Web API response
        to a token call carries `x-oauth-scopes` (the token's scopes, comma-separated;
        Bolt reads them from auth.test) and `x-accepted-oauth-scopes` (what the method
        accepts); a call lacking all of those gets `missing_scope` with `needed` and
        `provided` (Slack's scopes documentation)."""
        self.scopes = set(scopes)

    def add_channel(self, channel_id: str, name: str, *, private: bool = False, members: set[str] | None = None,
                    archived: bool = False) -> None:
        """A channel that behaves as Slack's rules say (conversations.info, chat.postMessage):
        a private channel is invisible to a bot that is not in it (`channel_not_found`);
        a public one takes posts from a non-member only with `chat:write.public`
        (else `not_in_channel`); an archived one takes none (`is_archived`)."""
        self.channels[channel_id] = {"id": channel_id, "name": name, "is_private": private,
                                     "is_archived": archived, "members": set(members or ())}

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.responses.clear()
            self._failures.clear()
            self._delays.clear()

    # --- reading what happened ------------------------------------------------------

    def calls_to(self, method: str, *, ok_only: bool = True) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and (c.ok or not ok_only)]

    def last(self, method: str) -> Call:
        found = self.calls_to(method)
        assert found, f"no successful {method} call; calls were {[c.method for c in self.calls]}"
        return found[-1]

    def messages(self, channel: str | None = None) -> list[Call]:
        """Successful chat.postMessage calls, optionally to one channel."""
        return [c for c in self.calls_to("chat.postMessage")
                if channel is None or c.params.get("channel") == channel]

    def wait_for(self, method: str, count: int = 1, timeout: float = 20.0) -> list[Call]:
        """Block until `count` successful calls to `method` (or `response_url` POSTs
        when method is "response") arrived; fail the test after `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = (list(self.responses) if method == "response"
                         else [c for c in self.calls if c.method == method and c.ok])
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.calls] + ["response"] * len(self.responses)
                    raise AssertionError(f"waited {timeout}s for {count} x {method}; saw {seen}")
                self._lock.wait(left)

    # --- answering -----------------------------------------------------------------

    def _next_ts(self) -> str:
        """A message ts as Slack makes them: the Unix time of posting, to the
        microsecond, unique in the fake."""
        with self._ts_lock:
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            return f"{self._last_ts:.6f}"

    def _rate_limited(self, method: str, params: dict[str, Any]) -> int | None:
        """Seconds to wait if this call is over a configured limit, else None (and count it)."""
        now = self.clock()
        if method in ("conversations.history", "conversations.replies") and self._history_per_minute:
            calls = self._history_calls[method]
            while calls and now - calls[0] >= 60:
                calls.popleft()
            if len(calls) >= self._history_per_minute:
                return max(1, int(60 - (now - calls[0]) + 0.999))
            calls.append(now)
            return None
        if method not in RATE_LIMITED_METHODS:
            return None
        channel = str(params.get("channel", ""))
        if self._per_channel:
            last = self._last_by_channel.get(channel)
            gap = 1.0 / self._per_channel
            if last is not None and now - last < gap:
                return max(1, int(gap - (now - last) + 0.999))
        if self._per_minute:
            while self._window and now - self._window[0] >= 60:
                self._window.popleft()
            if len(self._window) >= self._per_minute:
                return max(1, int(60 - (now - self._window[0]) + 0.999))
            self._window.append(now)
        self._last_by_channel[channel] = now
        return None

    def handle(self, method: str, params: dict[str, Any], token: str) -> tuple[int, dict, dict]:
        """(status, headers, body) for one API call; records it."""
        refused = self._refuse(method, params, token)
        if refused is not None:
            with self._lock:
                self.calls.append(Call(method, params, token, 200, refused["error"]))
                self._lock.notify_all()
            return 200, self._scope_headers(method, params, token), refused
        with self._lock:
            delay = self._delays[method].popleft() if self._delays.get(method) else 0.0
        if delay:
            time.sleep(delay)
        posted_to = str(params.get("channel") or "")
        if method in POSTING_METHODS and posted_to[:1] in ("U", "W"):
            params = {**params, "channel": im_channel(posted_to)}  # Slack posts to the bot's DM with them
        else:
            posted_to = ""
        with self._lock:
            failure = self._failures[method].popleft() if self._failures.get(method) else None
            retry = None if failure else self._rate_limited(method, params)
            if failure is not None and failure.lose_answer:
                self._answer(method, params)  # done, as Slack did it ...
                self.calls.append(Call(method, params, token, 200, "answer lost", posted_to=posted_to))
                self._lock.notify_all()
                return -1, {}, {}
            if failure is not None:
                call = Call(method, params, token, failure.status, failure.error or
                            ("dropped" if failure.drop else None), posted_to=posted_to)
                self.calls.append(call)
                self._lock.notify_all()
                if failure.drop:
                    return -1, {}, {}
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
                if failure.status != 200:
                    return failure.status, headers, {"ok": False, "error": failure.error or
                                                     ("ratelimited" if failure.status == 429 else "fatal_error")}
                return 200, headers, {"ok": False, "error": failure.error}
            if retry is not None:
                self.calls.append(Call(method, params, token, 429, "ratelimited", posted_to=posted_to))
                self._lock.notify_all()
                return 429, {"Retry-After": str(retry)}, {"ok": False, "error": "ratelimited"}
            body = self._answer(method, params)
            self.calls.append(Call(method, params, token, 200, None if body.get("ok") else body.get("error"),
                                  posted_to=posted_to))
            self._lock.notify_all()
            return 200, self._scope_headers(method, params, token), body

    def _refuse(self, method: str, params: dict[str, Any], token: str) -> dict | None:
        """Slack's authentication and scope answers, when the test models them."""
        if method == "apps.connections.open":  # it needs an app-level token (apps.connections.open docs)
            if not token:
                return {"ok": False, "error": "not_authed"}
            if not token.startswith("xapp-"):
                return {"ok": False, "error": "not_allowed_token_type"}
        if self.tokens is not None and method not in ("oauth.v2.access",):
            if not token:
                return {"ok": False, "error": "not_authed"}
            if token not in self.tokens:
                return {"ok": False, "error": "invalid_auth"}
        accepted = self._accepted_scopes(method, params)
        if self.scopes is not None and token.startswith("xoxb-") and accepted and not self.scopes & set(accepted):
            return {"ok": False, "error": "missing_scope", "needed": accepted[0],
                    "provided": ",".join(sorted(self.scopes))}
        return None

    def _accepted_scopes(self, method: str, params: dict[str, Any]) -> tuple[str, ...]:
        """The bot scopes a method accepts (Slack's method reference), by conversation type."""
        channel = str(params.get("channel") or "")
        registered = self.channels.get(channel)
        kind = "im" if channel.startswith("D") else "groups" if (
            registered["is_private"] if registered else channel.startswith("G")) else "channels"
        if method == "conversations.info":
            return (f"{kind}:read",)
        if method in ("conversations.history", "conversations.replies"):
            return (f"{kind}:history",)
        return METHOD_SCOPES.get(method, ())

    def _scope_headers(self, method: str, params: dict[str, Any], token: str) -> dict[str, str]:
        if self.scopes is None or not token.startswith("xoxb-"):
            return {}
        return {"x-oauth-scopes": ",".join(sorted(self.scopes)),
                "x-accepted-oauth-scopes": ",".join(self._accepted_scopes(method, params))}

    def _channel_refuses_post(self, channel: str) -> str | None:
        registered = self.channels.get(channel)
        if registered is None:
            return None
        member = self.bot_user_id in registered["members"]
        if registered["is_private"] and not member:
            return "channel_not_found"
        if registered["is_archived"]:
            return "is_archived"
        if not member and self.scopes is not None and "chat:write.public" not in self.scopes:
            return "not_in_channel"
        return None

    def _answer(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        if method in self.handlers:
            return {"ok": True, **self.handlers[method](p)}
        channel = p.get("channel")
        if method == "auth.test":
            return {"ok": True, "url": "https://fake.slack.test/", "team": "Fake Team",
                    "team_id": self.team_id, "user": "pm-bot", "user_id": self.bot_user_id,
                    "bot_id": "B0BOT", "is_enterprise_install": False}
        if method in ("chat.postMessage", "chat.update", "chat.meMessage", "chat.postEphemeral"):
            if not channel:
                return {"ok": False, "error": "channel_not_found"}
            refused = self._channel_refuses_post(str(channel))
            if refused:
                return {"ok": False, "error": refused}
            if not (p.get("text") or p.get("blocks") or p.get("attachments")):
                return {"ok": False, "error": "no_text"}
            invalid = block_errors(p.get("blocks") or [], MESSAGE_BLOCKS)
            if invalid:
                return {"ok": False, "error": "invalid_blocks", "errors": invalid}
        if method in ("views.open", "views.push", "views.update", "views.publish"):
            invalid = block_errors((p.get("view") or {}).get("blocks") or [], SURFACE_BLOCKS)
            if invalid:
                return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": invalid}}
        if method in ("chat.postMessage", "chat.update", "chat.meMessage"):
            ts = p.get("ts") if method == "chat.update" else self._next_ts()
            message = {"type": "message", "text": p.get("text", ""), "ts": ts, "user": self.bot_user_id,
                       "bot_id": "B0BOT", "blocks": p.get("blocks", [])}
            if p.get("thread_ts"):
                message["thread_ts"] = p["thread_ts"]
                if str(p.get("reply_broadcast", "")).lower() in ("1", "true"):
                    message["reply_broadcast"] = True
            if p.get("metadata"):
                message["metadata"] = p["metadata"]
            if method == "chat.update":
                self.history[channel] = [message if m["ts"] == ts else m for m in self.history[channel]]
            else:
                self.history[channel].append(message)
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "chat.delete":
            return {"ok": True, "channel": channel, "ts": p.get("ts")}
        if method == "conversations.open":
            users = str(p.get("users", "U0NOBODY")).split(",")[0]
            return {"ok": True, "channel": {"id": im_channel(users), "is_im": True}}
        if method in ("conversations.history", "conversations.replies"):
            return self._read(method, str(channel or ""), p)
        if method == "conversations.info":
            registered = self.channels.get(str(channel))
            if registered is None:
                return {"ok": True, "channel": {"id": channel, "name": str(channel).lower(), "is_member": True}}
            member = self.bot_user_id in registered["members"]
            if registered["is_private"] and not member:
                return {"ok": False, "error": "channel_not_found"}
            return {"ok": True, "channel": {**{k: v for k, v in registered.items() if k != "members"},
                                            "is_channel": True, "is_member": member}}
        if method == "conversations.join":  # conversations.join's reference: public channels only
            registered = self.channels.get(str(channel))
            if registered is not None:
                if registered["is_private"]:
                    return {"ok": False, "error": "method_not_supported_for_channel_type"}
                if registered["is_archived"]:
                    return {"ok": False, "error": "is_archived"}
                registered["members"].add(self.bot_user_id)
            return {"ok": True, "channel": {"id": channel}}
        if method == "users.info":
            user = p.get("user", "")
            if user not in self.users:
                self.add_user(user)
            return {"ok": True, "user": self.users[user]}
        if method in ("views.open", "views.push", "views.update", "views.publish"):
            view = dict(p.get("view") or {})
            view_id = p.get("view_id") or f"V{next(self._counter):08d}"
            view.update(id=view_id, hash=f"{next(self._counter)}.hash", team_id=self.team_id)
            return {"ok": True, "view": view}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._counter):08d}"
            return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = p.get("files") or []
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", ""),
                                           "name": f.get("title", "")} for f in files]}
        if method == "files.info":
            return {"ok": True, "file": {"id": p.get("file"), "shares": {}}}
        if method == "reactions.add":
            return {"ok": True}
        if method == "team.info":
            return {"ok": True, "team": {"id": self.team_id, "name": "Fake Team"}}
        if method == "apps.connections.open":  # a URL that leads nowhere; FakeSocketMode serves a real one
            return {"ok": True, "url": f"ws://127.0.0.1:9/link/?ticket=fake-{next(self._counter)}"}
        if method == "oauth.v2.access":
            return {"ok": True, "app_id": "A0APP", "access_token": "xoxb-installed-token",
                    "token_type": "bot", "scope": "commands,chat:write", "bot_user_id": self.bot_user_id,
                    "team": {"id": self.team_id, "name": "Fake Team"}, "enterprise": None,
                    "is_enterprise_install": False,
                    "authed_user": {"id": "U0INSTALLER"}}
        return {"ok": False, "error": "unknown_method"}


MESSAGE_BLOCKS, SURFACE_BLOCKS = 50, 100
POSTING_METHODS = ("chat.postMessage", "chat.meMessage")
METHOD_SCOPES = {  # bot-token scopes each method accepts (Slack's method reference pages)
    "chat.postMessage": ("chat:write",), "chat.update": ("chat:write",), "chat.postEphemeral": ("chat:write",),
    "chat.delete": ("chat:write",), "chat.meMessage": ("chat:write",),
    "conversations.open": ("im:write", "mpim:write"), "users.info": ("users:read",),
    "conversations.join": ("channels:join",),
    "files.getUploadURLExternal": ("files:write",), "files.completeUploadExternal": ("files:write",),
    "files.info": ("files:read",), "reactions.add": ("reactions:write",), "team.info": ("team:read",),
}


def _is_reply(message: dict) -> bool:
    return bool(message.get("thread_ts")) and message.get("thread_ts") != message["ts"]


def im_channel(user_id: str) -> str:
    """The bot's DM channel with `user_id` (what conversations.open returns)."""
    return "D" + user_id.lstrip("UW")[:10]


def block_errors(blocks: list[dict], limit: int) -> list[str]:
    """What Slack would reject in `blocks` (the limits most often hit), as messages."""
    errors = [f"more than {limit} blocks ({len(blocks)})"] if len(blocks) > limit else []
    seen: set[str] = set()
    for n, block in enumerate(blocks):
        kind = block.get("type")
        # block_id: at most 255 characters, unique in a message or view (Block Kit reference, "block_id")
        block_id = block.get("block_id")
        if block_id is not None:
            if len(block_id) > 255 or block_id in seen:
                errors.append(f"block {n}: block_id {block_id[:40]!r} repeated or over 255 characters")
            seen.add(block_id)
        text = (block.get("text") or {}).get("text", "")
        if kind == "header" and len(text) > 150:
            errors.append(f"block {n}: header over 150 characters")
        if kind == "section":
            if len(text) > 3000:
                errors.append(f"block {n}: section text over 3000 characters")
            if len(block.get("fields") or []) > 10:
                errors.append(f"block {n}: more than 10 fields")
        if kind == "actions":
            elements = block.get("elements") or []
            if len(elements) > 25:
                errors.append(f"block {n}: more than 25 elements")
            errors += [f"block {n}: button text over 75 characters" for e in elements
                       if len((e.get("text") or {}).get("text", "")) > 75]
    return errors


def _parse(raw: bytes, content_type: str, query: str) -> dict[str, Any]:
    params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
    if raw and content_type.startswith("application/json"):
        params.update(json.loads(raw))
    elif raw and content_type.startswith("application/x-www-form-urlencoded"):
        params.update({k: v[-1] for k, v in parse_qs(raw.decode()).items()})
    for key in JSON_KEYS:
        if isinstance(params.get(key), str) and params[key][:1] in "[{":
            with contextlib.suppress(ValueError):
                params[key] = json.loads(params[key])
    return params


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # dropped connections are on purpose


class _Handler(BaseHTTPRequestHandler):
    owner: FakeSlack
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: dict | None, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body or {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _read(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self._dispatch(b"")

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        self._dispatch(self._read())

    def _dispatch(self, raw: bytes) -> None:
        url = urlparse(self.path)
        fake = self.owner
        if url.path.startswith("/response/"):
            body = json.loads(raw or b"{}")
            errors = fake.record_response(url.path, body)
            answer = b"invalid_blocks" if errors else b"ok"
            self.send_response(400 if errors else 200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            return
        if url.path.startswith("/upload/"):
            fake.uploads[url.path.rsplit("/", 1)[-1]] = raw
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")
            return
        if not url.path.startswith("/api/"):
            self._send(404, {"ok": False, "error": "not_found"})
            return
        method = url.path[len("/api/"):]
        params = _parse(raw, self.headers.get("Content-Type", ""), url.query)
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if not token and method != "apps.connections.open":  # it takes the token only in the header (its docs)
            token = str(params.get("token", ""))
        status, headers, body = fake.handle(method, params, token)
        if status == -1:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(status, body, headers)

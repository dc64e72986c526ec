"""Deliver outbox rows to Slack: `SlackNotifier` implements the outbox `Notifier`.

Every `WebClient` is built by `make_client()`: base URL from `SLACK_API_URL`
(GovSlack, or a local fake in tests) and bounded retries for HTTP 429
(honouring Retry-After), dropped connections and 5xx. What still fails maps
to the outbox's `TemporaryFailure` (try later) or `PermanentFailure` (give up).

`OutboxPump` delivers in a background thread of the web process: right after a
listener enqueued something (users do not wait for the worker's next tick),
and whatever is overdue, as long as the process runs (see "Delivery" in the README).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.config import Settings
from bot.domain.outbox import Kind, PermanentFailure, TemporaryFailure, sent_ts
from bot.domain.replies import reply_from_dict
from bot.models import OutboxMessage, utcnow
from bot.slack.home import home_reply
from bot.slack.reconcile import PostFinder
from bot.slack.render import render_home, render_message

if TYPE_CHECKING:
    from bot.slack.oauth import EncryptedInstallationStore

log = logging.getLogger(__name__)
NOTIFIER_SCOPES = (  # what send() and find_sent() call
    "chat:write", "chat:write.public",  # chat.postMessage/update, also in channels the bot has not joined
    "channels:join",  # join a public channel before the first post, so that lost posts can be looked for
    "im:write",  # conversations.open for DMs that need their channel id (uploads, reconciling)
    "files:write",  # files_upload_v2 for charts
    "channels:history", "groups:history", "im:history",  # conversations.history/replies to reconcile
    "users:read",  # users.info: names and time zones
)
DM_CACHE_SIZE = 50_000  # DM channels remembered (a DM channel id never changes; opened once per person)
RETRIES = 2  # per call, on top of the first attempt; the outbox retries later still
PERMANENT_ERRORS = {
    "channel_not_found", "not_in_channel", "is_archived", "account_inactive", "invalid_auth",
    "user_not_found", "message_not_found", "cant_update_message", "restricted_action",
    "not_authed", "token_revoked", "no_permission", "missing_scope", "invalid_blocks",
    "msg_too_long", "cannot_dm_bot", "user_disabled", "team_access_not_granted", "file_not_found",
}


def make_client(base_url: str, token: str | None = None, *, retries: int = RETRIES,
                timeout: int = 10, backoff: float = 0.5, retry_connection: bool = True) -> WebClient:
    """A WebClient on `base_url` with bounded retry handlers (429 waits Retry-After;
    connection errors and 5xx back off `backoff` x 2^n seconds).

    `retry_connection=False` leaves dropped connections to the caller: a post
    whose connection dropped after Slack accepted it must be looked for
    before it is sent again (the outbox does that), not blindly re-sent."""
    interval = BackoffRetryIntervalCalculator(backoff_factor=backoff)
    handlers = [RateLimitErrorRetryHandler(max_retry_count=retries),
                ServerErrorRetryHandler(max_retry_count=retries, interval_calculator=interval)]
    if retry_connection:
        handlers.append(ConnectionErrorRetryHandler(max_retry_count=retries, interval_calculator=interval))
    return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=handlers)



def notifier_for(settings: Settings, engine: Engine, *, store: EncryptedInstallationStore | None = None,
                 clock: Callable[[], datetime] = utcnow) -> SlackNotifier:
    """The Slack notifier of every process (the app, the worker): the bot token,
    or with OAuth each workspace's from the installation store (`store`, else
    one on `engine`)."""
    if settings.oauth_enabled:
        if store is None:
            from bot.slack.oauth import installation_store

            store = installation_store(settings, engine)
        installed = store

        def token_for(team_id: str) -> str | None:
            bot = installed.find_bot(enterprise_id=None, team_id=team_id)
            return bot.bot_token if bot else None
    else:
        def token_for(team_id: str) -> str | None:
            return settings.slack_bot_token or None

    return SlackNotifier(base_url=settings.slack_api_url, token_for=token_for, clock=clock,
                         history_limited=settings.history_limited, dm_channel=settings.slack_dm_channel)

class SlackNotifier:
    """Sends one outbox row per `send()` with the workspace's bot token.

    `history_limited`: conversations.history/replies allow 1 read a minute and
    15 messages (`bot.slack.reconcile`). `dm_channel`: "user" posts a DM to the
    person's user id (Slack puts it in the app's DM and answers with its D...
    id, kept from then on), "open" calls conversations.open once first."""

    def __init__(self, *, base_url: str, token_for: Callable[[str], str | None],
                 clock: Callable[[], datetime] = utcnow, retries: int = RETRIES,
                 backoff: float = 0.5, history_limited: bool = False, dm_channel: str = "user"):
        self.base_url, self.token_for, self.clock = base_url, token_for, clock
        self.retries, self.backoff, self.dm_channel = retries, backoff, dm_channel
        self._dm_channels: dict[tuple[str, str], str] = {}  # (team, user) -> the bot's DM channel with them
        self._joined: set[tuple[str, str]] = set()  # (team, channel) joined, or not joinable (private...)
        self.finder = PostFinder(limited=history_limited, clock=clock)

    def client(self, team_id: str) -> WebClient:
        token = self.token_for(team_id)
        if not token:
            raise PermanentFailure(f"no bot token for workspace {team_id} (not installed?)")
        return make_client(self.base_url, token, retries=self.retries, backoff=self.backoff,
                           retry_connection=False)

    def send(self, message: OutboxMessage, *, session: Session) -> dict:
        client = self.client(message.team_id)
        started = time.time()
        try:
            return self._send(client, message, session)
        except SlackApiError as exc:
            error = exc.response.get("error", "") if exc.response is not None else ""
            status = exc.response.status_code if exc.response is not None else 0
            if message.user_id and error in PERMANENT_ERRORS:  # the DM may be gone: open it afresh next time
                self._dm_channels.pop((message.team_id, message.user_id), None)
            if status == 429 or error == "ratelimited":
                retry_after = exc.response.headers.get("Retry-After", exc.response.headers.get("retry-after"))
                raise TemporaryFailure("rate limited", retry_after=float(retry_after or 1)) from None
            if error in PERMANENT_ERRORS or (400 <= status < 500 and status != 429):
                raise PermanentFailure(error or f"HTTP {status}") from None
            raise TemporaryFailure(error or f"HTTP {status}") from None
        except (URLError, ConnectionError, TimeoutError, OSError) as exc:
            raise TemporaryFailure(f"connection: {exc.__class__.__name__}", maybe_sent=True,
                                   attempt_at=started) from None

    def _send(self, client: WebClient, m: OutboxMessage, session: Session) -> dict:
        payload = m.payload or {}
        kind = Kind(m.kind)
        if kind is Kind.PUBLISH_HOME:
            reply = home_reply(session=session, team_id=m.team_id, user_id=m.user_id or "", now=self.clock())
            client.views_publish(user_id=m.user_id, view=render_home(reply))
            return {"user": m.user_id}
        if kind is Kind.UPLOAD:
            if not Path(payload.get("file_path", "")).is_file():
                raise PermanentFailure(f"the file to upload is gone: {payload.get('file_path', '')}")
            channel = self._channel(client, m)
            response = client.files_upload_v2(channel=channel, file=payload["file_path"],
                                              title=payload.get("title", "chart"),
                                              thread_ts=self._thread_ts(session, payload))
            return {"channel": channel, "file": (response.get("file") or {}).get("id")}
        message = render_message(reply_from_dict(payload["reply"])) if "reply" in payload else {
            "text": payload.get("text", "")}
        if kind is Kind.UPDATE:
            channel, ts = payload.get("channel", m.channel_id), payload.get("ts")
            if payload.get("update_key"):
                channel, ts = sent_ts(session=session, key=payload["update_key"])
            if not ts:
                raise TemporaryFailure("the message to update has not been sent yet")
            response = client.chat_update(channel=channel, ts=ts, **message)
            return {"channel": response["channel"], "ts": response["ts"]}
        channel = self._post_channel(client, m)
        thread_ts = self._thread_ts(session, payload)
        if not self._is_dm(m):
            self._join(client, m.team_id, channel)
        response = client.chat_postMessage(channel=channel, thread_ts=thread_ts, unfurl_links=False,
                                           metadata=_tag(m), **message)
        if channel != response["channel"] and m.user_id:  # posted by user id: Slack named the DM
            self._remember_dm(m.team_id, m.user_id, response["channel"])
        return {"channel": response["channel"], "ts": response["ts"]}

    def find_sent(self, message: OutboxMessage, *, session: Session) -> dict | None:
        """`Reconciler`: the post an unconfirmed earlier attempt already made, if any,
        found by the outbox key in its metadata within Slack's reading rules
        (`bot.slack.reconcile`: around the lost attempt, a thread reply through
        conversations.replies, and a stated policy where no read can tell)."""
        if message.kind not in (Kind.POST, Kind.DM):
            return None  # Home publishes and edits are safe to repeat
        client = self.client(message.team_id)
        try:
            channel = self._channel(client, message)
            thread_ts = self._thread_ts(session, message.payload or {})
            if not self._is_dm(message):
                self._join(client, message.team_id, channel)
        except SlackApiError as exc:
            raise TemporaryFailure(f"reconcile: {exc.response.get('error', '')}") from None
        return self.finder.find(client, message, channel=channel, thread_ts=thread_ts)

    def _join(self, client: WebClient, team_id: str, channel: str) -> None:
        """Join `channel` once before posting there (history is readable only by
        members); a private channel, an old install without `channels:join` or
        any failure leaves the post to `chat:write.public` as before."""
        if (team_id, channel) in self._joined or not channel.startswith(("C", "G")):
            return
        try:
            client.conversations_join(channel=channel)
        except SlackApiError as exc:
            log.info("not joining %s before posting: %s", channel, exc.response.get("error", ""))
        except (URLError, ConnectionError, TimeoutError, OSError):
            return  # try again with the next post
        self._joined.add((team_id, channel))

    def _is_dm(self, m: OutboxMessage) -> bool:
        return m.kind == Kind.DM or (not m.channel_id and bool(m.user_id))

    def _post_channel(self, client: WebClient, m: OutboxMessage) -> str:
        """Where chat.postMessage goes: a DM to its known channel, else (`dm_channel`
        "user") to the user's id, which Slack posts in the app's DM with them (no
        conversations.open, whose limit is far lower, for 500 prompts at 09:00),
        or ("open") to the channel conversations.open names, opened once."""
        if self._is_dm(m):
            if self.dm_channel == "open":
                return self._channel(client, m)
            return self._dm_channels.get((m.team_id, m.user_id or "")) or m.user_id or ""
        if not m.channel_id:
            raise PermanentFailure("no channel or user to send to")
        return m.channel_id

    def _channel(self, client: WebClient, m: OutboxMessage) -> str:
        """A real channel id, opening the DM if needed (uploads and history need one)."""
        if self._is_dm(m):
            key = (m.team_id, m.user_id or "")
            if key not in self._dm_channels:
                self._remember_dm(m.team_id, m.user_id or "",
                                  client.conversations_open(users=m.user_id)["channel"]["id"])
            return self._dm_channels[key]
        if not m.channel_id:
            raise PermanentFailure("no channel or user to send to")
        return m.channel_id

    def _remember_dm(self, team_id: str, user_id: str, channel: str) -> None:
        if len(self._dm_channels) >= DM_CACHE_SIZE:
            self._dm_channels.clear()
        self._dm_channels[(team_id, user_id)] = channel

    @staticmethod
    def _thread_ts(session: Session, payload: dict) -> str | None:
        if payload.get("thread_key"):
            _, ts = sent_ts(session=session, key=payload["thread_key"])
            if not ts:
                raise TemporaryFailure("the thread's first message has not been sent yet")
            return ts
        return payload.get("thread_ts")


def _tag(m: OutboxMessage) -> dict:
    """Message metadata naming the outbox row, so a retry can find an earlier post."""
    return {"event_type": "pm_outbox_message", "event_payload": {"outbox_key": m.idempotency_key}}


PUMP_HORIZON_SECONDS = 10.0  # a row due sooner than this after a delivery is waited for
PUMP_SWEEP_SECONDS = 10.0  # the web process looks for overdue rows this often, as long as it runs ...
PUMP_OVERDUE_SECONDS = 10.0  # ... and sends those due this long ago (the worker sends within ~1 s)


class OutboxPump:
    """The web process's outbox sender, one background thread for as long as the
    process runs: it delivers at once what this process's requests queued
    (`kick()`), and every `PUMP_SWEEP_SECONDS` whatever has been due for
    `PUMP_OVERDUE_SECONDS` (no worker running, or one that is behind), so a
    pending message never waits for an unrelated request. Claims are renewed
    while it sends and handed back when it closes."""

    def __init__(self, engine: Engine, notifier: SlackNotifier, *,
                 sweep_seconds: float = PUMP_SWEEP_SECONDS, overdue_seconds: float = PUMP_OVERDUE_SECONDS):
        from bot.jobs.outbox_sender import new_holder

        self.engine, self.notifier = engine, notifier
        self.sweep_seconds, self.overdue_seconds = sweep_seconds, overdue_seconds
        self.holder = new_holder("web")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._sending = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Run the sender (again after a fork); a no-op while it runs or once closed."""
        with self._lock:
            if self._stop.is_set() or any(t.is_alive() for t in self._threads):
                return
            self._threads = [threading.Thread(target=self._loop, name="outbox-pump", daemon=True),
                             threading.Thread(target=self._renew, name="outbox-pump-renew", daemon=True)]
            for thread in self._threads:
                thread.start()

    def kick(self) -> None:
        """Deliver what is due now, in the background."""
        self.start()
        self._wake.set()

    def _loop(self) -> None:
        from bot.jobs.outbox_sender import deliver_pending

        wait = self.sweep_seconds
        while not self._stop.is_set():
            asked = self._wake.wait(timeout=wait) or wait < self.sweep_seconds
            if self._stop.is_set():
                return
            self._wake.clear()
            self._sending.set()
            try:
                overdue = 0.0 if asked else self.overdue_seconds  # a sweep leaves fresh rows to the worker
                while deliver_pending(self.engine, self.notifier, holder=self.holder, stop=self._stop,
                                      overdue=overdue) and not self._stop.is_set():
                    pass
                wait = self._soon()
            except Exception:  # the database may be away: try again at the next sweep; never exit
                log.exception("outbox delivery in the web process failed")
                wait = self.sweep_seconds
            finally:
                self._sending.clear()

    def _renew(self) -> None:
        from bot.jobs.outbox_sender import RENEW_SECONDS, renew_claims

        while not self._stop.wait(RENEW_SECONDS):
            if self._sending.is_set():
                try:
                    renew_claims(self.engine, self.holder)
                except Exception as exc:  # noqa: BLE001 - the next sweep tries again
                    log.warning("could not renew the web process's outbox claims (%s)", exc.__class__.__name__)

    def _soon(self) -> float:
        """Seconds until a row deferred a moment ago (one waiting for the message it
        threads under or edits, a short Retry-After) is due, if that is near;
        else the time to the next sweep."""
        with Session(self.engine) as session:
            due = session.exec(select(func.min(OutboxMessage.next_attempt_at)).where(
                OutboxMessage.state == "pending")).first()
        if due is None:
            return self.sweep_seconds
        wait = (due - utcnow()).total_seconds()
        return max(wait, 0.05) if wait < PUMP_HORIZON_SECONDS else self.sweep_seconds

    def close(self, timeout: float = 5.0) -> None:
        """Stop after the current message; claims not yet sent are handed back."""
        with self._lock:
            self._stop.set()
            threads = list(self._threads)
        self._wake.set()
        for thread in threads:
            thread.join(timeout)

"""Find a post whose answer was lost, within Slack's rules for reading.

When a `chat.postMessage` left but its answer did not come back (a dropped
connection, a sender that died before recording the `ts`), the outbox asks
`find_sent` before sending again. Every post carries its outbox key in
message metadata; this module looks for it with as few reads as Slack allows:

- only around the time of the lost attempt(s) (`result["maybe_sent_at"]`, a
  minute either side), so the window holds a handful of messages; a post
  taken over from a sender that died (no time known) among the newest 15
  (limited) or 100 messages;
- a thread reply with `conversations.replies` (history returns only parent
  messages and broadcast replies), anything else with `conversations.history`;
- in the bot's own DM (always a member) or a channel: the notifier joins a
  public channel before its first post there (`channels:join`), since history
  is readable only where the bot is a member;
- with `limited` reads (commercially distributed apps outside the Marketplace,
  since 29 May 2025: 1 request a minute and at most 15 messages, for each of
  the two methods) at most one read a minute per workspace and method in this
  process, and a message waits for that read at most `PATIENCE`.

Where no read can decide (the bot is not in the channel and could not join,
a missing scope, still rate-limited after `PATIENCE`, more messages in the
window than one read returns), `POLICY` says what happens per message: a
status someone posted by hand (`post_status:`, they see whether it arrived
and can click again) is given up as "may not have been delivered" and its
project's owner is told; every other message (DMs such as standup prompts and
reminders, thread replies such as standup answers, summaries, alerts,
reports) is sent again, so it may show twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.format import plural
from bot.domain.outbox import PermanentFailure, TemporaryFailure
from bot.models import OutboxMessage

log = logging.getLogger(__name__)
LIMITED_MESSAGES, INTERNAL_MESSAGES = 15, 100  # messages one read returns
LIMITED_INTERVAL = 60.0  # seconds between reads of one method in one workspace, when limited
PATIENCE = timedelta(minutes=10)  # a lost post waits this long for a read before POLICY applies
SKEW = 60.0  # seconds searched either side of a lost attempt (clocks, the call's own time)
UNREADABLE = {"not_in_channel", "channel_not_found", "missing_scope", "thread_not_found", "no_permission",
              "access_denied", "not_allowed_token_type", "method_not_supported_for_channel_type"}
REPORT_ONLY = ("post_status:",)  # outbox key prefixes given up (and reported) rather than sent again


def policy(message: OutboxMessage) -> str:
    """What happens to `message` when no read can tell whether it was posted:
    "report" (give up, tell the owner it may not have been delivered) or "resend"."""
    return "report" if message.idempotency_key.startswith(REPORT_ONLY) else "resend"


class PostFinder:
    """Looks for an unconfirmed post; keeps this process's read budget."""

    def __init__(self, *, limited: bool, clock: Callable[[], datetime],
                 monotonic: Callable[[], float] = time.monotonic):
        self.limited, self.clock, self.monotonic = limited, clock, monotonic
        self.limit = LIMITED_MESSAGES if limited else INTERNAL_MESSAGES
        self._last_read: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def find(self, client: WebClient, message: OutboxMessage, *, channel: str, thread_ts: str | None) -> dict | None:
        """{"channel", "ts"} of the post carrying `message`'s key; None when it is
        certainly not there (or POLICY says send again); raises `TemporaryFailure`
        to wait for the read budget and `PermanentFailure` for "report"."""
        method = "conversations.replies" if thread_ts else "conversations.history"
        self._take_budget(message, method)
        args: dict = {"channel": channel, "limit": self.limit, "include_all_metadata": True, "inclusive": True}
        bounds = window(message)
        if bounds is not None:
            args.update(oldest=f"{bounds[0]:.6f}", latest=f"{bounds[1]:.6f}")
        try:
            if thread_ts:
                answer = client.conversations_replies(ts=thread_ts, **args)
            else:
                answer = client.conversations_history(**args)
        except SlackApiError as exc:
            error = exc.response.get("error", "") if exc.response is not None else ""
            status = exc.response.status_code if exc.response is not None else 0
            if status == 429 or error == "ratelimited":
                retry = float(exc.response.headers.get("Retry-After", LIMITED_INTERVAL) or LIMITED_INTERVAL)
                self._hold(message.team_id, method, retry)
                return self._wait_or_decide(message, retry, f"{method} is rate-limited")
            if error in UNREADABLE:
                return self._decide(message, f"{method} answered {error}")
            raise TemporaryFailure(f"reconcile: {error or f'HTTP {status}'}") from None
        for posted in answer.get("messages") or []:
            payload = (posted.get("metadata") or {}).get("event_payload") or {}
            if payload.get("outbox_key") == message.idempotency_key:
                return {"channel": channel, "ts": posted["ts"]}
        if answer.get("has_more"):
            return self._decide(message, f"more than {plural(self.limit, 'message')} around the lost attempt")
        return None

    def _take_budget(self, message: OutboxMessage, method: str) -> None:
        if not self.limited:
            return
        key = (message.team_id, method)
        with self._lock:
            last = self._last_read.get(key)
            wait = 0.0 if last is None else LIMITED_INTERVAL - (self.monotonic() - last)
            if wait <= 0:
                self._last_read[key] = self.monotonic()
                return
        self._wait_or_decide(message, wait, f"one {method} read a minute")

    def _hold(self, team_id: str, method: str, seconds: float) -> None:
        with self._lock:
            self._last_read[(team_id, method)] = self.monotonic() - LIMITED_INTERVAL + seconds

    def _wait_or_decide(self, message: OutboxMessage, wait: float, why: str) -> None:
        since = (message.result or {}).get("failing_since")
        started = _aware(datetime.fromisoformat(since)) if since else self.clock()
        if self.clock() - started < PATIENCE:
            raise TemporaryFailure(f"reconcile: waiting for Slack ({why})", retry_after=max(wait, 1.0),
                                   channel_wide=False)  # the channel's other posts need no read
        self._decide(message, f"{why}, for over {plural(int(PATIENCE.total_seconds() // 60), 'minute')}")

    def _decide(self, message: OutboxMessage, why: str) -> None:
        if policy(message) == "report":
            raise PermanentFailure(f"may not have been delivered: Slack's answer was lost and {why}")
        log.warning("outbox %s: cannot tell whether a lost attempt posted it (%s); sending again",
                    message.idempotency_key, why)
        return None


def window(message: OutboxMessage) -> tuple[float, float] | None:
    """Unix seconds (oldest, latest) around the lost attempts (Slack's ts is
    its own clock's Unix time), or None when no attempt time is known."""
    times = [float(t) for t in (message.result or {}).get("maybe_sent_at") or []]
    if not times:
        return None
    return min(times) - SKEW, max(times) + SKEW


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; the outbox stores UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

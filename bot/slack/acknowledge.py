"""Acknowledge every click and shortcut at once; do the work after it.

Bolt runs with `process_before_response=True`: the HTTP answer (or the Socket
Mode acknowledgement) goes back only when the listener returns, so `ack()`
first and then a `views.open` that takes 4 s still answers Slack after 4 s,
past its 3-second limit. Buttons and shortcuts are therefore registered
through `ack_first`: the listener acknowledges and returns, and the work (the
command, `views.open`, the reply on the response_url) runs on
`Services.followups`, a thread pool the app owns. (Bolt's lazy listeners
would do the same, but they get a copy of the context without our own keys,
so `context["services"]` would be gone there.)

`tell_clicker` says something to the person who clicked, where they clicked:
under the message (its response_url), in the channel only they see
(`chat.postEphemeral`), on their Home tab (re-published with the notice on
top), or, from a global shortcut that has no place, by DM.

`answer_200_for_web_api_errors` is the app's error handler: a listener whose
Web API call failed never answers Slack with HTTP 500 (Slack would show
"We had some trouble connecting" and, for events, deliver again).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any
from urllib.error import URLError

from slack_bolt import BoltContext, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.replies import Reply
from bot.slack.render import render_home, render_message

log = logging.getLogger(__name__)

# views.open's errors for a trigger used too late or twice (its method reference);
# a trigger is valid for 3 seconds and once
TRIGGER_ERRORS = frozenset({"expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id",
                            "trigger_expired"})
TOO_LATE = "That took too long, click again: Slack gives a form 3 seconds to open."
SLACK_BUSY = "Slack is busy right now and the form could not open: click again in a few seconds."
WEB_API_ERRORS = (SlackApiError, URLError, ConnectionError, TimeoutError)


def _already_acknowledged(*_args: Any, **_kwargs: Any) -> None:
    """The `ack` a deferred handler gets: the listener acknowledged before it ran."""


def ack_first(handler: Callable[..., None]) -> Callable[..., None]:
    """A Bolt listener that acknowledges at once and runs `handler` after the
    answer, on the app's follow-up pool, with the arguments it names (`ack`
    is then a no-op). A failure there is logged; a failed Web API call is
    also said to the clicker."""
    wanted = list(inspect.signature(handler).parameters)

    def listener(ack: Callable[..., None], body: dict, client: WebClient, respond: Any,
                 context: BoltContext) -> None:
        ack()
        given = {"ack": _already_acknowledged, "body": body, "client": client, "respond": respond,
                 "context": context}
        services = context["services"]
        services.followups.submit(_run_after_ack, handler, {name: given[name] for name in wanted}, services)

    listener.__name__ = getattr(handler, "__name__", "listener")
    listener.__qualname__ = getattr(handler, "__qualname__", listener.__name__)
    return listener


def _run_after_ack(handler: Callable[..., None], kwargs: dict, services: Any) -> None:
    body = kwargs.get("body") or {}
    try:
        handler(**kwargs)
    except WEB_API_ERRORS as exc:
        error = exc.response.get("error", "") if isinstance(exc, SlackApiError) and exc.response is not None else ""
        log.warning("%s: a Web API call failed after the acknowledgement: %s",
                    getattr(handler, "__name__", "listener"), error or exc.__class__.__name__)
        client = kwargs.get("client")
        if client is not None:
            tell_clicker(body, client=client, respond=kwargs.get("respond"), services=services,
                         text=f"Slack did not take that ({error or 'no answer'}): please try again.")
    except Exception:  # noqa: BLE001 - the request was answered; this thread must say why it failed
        log.exception("%s failed after the acknowledgement", getattr(handler, "__name__", "listener"))


def tell_clicker(body: dict, *, client: WebClient, respond: Any, services: Any, text: str) -> None:
    """Say `text` to the one who clicked, where they clicked (see the module
    docstring). Never raises: the clicker was already answered, and this is
    the last word."""
    reply = Reply.fail(text)
    user_id = (body.get("user") or {}).get("id", "")
    team_id = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id", "")
    channel_id = (body.get("channel") or {}).get("id", "")
    view = body.get("view") or {}
    try:
        if respond is not None and getattr(respond, "response_url", None):
            respond(replace_original=False, response_type="ephemeral", **render_message(reply))
        elif channel_id:
            client.chat_postEphemeral(channel=channel_id, user=user_id, **render_message(reply))
        elif view.get("type") == "home":
            publish_home_notice(client, services, team_id=team_id, user_id=user_id, notice=text)
        else:
            dm_notice(services, team_id=team_id, user_id=user_id, text=text,
                      key=f"told:{body.get('trigger_id') or body.get('action_ts') or text[:40]}")
    except Exception as exc:  # noqa: BLE001 - nowhere left to say it
        log.warning("could not tell %s in place (%s): %s", user_id, exc.__class__.__name__, text)


def publish_home_notice(client: WebClient, services: Any, *, team_id: str, user_id: str, notice: str) -> None:
    """Re-publish someone's Home tab with `notice` on top (the next refresh drops it)."""
    from bot.slack.home import home_reply

    with services.session() as session:
        reply = home_reply(session=session, team_id=team_id, user_id=user_id, now=services.clock(),
                           notice=notice)
    client.views_publish(user_id=user_id, view=render_home(reply))


def dm_notice(services: Any, *, team_id: str, user_id: str, text: str, key: str) -> None:
    """`text` to `user_id` by DM, through the outbox (once per `key`)."""
    from bot.domain.outbox import Kind, enqueue

    with services.session() as session:
        enqueue(session=session, team_id=team_id, key=key[:200], kind=Kind.DM, user_id=user_id,
                reply=Reply.fail(text), now=services.clock())
        session.commit()
    services.kick()


def answer_200_for_web_api_errors(error: Exception, request: BoltRequest,
                                  response: BoltResponse | None, logger: logging.Logger) -> BoltResponse | None:
    """The app's error handler. A listener that already acknowledged keeps that
    answer; one whose Web API call failed answers 200 (the user is told in
    place where a listener can); any other failure is logged with its
    traceback and stays a 500, which is a bug to fix."""
    acked = request.context.ack.response if request.context.ack is not None else None
    if isinstance(error, WEB_API_ERRORS):
        detail = (error.response.get("error", "") if isinstance(error, SlackApiError) and error.response is not None
                  else error.__class__.__name__)
        logger.warning("a listener's Web API call failed (%s); Slack gets 200, not 500", detail)
        if acked is not None and acked.status == 200:
            return BoltResponse(status=200, body=acked.body, headers=acked.headers)
        return BoltResponse(status=200, body="")
    logger.exception(f"listener failed: {error}")
    if acked is not None and acked.status == 200:
        return BoltResponse(status=200, body=acked.body, headers=acked.headers)
    return None

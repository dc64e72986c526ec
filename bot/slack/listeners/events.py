"""Events: the App Home is (re-)published when a user opens it.

Slack re-delivers an event it thinks was not received (`X-Slack-Retry-Num`);
the event id is claimed in `processed_requests`, so a retry does nothing.
"""

from __future__ import annotations

from slack_bolt import App, BoltContext

from bot.domain.home import enqueue_home_refresh
from bot.domain.idempotency import claim
from bot.slack.manifest import subscribe
from bot.slack.services import Services


def register(app: App) -> None:
    subscribe(app, "app_home_opened")(handle_app_home_opened)


def handle_app_home_opened(event: dict, body: dict, context: BoltContext) -> None:
    if event.get("tab", "home") != "home":
        return
    services: Services = context["services"]
    team_id = body.get("team_id") or context.team_id or ""
    event_id = body.get("event_id") or f"{event.get('user')}:{event.get('event_ts')}"
    with services.session() as session:
        if not claim(session=session, team_id=team_id, key=f"event:{event_id}", now=services.clock()):
            return
        enqueue_home_refresh(session=session, team_id=team_id, user_id=event.get("user", ""), cause=event_id,
                             now=services.clock())
        session.commit()
    services.kick()

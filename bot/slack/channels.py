"""Can the bot post in a channel? One `conversations.info` call says.

Slack's rules: a bot posts in a public channel it has not joined only with
`chat:write.public`; in a private channel only as a member (someone types
`/invite @pm` there); never in an archived channel. `conversations.info`
needs `channels:read` (public) or `groups:read` (private), which the
manifest therefore asks for, and a private channel the bot is not in is
invisible to it: Slack answers `channel_not_found`, as for a deleted one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

CHANNEL_SCOPES = ("channels:read", "groups:read")  # conversations.info, public and private


@dataclass(frozen=True)
class ChannelAccess:
    """What the bot can do in one channel; `problem` is empty when it can post."""

    channel_id: str
    name: str = ""
    member: bool = False
    private: bool = False
    problem: str = ""  # a Slack error code, or "archived" / "not_member"

    @property
    def label(self) -> str:
        return f"#{self.name} ({self.channel_id})" if self.name else self.channel_id


def channel_access(client: WebClient, channel_id: str, *, can_post_public: bool) -> ChannelAccess:
    """Ask Slack about `channel_id`; `can_post_public`: the token has chat:write.public."""
    try:
        info = client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as exc:
        return ChannelAccess(channel_id, problem=str(exc.response.get("error") or "unknown_error"))
    access = ChannelAccess(channel_id, name=str(info.get("name") or ""), member=bool(info.get("is_member")),
                           private=bool(info.get("is_private")))
    if info.get("is_archived"):
        return replace(access, problem="archived")
    if not access.member and (access.private or not can_post_public):
        return replace(access, problem="not_member")
    return access

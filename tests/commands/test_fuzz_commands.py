"""No text typed after `/project` makes the command layer raise: every input gets
a non-empty reply, and an error is a short message (plus the usage)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from bot.commands import COMMANDS, Context, dispatch
from bot.commands.dispatch import _leading_command
from tests.support.factories import MEMBER, OWNER, STAKEHOLDER, add_milestone, make_project
from tests.support.helpers import TEAM

GRAMMARISH = sorted({w for path in COMMANDS for w in path}) + [
    "website", "crm", "due", "budget", "estimate", "est", "milestone", "effort", "role", "as", "key",
    "goal", "objective", "scope", "start", "tz", "state", "name", "page", "mine", "all", "blocked",
    "me", "nobody", "none", "confirm", "owner", "manager", "member", "stakeholder", "active",
    "cancelled", "on-hold", "Europe/Berlin", "Mars/Base", "../../etc/passwd",
    "<@U0BOB|bob>", "<@U0MEMB>", "<@W0" + "X" * 40 + ">", "<#C0WEB|web>", "<#C0PROJ>", "<!here>",
    "<https://example.com|x>", '"a title"', "\u201ccurly title\u201d", '"', "\u201c", "<", ">", "&amp;",
    "25k", "$25,000", "1,200.50", "€1.200,50", "1e9", "9" * 30, "-5", "0",
    "2027-03-31", "2027-02-30", "31 Mar", "next friday", "in 2 weeks", "in 99999 weeks", "today",
    "tomorrow", "3h", "90m", "1.5d", "2h30m", "0h", "99999h", "1", "#2", "M1", "m9", "0", "-1",
    "x" * 250, "\x00", "\u200b", "🎉", "ß", "İ",
]
FUZZ_NOW = datetime(2026, 11, 27, 10, tzinfo=UTC)
token = st.one_of(st.sampled_from(GRAMMARISH), st.text(max_size=15))
command_text = st.one_of(
    st.text(max_size=300),
    st.lists(token, max_size=12).map(" ".join),
    st.tuples(st.sampled_from(sorted(" ".join(p) for p in COMMANDS)),
              st.lists(token, max_size=10).map(" ".join)).map(" ".join),
)


def fuzz(engine, examples: int) -> None:
    project = make_project(engine, key="website", task_titles=("Choose hosting", "Write copy"))
    make_project(engine, key="crm", name="New CRM", channel_id="C0CRM")
    add_milestone(engine, project, "Design approved")
    session = Session(engine, expire_on_commit=False)
    seen_errors = []

    @settings(max_examples=examples, deadline=None, database=None,
              derandomize=os.environ.get("CI") == "true",  # CI: the same cases every run
              suppress_health_check=list(HealthCheck))
    @given(text=command_text, user=st.sampled_from([OWNER, MEMBER, STAKEHOLDER, "U0NEWBIE"]),
           channel=st.sampled_from(["C0PROJ", "C0CRM", "C0NOWHERE", ""]))
    def one_command(text, user, channel):
        ctx = Context(session=session, team_id=TEAM, user_id=user, channel_id=channel,
                      now=FUZZ_NOW)
        reply = dispatch(text, ctx, raise_unexpected=True)
        assert reply.plain().strip(), f"empty reply to {text!r}"
        if reply.error:
            message = reply.sections[0].text
            assert message.startswith(":warning: ") and len(message) <= 500, message
            # with the usage, unless it is a refusal (says who may) or names no command
            assert ("Usage: `/project " in reply.plain() or "Only " in message
                    or _leading_command(text) is None), message
            seen_errors.append(message)

    try:
        one_command()
    finally:
        session.close()
    assert seen_errors  # the strategy does reach the error paths


QUIET = pytest.mark.filterwarnings("ignore:Glyph")  # charts of odd project names lack glyphs


@QUIET
def test_no_input_raises_on_sqlite(sqlite_engine):
    fuzz(sqlite_engine, 3000)


@QUIET
def test_no_input_raises_on_either_database(db_engine):
    fuzz(db_engine, 300)  # PostgreSQL refuses NUL bytes and over-long values that SQLite stores

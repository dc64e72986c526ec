"""Done-criterion: a week of standups for a six-person project, end to end
through the real HTTP app and the fake Slack Web API, with frozen time.

Europe/Berlin, 09:30 Mon-Fri, closes 11:30, public holidays of Bavaria. The
week runs Thu 25 Mar to Thu 1 Apr 2027: Good Friday and Easter Monday are
holidays, the clocks go forward on Sunday 28 Mar, Dora is away from Tue 30,
the worker dies while prompting on Thursday, Ben edits his answer, Emil answers
late, Anna is blocked twice in a row and Carl answers early.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.domain import standups
from bot.domain.replies import Intent
from bot.jobs.outbox_sender import CLAIM_SECONDS, deliver_pending
from bot.jobs.scheduler import daily_trigger
from bot.jobs.standup_jobs import open_standup, sweep
from bot.models import OutboxMessage, Project, Role, StandupConfig, StandupRun
from bot.slack.notifier import SlackNotifier
from tests.support.factories import make_project
from tests.support.fakeslack import FakeSlack
from tests.support.slackhttp import BOT_TOKEN, SlackApp, settings_for

OWNER, ANNA, BEN, CARL, DORA, EMIL = "U0OLGA", "U0ANNA", "U0BEN", "U0CARL", "U0DORA", "U0EMIL"
EVERYONE = [OWNER, ANNA, BEN, CARL, DORA, EMIL]
BERLIN = ZoneInfo("Europe/Berlin")


def dm(user: str) -> str:
    return "D" + user.lstrip("U")[:10]  # the fake's conversations.open answer


class Crash(BaseException):
    """The worker process dies (nothing handles it)."""


class DiesAfterSending:
    """A notifier that posts the n-th message and dies before the outbox records it."""

    def __init__(self, inner: SlackNotifier, n: int):
        self.inner, self.n, self.sent = inner, n, 0

    def send(self, message, *, session):
        result = self.inner.send(message, session=session)
        self.sent += message.kind == "dm"
        if self.sent == self.n:
            raise Crash("killed after posting, before recording")
        return result


class Week:
    def __init__(self, engine, fake: FakeSlack, slack: SlackApp, clock: dict):
        self.engine, self.fake, self.slack, self.clock = engine, fake, slack, clock
        self.notifier = SlackNotifier(base_url=fake.api_url, token_for=lambda team: BOT_TOKEN,
                                      clock=lambda: clock["now"])
        self.replies = 0

    @property
    def now(self) -> datetime:
        return self.clock["now"]

    def at(self, when: datetime) -> Week:
        self.clock["now"] = when
        return self

    # the worker
    def fire(self) -> None:
        with Session(self.engine) as s:
            config_id = s.exec(select(StandupConfig.id)).one()
        open_standup(self.engine, config_id=config_id, now=self.now)
        self.deliver()

    def tick(self) -> None:
        sweep(self.engine, now=self.now, grace=timedelta(hours=1))
        self.deliver()

    def deliver(self) -> None:
        """Send what is due; wait for anything the web process's own pump is sending."""
        deadline = time.monotonic() + 5
        while True:
            while deliver_pending(self.engine, self.notifier, now=self.now):
                pass
            with Session(self.engine) as s:
                busy = s.exec(select(OutboxMessage.id).where(OutboxMessage.state == "sending")).first()
            if busy is None or time.monotonic() > deadline:
                return
            time.sleep(0.02)

    # people
    def say(self, text: str, user: str = OWNER) -> str:
        self.slack.slash(text, user=user)
        self.replies += 1
        return json.dumps(self.slack.wait_reply(self.replies), ensure_ascii=False)

    def open_modal(self, user: str, run_id: int) -> dict:
        before = len(self.fake.calls_to("views.open"))
        self.slack.click(Intent.ANSWER_STANDUP, str(run_id), user=user, channel=dm(user))
        return self.fake.wait_for("views.open", before + 1)[before].params["view"]

    def answer_in_modal(self, user: str, run_id: int, finished: str, next_: str, blockers: str = "none",
                        confidence: int = 4, view_id: str | None = None) -> dict:
        view = self.open_modal(user, run_id)
        values = {"finished": {"value": finished}, "next": {"value": next_}, "blockers": {"value": blockers},
                  "confidence": {"selected_option": {"value": str(confidence)}}}
        response = self.slack.submit(view, values, user=user, view_id=view_id or f"V{user}{self.now:%d%H%M}")
        assert response.status == 200 and response.body in (b"", b"{}"), response.body
        self.deliver()
        return view

    # what Slack shows
    def dm_texts(self, user: str) -> list[str]:
        return [json.dumps(m, ensure_ascii=False) for m in self.fake.history.get(dm(user), [])]

    def prompts(self, user: str, day_label: str) -> int:
        return sum(1 for c in self.fake.messages(dm(user)) if f"Standup: Website relaunch, {day_label}" in c.text()
                   and "Answer standup" in c.text())

    def channel(self) -> list[dict]:
        return self.fake.history.get("C0PROJ", [])

    def run(self, day: date) -> StandupRun:
        with Session(self.engine) as s:
            return s.exec(select(StandupRun).where(StandupRun.run_date == day)).one()


@contextmanager
def running_week(engine) -> Iterator[Week]:
    """The six-person project, the HTTP app and the fake Slack, with a frozen clock."""
    clock = {"now": datetime(2027, 3, 24, 9, 0, tzinfo=UTC)}
    with FakeSlack() as fake, SlackApp.start(settings_for(fake), engine, fake,
                                             clock=lambda: clock["now"]) as slack:
        make_project(engine, owner=OWNER, people={u: Role.MEMBER for u in EVERYONE[1:]},
                     timezone="Europe/Berlin")
        yield Week(engine, fake, slack, clock)


@pytest.fixture
def week(db_engine):
    with running_week(db_engine) as w:
        yield w


def test_a_week_of_standups_for_a_six_person_project(week, db_engine):
    assert "standup scheduled" in week.say("standup set 09:30 mon-fri holidays DE-BY")
    assert "is away Tue 30 Mar" in week.say(f"ooo <@{DORA}> 2027-03-30..2027-04-02")
    fires = []
    trigger, previous = daily_trigger("09:30", "mon-fri", "Europe/Berlin"), None
    moment = datetime(2027, 3, 25, tzinfo=BERLIN)
    for _ in range(6):
        previous = moment = trigger.get_next_fire_time(previous, moment)
        fires.append(moment.astimezone(UTC))
    thu, fri, mon, tue, wed, thu2 = fires
    assert [f.strftime("%a %H:%M") for f in fires] == [  # 09:30 in Berlin, before and after the change
        "Thu 08:30", "Fri 08:30", "Mon 07:30", "Tue 07:30", "Wed 07:30", "Thu 07:30"]

    # --- Thursday 25 March: the worker dies after posting the third prompt ----------------
    week.at(thu)
    with Session(db_engine) as s:
        config_id = s.exec(select(StandupConfig.id)).one()
    open_standup(db_engine, config_id=config_id, now=thu)
    with pytest.raises(Crash):
        deliver_pending(db_engine, DiesAfterSending(week.notifier, 3), now=thu)
    assert sum(week.prompts(u, "Thu 25 Mar") for u in EVERYONE) == 3
    week.at(thu + timedelta(seconds=CLAIM_SECONDS + 60)).tick()  # a new worker, once the dead one's claims expire
    assert [week.prompts(u, "Thu 25 Mar") for u in EVERYONE] == [1] * 6  # nobody twice, nobody skipped
    run = week.run(date(2027, 3, 25))
    assert "Answer by 11:30 (Europe/Berlin)" in week.dm_texts(ANNA)[0]

    week.at(thu + timedelta(minutes=10))
    week.answer_in_modal(ANNA, run.id, "Checkout page", "Payment integration",
                         blockers="Waiting for the payment provider's merchant account", confidence=2)
    week.answer_in_modal(BEN, run.id, "Catalogue", "Search", confidence=4)
    week.answer_in_modal(CARL, run.id, "Photos", "Product texts", confidence=5)
    week.answer_in_modal(DORA, run.id, "Hosting", "Backups", confidence=4)
    assert "Saved your answer for Thu 25 Mar" in week.say(
        'standup answer finished "Budget review" next "Vendor call" blockers none confidence 4')
    week.at(thu + timedelta(minutes=40))  # Ben edits: the modal shows his answer, he changes it
    edit_view = week.open_modal(BEN, run.id)
    assert "Catalogue" in json.dumps(edit_view) and "editing your answer" in json.dumps(edit_view)
    week.answer_in_modal(BEN, run.id, "Catalogue and the search index", "Search UI", confidence=4)
    assert any("Answered at 10:10 (Europe/Berlin)" in t for t in week.dm_texts(BEN))  # the prompt, edited

    week.at(thu + timedelta(minutes=95)).tick()
    assert not any("Reminder" in t for u in EVERYONE for t in week.dm_texts(u))
    week.at(thu + timedelta(minutes=96)).tick()  # 80% of the two-hour window
    reminded = [u for u in EVERYONE if any("Reminder: Website relaunch standup" in t for t in week.dm_texts(u))]
    assert reminded == [EMIL]

    week.at(thu + timedelta(hours=2)).tick()  # 11:30: close
    summary, *thread = week.channel()
    summary_text = json.dumps(summary, ensure_ascii=False)
    assert "Standup, Thu 25 Mar: 5 of 6 answered, 1 blocker" in summary["text"]
    assert "Waiting for the payment provider" in summary_text and f"<@{EMIL}>" in summary_text  # missing
    assert len(thread) == 5 and {m["thread_ts"] for m in thread} == {summary["ts"]}
    assert "Catalogue and the search index" in json.dumps(thread)  # the edit, not the first answer

    week.at(thu + timedelta(hours=2, minutes=30))  # 12:00: Emil, late, from his prompt's button
    week.answer_in_modal(EMIL, run.id, "Newsletter draft", "Launch mail", confidence=3)
    late = week.channel()[-1]
    assert late["thread_ts"] == summary["ts"] and "(late)" in json.dumps(late)
    assert "Standup, Thu 25 Mar: 6 of 6 answered (1 late), 1 blocker" in week.channel()[0]["text"]

    # --- Good Friday, the weekend (clocks go forward on Sunday), Easter Monday --------------
    messages_before = len(week.fake.calls_to("chat.postMessage"))
    for moment in (fri, mon):
        week.at(moment).fire()
        week.at(moment + timedelta(hours=2)).tick()
    assert len(week.fake.calls_to("chat.postMessage")) == messages_before
    with Session(db_engine) as s:
        assert [r.run_date for r in s.exec(select(StandupRun))] == [date(2027, 3, 25)]

    # --- Tuesday 30 March, summer time: 09:30 is now 07:30 UTC; Dora is away -----------------
    week.at(tue).fire()
    tuesday = week.run(date(2027, 3, 30))
    assert tuesday.scheduled_at == datetime(2027, 3, 30, 7, 30, tzinfo=UTC)
    assert [week.prompts(u, "Tue 30 Mar") for u in EVERYONE] == [1, 1, 1, 1, 0, 1]
    week.at(tue + timedelta(minutes=5))
    anna_view = week.open_modal(ANNA, tuesday.id)
    assert "Payment integration" in json.dumps(anna_view)  # last "next" pre-filled as "finished"
    week.answer_in_modal(ANNA, tuesday.id, "Payment integration (half)", "Payment integration",
                         blockers="Still no merchant account", confidence=2, view_id="VANNATUE")
    for user in (OWNER, BEN, CARL, EMIL):
        week.say('standup answer finished "Tuesday work" next "Wednesday work" blockers none', user=user)
    week.at(tue + timedelta(hours=2)).tick()
    tue_summary = [m for m in week.channel() if "Standup, Tue 30 Mar" in m["text"]]
    assert len(tue_summary) == 1
    text = json.dumps(tue_summary[0], ensure_ascii=False)
    assert "Standup, Tue 30 Mar: 5 of 5 answered, 1 blocker" in tue_summary[0]["text"]
    assert f"<@{DORA}>" in text and "Away" in text and "blocked 2 standups in a row" in text
    with Session(db_engine) as s:
        project = s.exec(select(Project)).one()
        assert [b.user_id for b in standups.repeated_blockers(session=s, project=project, now=week.now)] == [ANNA]

    week.at(tue + timedelta(hours=10))  # Tuesday evening: Carl answers for tomorrow
    assert "so this answer counts early for Wed 31 Mar" in week.say(
        'standup answer finished "Product texts" next "Alt texts" blockers none', user=CARL)

    # --- Wednesday and Thursday ------------------------------------------------------------------
    week.at(wed).fire()
    assert [week.prompts(u, "Wed 31 Mar") for u in EVERYONE] == [1, 1, 1, 0, 0, 1]  # not Carl, not Dora
    week.at(wed + timedelta(minutes=20))
    for user in (OWNER, ANNA, BEN, EMIL):
        week.say('standup answer finished "Wednesday work" next "More" blockers none', user=user)
    week.at(wed + timedelta(hours=2)).tick()
    assert any("Standup, Wed 31 Mar: 5 of 5 answered, 0 blockers" in m["text"] for m in week.channel())

    week.at(thu2).fire()
    week.at(thu2 + timedelta(minutes=30))
    week.say('standup answer finished "Thursday work" next "Friday" blockers none')
    week.at(thu2 + timedelta(hours=2)).tick()
    assert any("Standup, Thu 1 Apr: 1 of 5 answered, 0 blockers" in m["text"] for m in week.channel())

    history = week.say("standup history 2027-03-22..2027-04-02")
    assert "81% (17 of 21 answered) over 4 standups" in history
    assert f"<@{DORA}> · 1/1 · 3 away" in history and f"<@{EMIL}> · 3/4 · 1 late" in history
    assert len(week.fake.calls_to("chat.postMessage", ok_only=False)) == len(week.fake.calls_to("chat.postMessage"))

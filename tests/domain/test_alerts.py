"""One condition, one alert: posted once, edited in place, re-posted only when
it gets worse or a snooze ends, resolved when it clears, quiet at night."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlmodel import Session, select

from bot.config import Settings
from bot.domain import alert_actions, alerts
from bot.jobs import risk_jobs
from bot.jobs.outbox_sender import deliver_pending
from bot.models import Alert, AuditEntry, OutboxMessage, Project, Risk, Task
from tests.support.factories import MANAGER, MEMBER, OWNER, make_project
from tests.support.helpers import TEAM, Runner, ok, refused


class Scene:
    """A project with one task of MEMBER's, and a clock we move by hand."""

    def __init__(self, engine, now, **project):
        self.engine, self.now = engine, now
        self.project = make_project(engine, **project)
        with Session(engine) as s:
            s.add(Task(team_id=TEAM, project_id=self.project.id, number=1, title="Pick a host",
                       assignee_user_id=MEMBER, due_date=date(2026, 11, 25)))
            s.commit()

    def check(self, at: datetime | None = None) -> alerts.SyncResult:
        with Session(self.engine, expire_on_commit=False) as s:
            project = s.get(Project, self.project.id)
            result = alerts.check_project(session=s, project=project, now=at or self.now)
            s.commit()
            return result

    def set_task(self, **changes) -> None:
        with Session(self.engine) as s:
            task = s.exec(select(Task).where(Task.project_id == self.project.id)).one()
            for k, v in changes.items():
                setattr(task, k, v)
            s.add(task)
            s.commit()

    def deliver(self) -> list[str]:
        """Send what is due through a recording stand-in for Slack; the keys sent."""
        sent: list[str] = []

        class Recorder:
            def send(self, message, *, session):
                sent.append(message.idempotency_key)
                return {"channel": message.channel_id, "ts": f"1.{len(sent)}"}

        deliver_pending(self.engine, Recorder(), now=self.now + timedelta(days=30))
        return sent

    def alert(self) -> Alert:
        with Session(self.engine) as s:
            return s.exec(select(Alert)).one()

    def outbox(self) -> list[OutboxMessage]:
        with Session(self.engine) as s:
            return list(s.exec(select(OutboxMessage).order_by(OutboxMessage.id)))

    def act(self, action, **kw):
        with Session(self.engine, expire_on_commit=False) as s:
            alert, project = alerts.get_alert(session=s, team_id=TEAM, alert_id=self.alert().id)
            out = action(session=s, project=project, alert=alert, **kw)
            s.commit()
            return out


def test_a_persisting_condition_posts_once_and_then_edits_in_place(db_engine, now):
    scene = Scene(db_engine, now)
    assert len(scene.check().opened) == 1
    [post] = scene.outbox()
    assert (post.kind, post.channel_id) == ("post", "C0PROJ")
    assert "has 1 task past due (#1), 2 days late" in post.payload["reply"]["sections"][0]["text"]
    fields = post.payload["reply"]["sections"][0]["fields"]
    assert fields == [{"label": "Tasks", "value": "#1"}, {"label": "Days late", "value": "2"}]
    labels = [b["label"] for b in post.payload["reply"]["buttons"]]
    assert labels == ["Acknowledge", "Snooze 1 day", "Snooze 1 week", "Assign owner", "Make it a risk"]
    scene.check(now + timedelta(minutes=30))  # nothing changed: nothing sent
    assert len(scene.outbox()) == 1
    result = scene.check(now + timedelta(days=1))  # 3 days late now: same alert, new numbers
    assert [a.fingerprint for a in result.updated] == [f"past_due:{MEMBER}"]
    edit = scene.outbox()[-1]
    assert edit.kind == "update" and edit.payload["update_key"] == post.idempotency_key
    assert "3 days late" in edit.payload["reply"]["sections"][0]["text"]
    assert len(scene.outbox()) == 2


def test_rising_severity_posts_again_and_critical_dms_the_owner(db_engine, now):
    scene = Scene(db_engine, now)
    scene.check()
    result = scene.check(now + timedelta(days=5))  # 7 days late: critical
    assert len(result.realerted) == 1
    kinds = [(m.kind, m.channel_id or m.user_id) for m in scene.outbox()]
    assert kinds == [("post", "C0PROJ"), ("post", "C0PROJ"), ("dm", OWNER)]
    assert scene.outbox()[0].state == "cancelled"  # the first post had not gone out yet: withdrawn
    assert scene.alert().severity == "critical"
    scene.check(now + timedelta(days=6))  # still critical: edit, no new post
    assert [m.kind for m in scene.outbox()][-1] == "update" and len(scene.outbox()) == 4


def test_a_snoozed_alert_stays_quiet_and_returns_when_the_snooze_ends(db_engine, now):
    scene = Scene(db_engine, now)
    scene.check()
    until = scene.act(alert_actions.snooze, actor=MEMBER, days=1, now=now)
    assert until == now + timedelta(days=1) and scene.alert().state == "snoozed"
    assert scene.act(alert_actions.snooze, actor=MEMBER, days=1, now=now) == until  # double click
    posts = lambda: [m for m in scene.outbox() if m.kind == "post"]  # noqa: E731
    scene.check(now + timedelta(hours=20))
    assert len(posts()) == 1 and scene.alert().state == "snoozed"
    assert scene.deliver()  # the first post and the snooze edit go out
    scene.check(now + timedelta(days=1, minutes=1))
    assert len(posts()) == 2 and scene.alert().state == "open"
    retired = [m for m in scene.outbox() if m.idempotency_key.endswith(":retired")]
    assert len(retired) == 1 and retired[0].payload["reply"]["buttons"] == []
    assert retired[0].payload["reply"]["footer"] == "Raised again below, with the latest numbers."


def test_a_cleared_condition_is_resolved_in_place_and_a_return_posts_again(db_engine, now):
    scene = Scene(db_engine, now)
    scene.check()
    assert scene.deliver() == [f"alert:{scene.alert().id}:post:1"]
    assert scene.alert().message_ts is None  # learnt on the next check
    scene.set_task(status="done", done_at=now)
    result = scene.check(now + timedelta(hours=1))
    assert len(result.resolved) == 1
    alert = scene.alert()
    assert alert.state == "resolved" and alert.resolved_at == now + timedelta(hours=1)
    assert (alert.channel_id, alert.message_ts) == ("C0PROJ", "1.1")
    last = scene.outbox()[-1]
    assert last.kind == "update" and last.payload["reply"]["title"].startswith("✅ Past due")
    assert last.payload["reply"]["buttons"] == []
    scene.set_task(status="todo", done_at=None)
    scene.check(now + timedelta(hours=2))
    assert scene.alert().state == "open"
    assert [m.kind for m in scene.outbox()] == ["post", "update", "post"]


def test_at_night_the_post_waits_for_morning_and_is_withdrawn_if_it_clears(db_engine):
    night = datetime(2026, 11, 27, 21, 30, tzinfo=UTC)  # 22:30 in Berlin
    scene = Scene(db_engine, night, timezone="Europe/Berlin")
    scene.check()
    [post] = scene.outbox()
    assert post.next_attempt_at == datetime(2026, 11, 28, 7, 0, tzinfo=UTC)  # 08:00 Berlin
    scene.set_task(status="done", done_at=night)
    scene.check(night + timedelta(hours=1))
    [post] = scene.outbox()
    assert post.state == "cancelled"
    assert scene.alert().state == "resolved"


def test_quiet_hours_follow_the_project_zone_and_thresholds():
    project = Project(team_id=TEAM, key="p", name="P", timezone="America/New_York")
    limits = dict(alerts.limits_for(project))
    noon_ny = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    assert alerts.quiet_until(project, noon_ny, limits) is None
    early_ny = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # 05:00 in New York
    assert alerts.quiet_until(project, early_ny, limits) == datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    limits["quiet_start"] = limits["quiet_end"] = 0
    assert alerts.quiet_until(project, early_ny, limits) is None


def test_acknowledge_assign_and_make_it_a_risk_are_idempotent_and_audited(db_engine, now):
    scene = Scene(db_engine, now)
    scene.check()
    assert scene.act(alert_actions.acknowledge, actor=MEMBER, now=now) is True
    assert scene.act(alert_actions.acknowledge, actor=MEMBER, now=now) is False
    assert scene.act(alert_actions.assign, actor=OWNER, assignee=MANAGER, now=now) is True
    assert scene.act(alert_actions.assign, actor=OWNER, assignee=MANAGER, now=now) is False
    risk, created = scene.act(alert_actions.to_risk, actor=MEMBER, now=now)
    again, created_again = scene.act(alert_actions.to_risk, actor=MEMBER, now=now)
    assert created and not created_again and again.number == risk.number
    with Session(db_engine) as s:
        [stored] = s.exec(select(Risk))
        actions = [e.action for e in s.exec(select(AuditEntry).where(AuditEntry.entity == "alert"))]
    assert stored.source == "alert:past_due" and stored.owner_user_id == MANAGER
    assert stored.title == f"<@{MEMBER}> has 1 task past due (#1), 2 days late."
    assert actions == ["alert.acknowledge", "alert.assign", "alert.to_risk"]
    alert = scene.alert()
    assert alert.state == "acknowledged" and alert.acknowledged_by == MEMBER
    footer = scene.outbox()[-1].payload["reply"]["footer"]
    assert f"owner <@{MANAGER}>" in footer and "tracked as risk R1" in footer
    assert any(m.kind == "dm" and m.user_id == MANAGER for m in scene.outbox())


def test_alerts_commands_list_set_and_explain_thresholds(db_engine, now):
    scene = Scene(db_engine, now)
    run = Runner(db_engine, now)
    assert "No open alerts" in ok(run("alerts"))
    assert "1 new" in ok(run("alerts check"))
    listing = ok(run("alerts"))
    assert "Past due" in listing and "(#1), 2 days late" in listing
    assert "`overdue_days` *0*" in ok(run("alerts thresholds"))
    assert "`overdue_days` is now *3*" in ok(run("alerts set overdue_days 3"))
    assert "`overdue_days` *3* (default 0)" in ok(run("alerts thresholds"))
    assert scene.alert().state == "resolved"  # 2 days late is now within the grace
    assert "goes from 0 to 60" in refused(run("alerts set overdue_days 99"))
    assert "There is no threshold `speed`" in refused(run("alerts set speed 3"))
    assert "a number or `default`" in refused(run("alerts set overdue_days soon"))
    assert "a whole hour from 0 to 23" in refused(run("alerts set quiet_start 20.5"))
    assert "Only the project's owner or a manager" in refused(run("alerts set overdue_days 1", user=MEMBER))
    assert "(the default)" in ok(run("alerts set overdue_days default"))
    alert_id = scene.alert().id
    assert f"A{alert_id} acknowledged" in ok(run(f"alerts ack A{alert_id}", user=MEMBER))
    assert "snoozed until Sat 28 Nov 10:00 (UTC)" in ok(run(f"alerts snooze {alert_id} day"))
    assert "Added risk R1" in ok(run(f"alerts risk A{alert_id}"))
    assert "Already tracked as risk R1" in ok(run(f"alerts risk A{alert_id}"))
    assert "no alert 999" in refused(run("alerts ack 999"))


def test_the_hourly_job_checks_every_active_project_and_registers_once(db_engine, now):
    Scene(db_engine, now)
    other = make_project(db_engine, key="crm", name="CRM", channel_id="C0CRM")
    with Session(db_engine) as s:
        s.add(Task(team_id=TEAM, project_id=other.id, number=1, title="Import contacts",
                   due_date=date(2026, 11, 20)))
        s.commit()
    results = risk_jobs.detect_all(engine=db_engine, now=now)
    assert sorted(len(r.opened) for r in results.values()) == [1, 1]
    assert all(len(r.opened) == 0 for r in risk_jobs.detect_all(engine=db_engine, now=now).values())
    with Session(db_engine) as s:
        s.get(Project, other.id).state = "done"
        s.commit()
    results = risk_jobs.detect_all(engine=db_engine, now=now)
    assert [len(results[other.id].resolved), len(results[other.id].opened)] == [1, 0]
    assert other.id not in risk_jobs.detect_all(engine=db_engine, now=now)  # nothing left to watch
    scheduler = BackgroundScheduler()
    scheduler.start(paused=True)
    try:
        settings = Settings(database_url="sqlite:///unused.sqlite3")
        risk_jobs.register_jobs(scheduler, settings)
        risk_jobs.register_jobs(scheduler, settings)  # a restart replaces, never doubles
        [job] = scheduler.get_jobs()
        assert job.id == "risk-detectors" and job.func is risk_jobs.detect_all
        assert job.trigger.interval == timedelta(hours=1)
    finally:
        scheduler.shutdown(wait=False)

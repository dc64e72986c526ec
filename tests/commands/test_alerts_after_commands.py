"""A command that changes what a detector watches re-runs that detector at once:
given a task past its due date, the alert appears without waiting for the hourly run."""

from datetime import timedelta

from sqlmodel import Session, select

from bot.domain.alerts import after_audited_changes
from bot.domain.audit import last_id
from bot.models import Alert
from tests.support.factories import make_project
from tests.support.helpers import Runner


def test_a_task_due_date_that_has_passed_raises_the_past_due_alert_at_the_next_change(db_engine, now):
    """(A due date in the past is refused, so the date is set three days ago, when it was today.)"""
    project = make_project(db_engine, task_titles=("Choose hosting",))
    run = Runner(db_engine, now - timedelta(days=3))
    with Session(db_engine) as session:
        mark = last_id(session)
    reply = run(f"task due {project.key} 1 {(now - timedelta(days=3)).date().isoformat()}")
    assert not reply.error, reply.plain()
    with Session(db_engine) as session:
        results = after_audited_changes(session=session, team_id=project.team_id, since_audit_id=mark,
                                        now=now)
        session.commit()
        alerts = session.exec(select(Alert).where(Alert.project_id == project.id)).all()
    assert project.id in results
    assert [a.detector for a in alerts] == ["past_due"]


def test_a_read_only_command_runs_no_detector(db_engine, now):
    project = make_project(db_engine, task_titles=("Choose hosting",))
    run = Runner(db_engine, now)
    with Session(db_engine) as session:
        mark = last_id(session)
    run(f"status {project.key}")
    with Session(db_engine) as session:
        assert after_audited_changes(session=session, team_id=project.team_id, since_audit_id=mark,
                                     now=now) == {}

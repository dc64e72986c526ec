"""The database layer keeps a transaction whole, savepoints included."""

from datetime import UTC, datetime

from sqlmodel import Session, select

from bot.domain.outbox import Kind, enqueue
from bot.domain.replies import Reply
from bot.models import OutboxMessage
from tests.support.factories import make_project


def test_a_message_queued_first_in_a_transaction_is_undone_with_it(db_engine):
    """enqueue() uses a savepoint; on SQLite that must not commit the outer transaction."""
    project = make_project(db_engine)
    with Session(db_engine) as session:
        enqueue(session=session, team_id=project.team_id, key="k1", kind=Kind.POST,
                channel_id="C0PROJ", reply=Reply.text("hello"), now=datetime.now(UTC))
        session.rollback()
    with Session(db_engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []


def test_a_message_queued_with_its_state_change_is_committed_with_it(db_engine):
    project = make_project(db_engine)
    with Session(db_engine) as session:
        enqueue(session=session, team_id=project.team_id, key="k2", kind=Kind.POST,
                channel_id="C0PROJ", reply=Reply.text("hello"), now=datetime.now(UTC))
        session.commit()
    with Session(db_engine) as session:
        assert [m.idempotency_key for m in session.exec(select(OutboxMessage))] == ["k2"]

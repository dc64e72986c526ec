"""Count SQL statements an operation runs (SQLAlchemy `before_cursor_execute`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_statements(engine: Engine) -> Iterator[StatementCounter]:
    """Every statement sent to `engine` inside the block (SAVEPOINT/transaction control excluded)."""
    counter = StatementCounter()

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        counter.statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before)

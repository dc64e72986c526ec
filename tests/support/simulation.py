"""Simulated weeks for tests: `bot.shell.simulation.Simulation` (commands at
a simulated time; `advance`/`to` fire what the worker would on the way)
with the checks tests want on top.

    sim = simulate(db_engine, start=datetime(2031, 3, 3, 8, tzinfo=BERLIN))
    ok(sim.run('new "Office move" due 2031-04-30 budget 8k', as_="alice"))
    sim.advance(days=5)
    assert any("Standup, Fri 7 Mar" in m.text for m in sim.delivered())
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.config import Settings
from bot.models import UTCDateTime
from bot.shell.simulation import Entry, Simulation

__all__ = ["Entry", "Simulation", "simulate", "stored_timestamps"]


def simulate(engine: Engine, *, start: datetime, zone: str = "UTC", team_id: str = "T0SIM",
             detect_every: timedelta = timedelta(hours=1), **settings) -> Simulation:
    """A simulation of its own workspace, in `engine`, from `start`."""
    return Simulation(engine, Settings(**settings), start=start, zone=zone, team_id=team_id,
                      detect_every=detect_every)


def stored_timestamps(engine: Engine) -> list[tuple[str, str, datetime]]:
    """(table, column, value) of every UTC timestamp stored in the bot's tables."""
    out = []
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in present:
                continue
            columns = [c for c in table.columns if isinstance(c.type, UTCDateTime)]
            if not columns:
                continue
            for row in conn.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        out.append((table.name, column.name, value.astimezone(UTC)))
    return out

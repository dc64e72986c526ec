"""The standard standup team: six people in Berlin, a standup at 09:30 on
Tuesday 1 Dec 2026 (see `tests.support.standup_world`)."""

from __future__ import annotations

import pytest

from tests.support.standup_world import TUE, World


@pytest.fixture
def world(db_engine) -> World:
    w = World(db_engine, TUE)
    w.cmd("standup set 09:30")
    return w

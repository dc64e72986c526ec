"""Fixtures for end-to-end Slack tests: a fake Web API and the real app on a local port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import FROZEN_NOW
from tests.support.fakeslack import FakeSlack
from tests.support.slackhttp import SlackApp, settings_for


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def slack(fake, db_engine) -> Iterator[SlackApp]:
    """The production WSGI app, on SQLite and PostgreSQL, talking to `fake`."""
    with SlackApp.start(settings_for(fake), db_engine, fake, clock=lambda: FROZEN_NOW) as app:
        yield app

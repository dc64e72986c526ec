"""The fake Slack for doctor's tests (as in tests/slack)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fakeslack import FakeSlack


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server

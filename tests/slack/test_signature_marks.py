"""The web process's record of Slack's signed requests: throttled, counted, and
never in the way of the request it is about."""

from __future__ import annotations

import time

from sqlalchemy import text

from bot.slack.signature_marks import SignatureMarks, looks_signed_by_slack, read_signature_state


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_failures_are_counted_between_throttled_writes_and_a_pass_after_them_is_written_at_once(db_engine):
    tick = Clock()
    marks = SignatureMarks(db_engine, monotonic=tick)
    assert read_signature_state(db_engine) is None
    marks.passed()
    first_ok = read_signature_state(db_engine).ok_at
    tick.t += 10
    marks.passed()  # within the minute: not written again
    assert read_signature_state(db_engine).ok_at == first_ok
    for _ in range(3):
        marks.failed()  # the first is written, the next two wait for the next write
        tick.t += 1
    state = read_signature_state(db_engine)
    assert (state.failures, state.refused_since_last_pass) == (1, True)
    tick.t += 5
    marks.failed()
    assert read_signature_state(db_engine).failures == 4  # 1 + the 2 held back + this one
    marks.passed()  # within the minute, but after failures: written now
    state = read_signature_state(db_engine)
    assert (state.failures, state.refused_since_last_pass) == (0, False) and state.ok_at >= state.failed_at


def test_a_database_that_cannot_record_does_not_fail_the_request(sqlite_engine, caplog):
    with sqlite_engine.begin() as conn:
        conn.execute(text("DROP TABLE status_marks"))
    SignatureMarks(sqlite_engine).failed()  # no exception
    assert "could not record the signature check" in caplog.text


def test_only_a_fresh_v0_signature_counts_as_signed_by_slack():
    now = time.time()
    assert looks_signed_by_slack(str(int(now)), "v0=abc", now=now)
    assert not looks_signed_by_slack(str(int(now) - 301), "v0=abc", now=now)  # a replay
    assert not looks_signed_by_slack(str(int(now)), "", now=now)  # a scanner
    assert not looks_signed_by_slack("yesterday", "v0=abc", now=now)

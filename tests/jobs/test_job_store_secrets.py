"""The job store keeps no connection string: a password in DATABASE_URL must
never be pickled into the apscheduler_jobs table."""

from sqlalchemy import text

from bot.config import Settings
from bot.jobs.scheduler import build_scheduler, register_all

MARK = "SeCrEtPaSsWoRd"


def test_registered_jobs_carry_no_database_url(db_engine):
    settings = Settings(database_url=f"postgresql+psycopg://bot:{MARK}@db.example/bot")
    scheduler = build_scheduler(settings, db_engine)
    scheduler.start(paused=True)
    try:
        found = register_all(scheduler, settings)
        assert {"standup_jobs", "risk_jobs", "report_jobs"} <= set(found)
        with db_engine.connect() as conn:
            states = [bytes(row[0]) for row in conn.execute(text("SELECT job_state FROM apscheduler_jobs"))]
    finally:
        scheduler.shutdown(wait=False)
    assert len(states) >= 3
    assert not [s for s in states if MARK.encode() in s or b"postgresql+psycopg" in s]

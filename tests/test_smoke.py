"""Given a new workspace, a project can be started, tasked and reported on."""

from tests.support.helpers import Runner


def test_new_project_then_status_shows_progress(db_engine, now):
    run = Runner(db_engine, now)
    created = run('new "Website relaunch" due 2027-03-31 budget $25k')
    assert not created.error, created.plain()
    assert "key `website-relaunch`" in created.plain()
    run('task add "Choose hosting" estimate 4h')
    run('task add "Write copy" estimate 4h')
    done = run("task done 1")
    assert not done.error, done.plain()
    status = run("status")
    assert "50% of estimated hours · 1 of 2 tasks done" in status.plain()
    assert "Wed 31 Mar 2027 (124 days left)" in status.plain()
    assert "$25,000" in status.plain()

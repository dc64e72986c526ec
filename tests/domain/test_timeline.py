"""The timeline chart's rows: one per task up to 40 (milestones as diamonds),
one per milestone beyond, so 5 and 200 tasks both stay readable."""

from __future__ import annotations

from datetime import date

from bot.domain.calendar import WorkCalendar
from bot.domain.schedule import build_schedule
from bot.domain.timeline import TASK_ROWS, draw_timeline, timeline_rows
from bot.models import Milestone, Project, Task

TODAY = date(2027, 1, 4)  # a Monday


def _schedule(n: int, *, milestones: int = 4):
    project = Project(id=1, team_id="T", key="big", name="Big plan", due_date=date(2027, 6, 30))
    ms = [Milestone(id=m + 1, team_id="T", project_id=1, number=m + 1, name=f"Phase {m + 1}",
                    due_date=date(2027, 2, 1)) for m in range(milestones)]
    tasks = [Task(id=i + 1, team_id="T", project_id=1, number=i + 1, title=f"Task {i + 1}", estimate_hours=8.0,
                  milestone_id=(i * milestones // n) + 1 if milestones else None,
                  due_date=date(2027, 1, 4) if i == n - 1 else None) for i in range(n)]
    links = [(i, i + 1, 0) for i in range(1, n, 3)]  # every third task waits on the one before it
    return build_schedule(project=project, today=TODAY, tasks=tasks, links=links,
                          numbers={t.id: t.number for t in tasks}, average=8.0, rates={}, milestones=ms,
                          calendar=WorkCalendar())


def test_a_small_plan_gets_a_row_per_task_and_a_diamond_per_milestone():
    rows, grouped = timeline_rows(_schedule(5, milestones=1))
    assert not grouped
    assert [r.label for r in rows][-1] == "◆ M1 Phase 1" and rows[-1].milestone is not None
    assert len(rows) == 6 and any(r.critical for r in rows)


def test_a_large_plan_is_grouped_by_milestone_with_late_counts(tmp_path):
    s = _schedule(200)
    rows, grouped = timeline_rows(s)
    assert grouped and len(rows) == 4
    assert rows[0].label == "M1 Phase 1 (50)" and rows[-1].label == "M4 Phase 4 (50, 1 late)"
    assert rows[-1].late and all(r.milestone is not None for r in rows)
    path = draw_timeline(s, path=tmp_path / "big.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert len(_schedule(TASK_ROWS).tasks) == TASK_ROWS and not timeline_rows(_schedule(TASK_ROWS))[1]

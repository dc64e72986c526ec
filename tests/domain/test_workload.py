"""Capacity shares and week-by-week workload, as pure functions: the numbers
`people`, `chart load`, the overload alert and Home's "My week" all read."""

from __future__ import annotations

from datetime import date

from bot.domain.capacity import DEFAULT_CAPACITY, Person, capacity_of, shares
from bot.domain.workload import Work, build_load, monday, week_capacity

MON = date(2026, 12, 14)
WED = date(2026, 12, 16)


def person(capacity=None, *stakes) -> Person:
    explicit = capacity
    working = any(role in ("owner", "manager", "member") for _, _, _, role, _ in stakes)
    return Person("U0DAN", explicit, shares(capacity_of(explicit, working=working), list(stakes)))


def test_capacity_defaults_to_40h_for_people_who_work_and_none_for_readers():
    assert capacity_of(None, working=True) == DEFAULT_CAPACITY == 40.0
    assert capacity_of(None, working=False) is None  # stakeholders, sponsors, clients
    assert capacity_of(10.0, working=False) == 10.0  # unless someone gives them one
    assert person(None, (1, "site", "Site", "stakeholder", None)).capacity is None


def test_projects_without_an_allocation_share_what_the_allocations_leave():
    p = person(None, (1, "site", "Site", "member", 10.0), (2, "crm", "CRM", "member", None),
               (3, "net", "Net", "manager", None), (4, "doc", "Docs", "stakeholder", None))
    assert [s.share for s in p.stakes] == [10.0, 15.0, 15.0, 0.0]
    assert p.allocated == 10.0 and p.capacity == 40.0
    over = person(None, (1, "site", "Site", "member", 40.0), (2, "net", "Net", "member", 10.0),
                  (3, "crm", "CRM", "member", None))
    assert [s.share for s in over.stakes] == [40.0, 10.0, 0.0] and over.allocated == 50.0


def test_work_counts_in_the_week_it_is_due_and_overdue_work_in_this_week():
    p = person(None, (1, "site", "Site", "member", None), (2, "crm", "CRM", "member", None))
    load = build_load(person=p, name="dan", today=WED, away=[], weeks=3, work=[
        Work("U0DAN", 1, date(2026, 12, 10), 6.0, 1, 1),  # overdue: this week
        Work("U0DAN", 1, date(2026, 12, 18), 20.0, 2, 2),
        Work("U0DAN", 2, date(2026, 12, 17), 26.0, 1, 1),
        Work("U0DAN", 2, date(2026, 12, 22), 5.0, 2, 1),  # next week; one of the two unestimated
        Work("U0DAN", 2, date(2027, 1, 20), 9.0, 1, 1),  # beyond the weeks shown: open, not in a week
        Work("U0DAN", 1, None, 3.0, 1, 1),  # no due date
    ])
    this, nxt, third = load.weeks
    assert (this.start, nxt.start, third.start) == (MON, date(2026, 12, 21), date(2026, 12, 28))
    assert this.due == {1: 26.0, 2: 26.0} and this.total == 52.0 and this.overdue == 6.0 and this.over
    assert nxt.due == {2: 5.0} and not nxt.over and third.total == 0
    assert load.open_hours == {1: 29.0, 2: 40.0} and load.open_tasks == {1: 4, 2: 4}
    assert load.unestimated == {2: 1}
    assert load.peak() == 52.0 / 40.0


def test_days_away_lower_a_weeks_capacity():
    assert week_capacity(40.0, MON, {date(2026, 12, 15), date(2026, 12, 16), date(2026, 12, 19)}) == (24.0, 2)
    assert week_capacity(None, MON, {MON}) == (None, 1)
    assert monday(date(2026, 12, 20)) == MON  # a Sunday belongs to the week that began on Monday


def test_at_their_share_the_open_work_finishes_on_a_working_day_skipping_days_away():
    p = person(None, (1, "net", "Net", "member", 10.0), (2, "crm", "CRM", "member", None))
    load = build_load(person=p, name="dan", today=MON, away=[date(2026, 12, 17)], weeks=1,
                      work=[Work("U0DAN", 1, None, 9.0, 1, 1), Work("U0DAN", 2, None, 4.0, 1, 1)])
    assert load.finish_at_share(1) == date(2026, 12, 21)  # 2h a day: Mon-Wed, Fri, Mon (Thu away)
    assert load.finish_at_share(2) == MON  # 30h a week: 6h a day
    nothing = build_load(person=person(None, (1, "net", "Net", "member", 0.0)), name="", today=MON, away=[],
                         work=[Work("U0DAN", 1, None, 9.0, 1, 1)], weeks=1)
    assert nothing.finish_at_share(1) is None  # no share: never, and no made-up date

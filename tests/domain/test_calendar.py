"""Working days: weekends, public holidays per region, company days off, people away."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from bot.domain import calendar
from bot.domain.errors import Invalid
from bot.models import DayOff
from tests.support.factories import make_project
from tests.support.helpers import TEAM


def test_weekends_are_not_working_days():
    assert calendar.is_working_day(date(2026, 12, 4))  # Friday
    assert not calendar.is_working_day(date(2026, 12, 5))  # Saturday
    assert not calendar.is_working_day(date(2026, 12, 6))  # Sunday


def test_public_holidays_depend_on_country_and_region():
    epiphany = date(2027, 1, 6)
    assert not calendar.is_working_day(epiphany, country="DE", subdiv="BY")  # Bavaria: holiday
    assert calendar.is_working_day(epiphany, country="DE", subdiv="BE")  # Berlin: not
    assert calendar.holiday_name(date(2026, 12, 25), country="DE") == "Christmas Day"
    assert calendar.holiday_name(date(2026, 11, 26), country="US") == "Thanksgiving Day"
    assert calendar.holiday_name(date(2026, 11, 26), country="DE") is None


def test_company_days_off_and_custom_weekdays():
    eve = date(2026, 12, 24)  # a Thursday, no public holiday in Germany
    assert calendar.is_working_day(eve, country="DE")
    assert not calendar.is_working_day(eve, country="DE", days_off={eve})
    assert not calendar.is_working_day(date(2026, 12, 1), weekdays={0, 2, 4})  # Tuesday


def test_counting_and_adding_working_days_over_christmas_in_bavaria():
    facts = {"country": "DE", "subdiv": "BY", "days_off": {date(2026, 12, 24), date(2026, 12, 31)}}
    # Mon 21 Dec .. Sun 3 Jan: 10 weekdays, minus 25 Dec, 1 Jan (public) and 24, 31 Dec (company)
    assert calendar.working_days_between(date(2026, 12, 21), date(2027, 1, 4), **facts) == 6
    assert calendar.working_days_between(date(2027, 1, 4), date(2026, 12, 21), **facts) == 0
    assert calendar.add_working_days(date(2026, 12, 23), 1, **facts) == date(2026, 12, 28)
    assert calendar.add_working_days(date(2026, 12, 23), 0, **facts) == date(2026, 12, 23)
    assert list(calendar.working_days(date(2026, 12, 28), date(2027, 1, 3), **facts)) == [
        date(2026, 12, 28), date(2026, 12, 29), date(2026, 12, 30)]


def test_weekday_and_region_parsing_with_clear_errors():
    assert calendar.parse_weekdays("mon-fri") == calendar.MON_FRI
    assert calendar.parse_weekdays("Mon,Wed,Fri") == {0, 2, 4}
    assert calendar.parse_weekdays("fri-mon") == {4, 5, 6, 0}
    assert calendar.format_weekdays({0, 1, 2, 3, 4}) == "mon-fri"
    assert calendar.format_weekdays({0, 2, 4}) == "mon,wed,fri"
    assert calendar.parse_holidays("de-by") == ("DE", "BY")
    with pytest.raises(Invalid, match="mon-fri"):
        calendar.parse_weekdays("someday")
    with pytest.raises(Invalid, match="country code"):
        calendar.parse_holidays("XX")
    with pytest.raises(Invalid, match="no region `ZZ`"):
        calendar.parse_holidays("DE-ZZ")


def test_from_the_database_days_off_and_people_away(db_engine):
    project = make_project(db_engine)
    with Session(db_engine) as s:
        s.add(DayOff(team_id=TEAM, project_id=project.id, start_date=date(2026, 12, 24),
                     end_date=date(2026, 12, 24)))
        s.add(DayOff(team_id=TEAM, user_id="U0BOB", start_date=date(2026, 12, 21),
                     end_date=date(2027, 1, 3)))  # away from every project
        s.add(DayOff(team_id=TEAM, user_id="U0CAROL", project_id=project.id,
                     start_date=date(2026, 12, 28), end_date=date(2026, 12, 28)))
        s.add(DayOff(team_id="T0OTHER", user_id="U0DAN", start_date=date(2026, 12, 21),
                     end_date=date(2026, 12, 31)))  # another workspace
        s.commit()
        assert calendar.away_users(session=s, team_id=TEAM, project_id=project.id,
                                   day=date(2026, 12, 28)) == {"U0BOB", "U0CAROL"}
        assert calendar.away_users(session=s, team_id=TEAM, project_id=project.id,
                                   day=date(2027, 1, 4)) == set()
        cal = calendar.work_calendar(session=s, project=project, start=date(2026, 12, 1),
                                     end=date(2026, 12, 31))
        assert cal.days_off == {date(2026, 12, 24)}
        assert cal.why_not_working(date(2026, 12, 24)) == "company day off"
        assert cal.why_not_working(date(2026, 12, 26)) == "weekend"
        assert cal.working_days_between(date(2026, 12, 21), date(2026, 12, 28)) == 4
        assert calendar.user_days_away(session=s, team_id=TEAM, user_id="U0BOB", start=date(2027, 1, 1),
                                       end=date(2027, 1, 10)) == {date(2027, 1, d) for d in (1, 2, 3)}

"""Reading the dates people type, so that none is misread.

The rules (the README's "Values" says the same):
- `2027-03-31`, `31 Mar`, `Mar 31`, `31 March 2027`, `Thu 31 Dec 2026` (a
  weekday given must match), `31/12`, `31.12.2026`, `12/31/26`.
- Day and month in numbers follow `DATE_ORDER` (`DMY` by default, `MDY` for
  the US) when both could be either (`1/2`); a form valid only one way round
  is read that way (`12/31` is 31 Dec, `31/12` too); `32/12` is refused.
- A year is never made up: without one, a day and month mean the next such
  day from today, unless it fell in the last two months (then that one, so
  `due 1 Dec` said on 3 Dec is refused as two days ago rather than moved to
  next year); where only the past makes sense (money spent, hours logged),
  the latest such day up to today. A date more than two years away needs
  its year written in full.
- Weekdays: `fri`, `friday` and `next friday` all mean the first Friday after
  today (said on a Friday: a week later); `this friday` is today on a Friday;
  `last friday` the latest Friday before today. Where only the past makes
  sense, a bare `friday` is the latest Friday up to today.
- `today`, `tomorrow`, `yesterday`, `in 3 days`, `in 2 weeks`, `in 1 month`,
  `2 days ago`; other wordy phrases (`next week`) are read by dateparser.
- Tense: a due date in the past is refused ("that was two days ago"); a
  date of something that happened is refused in the future.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, timedelta

import dateparser

from bot.domain.format import day

ANY, FUTURE, PAST = "any", "future", "past"
ORDERS = ("DMY", "MDY")
MONTHS = {name: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")], start=1) for name in names}
WEEKDAYS = {name: i for i, names in enumerate(
    [("mon", "monday"), ("tue", "tues", "tuesday"), ("wed", "weds", "wednesday"),
     ("thu", "thur", "thurs", "thursday"), ("fri", "friday"), ("sat", "saturday"), ("sun", "sunday")])
    for name in names}
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
FAR = 730  # days: further away than two years needs the year written in full
RECENT = 62  # days: a yearless day and month this recent means the past one
HINT = "a date like 2027-03-31, 31 Mar, 31/3, next friday or in 2 weeks"

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,4})([/.])(\d{1,2})(?:\2(\d{2}|\d{4}))?\.?$")
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(\d{4}))?"
_DAY_MONTH = re.compile(rf"^{_ORDINAL}(?:\s+of)?\s+([a-z]+)\.?{_YEAR}$")
_MONTH_DAY = re.compile(rf"^([a-z]+)\.?\s+{_ORDINAL}{_YEAR}$")
_RELATIVE = re.compile(r"^in\s+(\d+|[a-z]+)\s+(day|week|month)s?$|^(\d+|[a-z]+)\s+(day|week|month)s?\s+ago$")
_WEEKDAY_PHRASE = re.compile(r"^(?:(next|this|last|on)\s+)?([a-z]+)$")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")


class DateError(ValueError):
    """Text that is not a date, or a date that does not fit; the message says which and why."""


class TenseError(DateError):
    """A real date on the wrong side of today (a due date in the past)."""


def full(d: date) -> str:
    """`Thu 31 Dec 2026`: a date spelled out so a misreading shows at once."""
    return day(d, year=True)


def ago(days: int) -> str:
    """`yesterday`, `two days ago`, `45 days ago`."""
    if days == 1:
        return "yesterday"
    word = next((w for w, n in NUMBER_WORDS.items() if n == days and len(w) > 2), str(days))
    return f"{word} days ago"


def parse_date(text: str, *, today: date, order: str = "DMY", tense: str = ANY) -> date:
    """A calendar date from what someone typed (the rules are in the module
    docstring); `DateError` says what was wrong."""
    raw = " ".join(text.strip().split())
    if not raw or len(raw) > 40:
        raise DateError(f"Expected {HINT} (got `{_shown(raw)}`).")
    value, year_written = _read(raw.lower(), raw, today=today, order=order, tense=tense)
    if not 1900 < value.year < 2200:
        raise DateError(f"`{_shown(raw)}` is not a date this bot plans for; expected {HINT}.")
    if abs((value - today).days) > FAR and not year_written:
        raise DateError(f"`{_shown(raw)}` would be {full(value)}, more than two years away; "
                        f"write the year if you mean it, like {value.isoformat()}.")
    return value


def check_tense(value: date, raw: str, *, today: date, tense: str, what: str = "") -> date:
    """Refuse a due date in the past, or a date of something done in the future."""
    shown = f"`{_shown(raw)}` is {full(value)}" if raw else full(value)
    if tense == FUTURE and value < today:
        raise TenseError(f"{shown}: that was {ago((today - value).days)}, "
                        f"and {what or 'a due date'} cannot be in the past.")
    if tense == PAST and value > today:
        raise TenseError(f"{shown}, which is in the future: record it once it has happened.")
    return value


def _read(low: str, raw: str, *, today: date, order: str, tense: str) -> tuple[date, bool]:
    """(date, whether a four-digit year was written)."""
    if low in ("today", "tomorrow", "yesterday"):
        return today + timedelta(days={"today": 0, "tomorrow": 1, "yesterday": -1}[low]), False
    if m := _ISO.match(low):
        return _make(int(m[1]), int(m[2]), int(m[3]), raw), True
    if m := _NUMERIC.match(low):
        return _numeric(m, raw, today=today, order=order, tense=tense)
    words = low.replace(",", " ").split()
    weekday = None
    if len(words) > 1 and words[0] in WEEKDAYS and (words[1].isdigit() or words[1] in MONTHS
                                                    or words[1][:1].isdigit()):
        weekday, low = WEEKDAYS[words[0]], " ".join(words[1:])  # `Thu 31 Dec 2026`, as replies show it
    if (m := _DAY_MONTH.match(low)) and m[2] in MONTHS:
        return _named(int(m[1]), MONTHS[m[2]], m[3], raw, weekday, today=today, tense=tense)
    if (m := _MONTH_DAY.match(low)) and m[1] in MONTHS:
        return _named(int(m[2]), MONTHS[m[1]], m[3], raw, weekday, today=today, tense=tense)
    if m := _RELATIVE.match(low):
        return _relative(m, raw, today=today), False
    if (m := _WEEKDAY_PHRASE.match(low)) and m[2] in WEEKDAYS:
        return _weekday(m[1], WEEKDAYS[m[2]], today=today, tense=tense), False
    if re.search(r"\d", low) or any(w in MONTHS or w in WEEKDAYS for w in words):
        raise DateError(f"Expected {HINT} (got `{_shown(raw)}`).")
    return _fallback(raw, today=today), False


def _make(year: int, month: int, day_: int, raw: str) -> date:
    if not 1 <= month <= 12:
        raise DateError(f"`{_shown(raw)}` is not a date: there is no month {month}.")
    days = monthrange(year, month)[1]
    if not 1 <= day_ <= days:
        raise DateError(f"`{_shown(raw)}` is not a date: {_MONTH_NAMES[month - 1]} {year} has {days} days.")
    return date(year, month, day_)


def _numeric(m: re.Match, raw: str, *, today: date, order: str, tense: str) -> tuple[date, bool]:
    first, second, year_text = m[1], int(m[3]), m[4]
    if len(first) == 4:  # 2027/3/31
        if not year_text:
            raise DateError(f"Expected {HINT} (got `{_shown(raw)}`).")
        return _make(int(first), second, int(year_text), raw), True
    a = int(first)
    if a > 12 and second > 12:
        raise DateError(f"`{_shown(raw)}` is not a date: neither {a} nor {second} can be a month.")
    if a > 12:
        day_, month = a, second  # only day-first fits: 31/12
    elif second > 12:
        day_, month = second, a  # only month-first fits: 12/31
    else:
        day_, month = (a, second) if order == "DMY" else (second, a)
    if year_text:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        value = _make(year, month, day_, raw)
        return value, len(year_text) == 4
    return _yearless(month, day_, raw, today=today, tense=tense), False


def _named(day_: int, month: int, year_text: str | None, raw: str, weekday: int | None, *,
           today: date, tense: str) -> tuple[date, bool]:
    if year_text:
        value = _make(int(year_text), month, day_, raw)
    else:
        value = _yearless(month, day_, raw, today=today, tense=tense)
    if weekday is not None and value.weekday() != weekday:
        names = [f"{n.capitalize()}day" for n in ("mon", "tues", "wednes", "thurs", "fri", "satur", "sun")]
        raise DateError(f"{value.day} {_MONTH_NAMES[month - 1]} {value.year} is a {names[value.weekday()]}, "
                        f"not a {names[weekday]}; which did you mean?")
    return value, bool(year_text)


def _yearless(month: int, day_: int, raw: str, *, today: date, tense: str) -> date:
    """The next such day, or the past one if within `RECENT` days; with
    `PAST`, the latest up to today."""
    if not 1 <= month <= 12:
        raise DateError(f"`{_shown(raw)}` is not a date: there is no month {month}.")
    most = 29 if month == 2 else monthrange(2001, month)[1]
    if not 1 <= day_ <= most:
        raise DateError(f"`{_shown(raw)}` is not a date: {_MONTH_NAMES[month - 1]} has {most} days.")
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, month, day_))
        except ValueError:  # 29 Feb outside a leap year
            continue
    past = [c for c in candidates if c <= today]
    coming = [c for c in candidates if c >= today]
    if not (past if tense == PAST else coming):
        raise DateError(f"`{_shown(raw)}`: 29 February comes only in leap years; write the year, "
                        "like 2028-02-29.")
    if tense == PAST:
        return max(past)
    recent = max((c for c in past if c < today), default=None)
    if recent is not None and (today - recent).days <= RECENT:
        return recent
    return min(coming)


def _relative(m: re.Match, raw: str, *, today: date) -> date:
    amount_text, unit = (m[1], m[2]) if m[1] else (m[3], m[4])
    amount = int(amount_text) if amount_text.isdigit() else NUMBER_WORDS.get(amount_text)
    if amount is None or amount > 10_000:
        raise DateError(f"Expected {HINT} (got `{_shown(raw)}`).")
    sign = 1 if m[1] else -1
    if unit == "day":
        return today + timedelta(days=sign * amount)
    if unit == "week":
        return today + timedelta(weeks=sign * amount)
    months = today.month - 1 + sign * amount
    year, month = today.year + months // 12, months % 12 + 1
    if not 1900 < year < 2200:
        raise DateError(f"`{_shown(raw)}` is too far away to plan for.")
    return date(year, month, min(today.day, monthrange(year, month)[1]))


def _weekday(word: str | None, weekday: int, *, today: date, tense: str) -> date:
    ahead = (weekday - today.weekday()) % 7
    if word == "this":
        return today + timedelta(days=ahead)
    if word == "last" or (word in (None, "on") and tense == PAST):
        back = (today.weekday() - weekday) % 7
        return today - timedelta(days=back or (7 if word == "last" else 0))
    return today + timedelta(days=ahead or 7)


def _fallback(raw: str, *, today: date) -> date:
    base = datetime(today.year, today.month, today.day, 12, 0)
    try:
        parsed = dateparser.parse(raw, languages=["en"], settings={
            "RELATIVE_BASE": base, "PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False})
    except (ValueError, OverflowError, ArithmeticError):  # dateparser on odd input
        parsed = None
    if parsed is None:
        raise DateError(f"Expected {HINT} (got `{_shown(raw)}`).")
    return parsed.date()


def _shown(raw: str, limit: int = 40) -> str:
    return raw if len(raw) <= limit else raw[: limit - 1] + "…"

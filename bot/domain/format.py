"""Plain-text formatting shared by every transport: money, dates, bars."""

from __future__ import annotations

from datetime import date, datetime

SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£"}


def money(cents: int | None, currency: str = "USD") -> str:
    """`$25,000` or `$1,200.50`; other currencies as `25,000 SEK`."""
    if cents is None:
        return "not set"
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    whole, frac = divmod(cents, 100)
    amount = f"{whole:,}" + (f".{frac:02d}" if frac else "")
    symbol = SYMBOL.get(currency)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"


def day(d: date | None, *, year: bool | None = None, today: date | None = None) -> str:
    """`Fri 4 Dec` (with the year when it is not this year)."""
    if d is None:
        return "no date"
    show_year = year if year is not None else (today is None or d.year != today.year)
    return f"{d:%a} {d.day} {d:%b}" + (f" {d.year}" if show_year else "")


def moment(local: datetime, *, today: date | None = None) -> str:
    """`Fri 4 Dec 14:00` (a local time; the year as `day` shows it)."""
    return f"{day(local.date(), today=today or local.date())} {local:%H:%M}"


def plural(n: int | float, word: str, many: str | None = None) -> str:
    """`1 task`, `2 tasks`, `0 tasks`, `1 entry`, `3 entries`, `1.5 days`: every
    count in a reply goes through here, so none reads "1 tasks"."""
    return f"{n:g} {word if n == 1 else (many or plural_of(word))}"


def plural_of(word: str) -> str:
    """`task` -> `tasks`, `entry` -> `entries`, `box` -> `boxes` (the last word of a phrase)."""
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def ratio(value: float, limit: float | None = None, *, places: int = 2) -> str:
    """`0.87`; with a `limit` the value is compared against, enough decimals
    that the two never read the same (0.8996 under 0.90 is `0.8996`, not `0.90`)."""
    for digits in (places, places + 1, places + 2):
        text = f"{value:.{digits}f}"
        shown = float(text)
        if limit is None or ((shown < limit) == (value < limit) and (shown == limit) == (value == limit)):
            return text
    return f"{value:g}"


def percent(share: float) -> str:
    """`23%`, rounded, but never `100%` short of all nor `0%` above nothing."""
    value = share * 100
    shown = int(value + 0.5) if value >= 0 else -int(-value + 0.5)  # half up: 112.5% is 113%
    if shown >= 100 and value < 100:
        return "99%"
    if shown == 0 and value > 0:
        return "under 1%"
    return f"{shown}%"


def upper_first(text: str) -> str:
    """`finished Fri 4 Dec` -> `Finished Fri 4 Dec` (unlike `str.capitalize`, the rest stays)."""
    return text[:1].upper() + text[1:]


def bar(fraction: float, width: int = 10) -> str:
    """A text progress bar: ▓▓▓▓░░░░░░."""
    fraction = min(max(fraction, 0.0), 1.0)
    filled = round(fraction * width)
    return "▓" * filled + "░" * (width - filled)


def days_phrase(days: int) -> str:
    if days > 1:
        return f"{days} days left"
    if days == 1:
        return "1 day left"
    if days == 0:
        return "due today"
    return f"{-days} day{'s' if days < -1 else ''} overdue"


def hours(h: float | None) -> str:
    if h is None:
        return "-"
    return f"{h:g}h"


def mention(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "nobody"


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"

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

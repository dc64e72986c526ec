"""The one small grammar behind every `/project` command.

Text is split into tokens: words, "quoted strings", Slack user mentions
(`<@U123|name>`, `<@U123>`) and channel refs (`<#C123|name>`). Values are read
by the `parse_*` functions; each raises `UsageError` with a message that says
what was expected.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.commands import dates


class UsageError(Exception):
    """The command text does not fit the grammar; the message says what was expected."""


class FirmError(UsageError):
    """A value that was read but cannot be (a due date in the past): refused
    as it is, never taken as part of a title instead."""


class Kind(StrEnum):
    WORD = "word"
    QUOTED = "quoted"
    USER = "user"
    CHANNEL = "channel"


@dataclass(frozen=True)
class Token:
    kind: Kind
    value: str  # the word, the quoted text, or the Slack id
    label: str = ""  # the display name of a mention, if Slack sent one

    @property
    def lower(self) -> str:
        return self.value.lower() if self.kind is Kind.WORD else ""


# Straight and typographic double quotes (Slack and phones turn " into “ ”);
# any of them closes a string opened by any other.
_QUOTES = frozenset('"\u201c\u201d\u201e\u201f\u2033')
_ANGLE = re.compile(r"<([@#!])([A-Za-z0-9^._-]{1,40})(?:\|([^>]*))?>")
_SLACK_ID = re.compile(r"^[A-Z0-9]{1,32}$")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")

MAX_TEXT = 4000


def clean_text(text: str) -> str:
    """Drop control characters and lone surrogates (no database stores a NUL)."""
    return "".join(
        " " if ch in "\t\n\r\v\f" else ch
        for ch in text
        if not (ch < " " and ch not in "\t\n\r\v\f") and ch != "\x7f" and not "\ud800" <= ch <= "\udfff"
    )


def tokenize(text: str) -> list[Token]:
    """Split command text into tokens; raises `UsageError` on an unclosed quote."""
    if len(text) > MAX_TEXT:
        raise UsageError(f"That command is too long ({len(text)} characters; at most {MAX_TEXT}).")
    text = clean_text(text)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in _QUOTES:
            j = i + 1
            while j < n and text[j] not in _QUOTES:
                j += 1
            if j >= n:
                raise UsageError('A quote is not closed: put the text between two " marks.')
            tokens.append(Token(Kind.QUOTED, html.unescape(text[i + 1 : j])))
            i = j + 1
            continue
        if ch == "<":
            m = _ANGLE.match(text, i)
            if m:
                sigil, ident, label = m.group(1), m.group(2).upper(), html.unescape(m.group(3) or "")
                if sigil == "@" and _SLACK_ID.match(ident):
                    tokens.append(Token(Kind.USER, ident, label))
                elif sigil == "#" and _SLACK_ID.match(ident):
                    tokens.append(Token(Kind.CHANNEL, ident, label))
                else:  # <!here>, <!subteam^S1|@team>: kept as a plain word
                    tokens.append(Token(Kind.WORD, "@" + (label.lstrip("@") or m.group(2))))
                i = m.end()
                continue
            m = _LINK.match(text, i)
            if m:
                tokens.append(Token(Kind.WORD, m.group(1)))
                i = m.end()
                continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in _QUOTES and text[j] != "<":
            j += 1
        if j == i:  # a lone '<' that is not a Slack reference
            j = i + 1
        tokens.append(Token(Kind.WORD, html.unescape(text[i:j])))
        i = j
    return tokens


# --- values -------------------------------------------------------------------


def shown(raw: str, limit: int = 40) -> str:
    """User text quoted back in an error, cut short so the reply stays short."""
    raw = raw.strip()
    return raw if len(raw) <= limit else raw[: limit - 1] + "…"


def parse_date(text: str, *, today: date, order: str = "DMY", tense: str = dates.ANY,
               what: str = "") -> date:
    """A calendar date (`bot.commands.dates` has the rules); with a `tense`,
    a due date in the past or a done thing in the future is refused (`what`
    names the date in that message, like "a due date")."""
    try:
        value = dates.parse_date(text, today=today, order=order, tense=tense)
        return dates.check_tense(value, text.strip(), today=today, tense=tense, what=what)
    except dates.TenseError as exc:
        raise FirmError(str(exc)) from None
    except dates.DateError as exc:
        raise UsageError(str(exc)) from None


_MONEY = re.compile(
    r"^(?P<sym>[$€£])?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<dec>\.\d{1,2})?(?P<suf>[kKmM])?(?P<after>[$€£])?$"
)
_EURO_STYLE = re.compile(r"^[$€£]?\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?[$€£]?$|^[$€£]?\d+,\d{1,2}[$€£]?$")
SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}
# ISO 4217 codes people write next to an amount (`2400 EUR`, `EUR 2400`, `2400eur`)
CURRENCY_CODES = frozenset("""
USD EUR GBP CHF JPY CNY INR AUD CAD NZD SEK NOK DKK ISK PLN CZK HUF RON BGN TRY UAH ZAR BRL MXN ARS CLP
COP PEN SGD HKD TWD KRW THB MYR IDR PHP VND ILS AED SAR QAR KWD EGP NGN KES MAD
""".split())  # noqa: SIM905
_CODE_AROUND = re.compile(r"^(?P<before>[A-Za-z]{3})?(?P<amount>[$€£]?[\d.,]+[kKmM]?[$€£]?)(?P<after>[A-Za-z]{3})?$")
_PER_HOUR = re.compile(r"(?:/h|/hr|/hour|ph)$", re.I)


@dataclass(frozen=True)
class Money:
    cents: int
    currency: str | None = None  # from a symbol or code, if one was given


def currency_code(word: str) -> str | None:
    """`EUR` (any case) -> "EUR"; None when the word is not a currency we know."""
    code = word.strip().upper()
    return code if code in CURRENCY_CODES else None


def parse_money(text: str) -> Money:
    """An amount: `25000`, `25k`, `1.2k`, `1.5m`, `$25,000`, `1,200.50`, `2400€`,
    `2400EUR`. Returns cents and the currency a symbol or code named."""
    raw = text.strip()
    code = None
    if (around := _CODE_AROUND.match(raw)) and (around["before"] or around["after"]):
        word = around["before"] or around["after"]
        code = currency_code(word)
        if code is None or (around["before"] and around["after"]):
            raise UsageError(f"`{shown(word)}` is not a currency code like EUR or USD (in `{shown(raw)}`).")
        raw = around["amount"]
    if _EURO_STYLE.match(raw):
        raise UsageError(f"Write `{shown(raw)}` with a dot for decimals and commas for thousands, like 1,200.50.")
    m = _MONEY.match(raw)
    if not m or (m.group("sym") and m.group("after")):
        raise UsageError(f"Expected an amount like 25000, 25k or $25,000 (got `{shown(text.strip())}`).")
    whole = int(m.group("int").replace(",", ""))
    frac = m.group("dec") or ""
    cents = whole * 100 + (int(frac[1:].ljust(2, "0")) if frac else 0)
    suffix = (m.group("suf") or "").lower()
    if suffix:
        cents *= 1000 if suffix == "k" else 1_000_000
    if cents > 10**13:
        raise UsageError(f"`{shown(raw)}` is more than this bot can count; is it a typo?")
    symbol = SYMBOLS.get(m.group("sym") or m.group("after") or "")
    if code and symbol and code != symbol:
        raise UsageError(f"`{shown(text.strip())}` names two currencies.")
    return Money(cents, code or symbol)


def strip_per_hour(text: str) -> str:
    """`€85/h`, `85/hr`, `85ph` -> the amount alone (for hourly rates)."""
    return _PER_HOUR.sub("", text.strip())


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([wdhm])")
HOURS_PER = {"w": 40.0, "d": 8.0, "h": 1.0, "m": 1 / 60}
_UNIT_WORDS = [(re.compile(r"(?<=[\d.])\s*(?:weeks|week|wks|wk)\b"), "w"),
               (re.compile(r"(?<=[\d.])\s*(?:days|day)\b"), "d"),
               (re.compile(r"(?<=[\d.])\s*(?:hours|hour|hrs|hr)\b"), "h"),
               (re.compile(r"(?<=[\d.])\s*(?:minutes|minute|mins|min)\b"), "m")]
DURATION_UNITS = frozenset({"w", "weeks", "week", "wks", "wk", "d", "days", "day", "h", "hours", "hour",
                            "hrs", "hr", "m", "minutes", "minute", "mins", "min"})


def parse_duration(text: str) -> float:
    """Hours from `3h`, `3 hours`, `2,5h`, `90m`, `90 min`, `1.5d` (8h), `1w`
    (40h) or `2h30m`."""
    raw = text.strip().lower()
    normal = raw.replace(",", ".")
    for pattern, unit in _UNIT_WORDS:
        normal = pattern.sub(unit, normal)
    normal = re.sub(r"\s+", "", normal)
    parts = _DURATION_PART.findall(normal)
    if not parts or "".join(n + u for n, u in parts) != normal:
        raise UsageError(f"Expected a duration like 3h, 90m or 1.5d (got `{shown(text)}`).")
    hours = sum(float(n) * HOURS_PER[u] for n, u in parts)
    if hours <= 0 or hours > 10_000:
        raise UsageError(f"A duration is more than 0 and at most 10000h (got `{shown(text)}`).")
    return round(hours, 4)


def parse_int(text: str, *, what: str, low: int | None = None, high: int | None = None) -> int:
    raw = text.strip().lstrip("#")
    if not re.fullmatch(r"-?\d{1,9}", raw):
        raise UsageError(f"Expected {what} as a number (got `{shown(text)}`).")
    value = int(raw)
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise UsageError(f"{what.capitalize()} must be {bounds} (got {value}).")
    return value

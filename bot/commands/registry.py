"""The `/project` subcommand table, the command context, and argument reading.

A handler is registered with `@command("task add", usage=..., examples=[...])`;
its docstring's first line is its help text. Handlers read arguments through
`Args` and return a `Reply`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.commands.dates import ANY, FUTURE, PAST
from bot.commands.grammar import (
    DURATION_UNITS,
    FirmError,
    Kind,
    Money,
    Token,
    UsageError,
    currency_code,
    parse_date,
    parse_duration,
    parse_int,
    parse_money,
    shown,
    strip_per_hour,
)
from bot.domain import projects as project_service
from bot.domain.replies import Reply
from bot.domain.standups import TIME_OF_DAY
from bot.models import Project


@dataclass
class Context:
    """Who is asking, where, when, and the open database session."""

    session: Session
    team_id: str
    user_id: str
    channel_id: str = ""
    now: datetime = field(kw_only=True)  # the command's clock: every timestamp it writes
    default_timezone: str = "UTC"
    default_currency: str = "USD"
    date_order: str = "DMY"  # how 1/2 is read: DMY (1 Feb) or MDY (2 Jan); the DATE_ORDER setting
    # the delivery this command came in (`command:{trigger_id}`): a second
    # delivery of the same body changes nothing and gets the first one's answer
    request_key: str = ""
    public_url: str = ""  # PUBLIC_URL: where status pages are reached from outside Slack
    email_configured: bool = False  # SMTP_URL and SMTP_FROM are set

    def today(self, project: Project | None = None) -> date:
        """Today's date in the project's zone (or the workspace default)."""
        tz = ZoneInfo(project.timezone if project else self.default_timezone)
        return self.now.astimezone(tz).date()


Handler = Callable[[Context, "Args"], Reply]


@dataclass
class Command:
    path: tuple[str, ...]
    handler: Handler
    usage: str
    examples: list[str]

    @property
    def name(self) -> str:
        return " ".join(self.path)

    @property
    def summary(self) -> str:
        doc = (self.handler.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""


COMMANDS: dict[tuple[str, ...], Command] = {}


def command(name: str, *, usage: str, examples: list[str] | None = None) -> Callable[[Handler], Handler]:
    """Register a handler for `/project <name>`."""

    def register(func: Handler) -> Handler:
        path = tuple(name.split())
        COMMANDS[path] = Command(path=path, handler=func, usage=usage, examples=examples or [])
        return func

    return register


# --- reading arguments ----------------------------------------------------------

OptionParser = Callable[["Args", int], tuple[object, int]]


class Args:
    """The tokens after the subcommand, consumed by the handler."""

    def __init__(self, tokens: list[Token], ctx: Context):
        self.tokens = list(tokens)
        self.ctx = ctx
        self.project: Project | None = None
        self.timezone: str | None = None  # a zone named in the command (`new ... tz ZONE`)
        self.notes: list[str] = []  # told to the user under the reply
        self._deferred: UsageError | None = None  # an option that did not parse (free text)
        self._deferred_name = ""

    def __bool__(self) -> bool:
        return bool(self.tokens)

    # projects
    def take_project(self, *, required: bool = True) -> Project | None:
        """A leading project key, else the channel's project, else the only project."""
        ctx = self.ctx
        if self.tokens and self.tokens[0].kind is Kind.WORD:
            found = project_service.find_project(
                session=ctx.session, team_id=ctx.team_id, key=self.tokens[0].value
            )
            if found:
                self.tokens.pop(0)
                self.project = found
                return found
        found = project_service.project_for_channel(
            session=ctx.session, team_id=ctx.team_id, channel_id=ctx.channel_id
        ) or project_service.closed_project_for_channel(  # a closed project stays readable in its channel
            session=ctx.session, team_id=ctx.team_id, channel_id=ctx.channel_id
        )
        if found is None:
            active = project_service.list_projects(session=ctx.session, team_id=ctx.team_id)
            if len(active) == 1:
                found = active[0]
            elif required and not active:
                raise UsageError("There are no projects yet. Start one with `/project new \"Name\"`.")
            elif required:
                keys = ", ".join(f"`{p.key}`" for p in active[:6])
                more = f" and {len(active) - 6} more in `/project list`" if len(active) > 6 else ""
                raise UsageError(
                    f"Which project? Name it first (one of {keys}{more}) or `/project link` this channel."
                )
        self.project = found
        return found

    def today(self) -> date:
        """Today in the command's zone, else the project's, else the default."""
        if self.timezone:
            return self.ctx.now.astimezone(ZoneInfo(self.timezone)).date()
        return self.ctx.today(self.project)

    # options: `key value` pairs anywhere after the subcommand
    def take_options(self, spec: dict[str, str], *, free_text: bool = False) -> dict[str, object]:
        """Remove `name value` pairs; spec maps option name -> kind
        (text, date, due, past, money, duration, int, user, word, flag; a
        `due` date may not be in the past, a `past` one not in the future).

        With `free_text` (the command also takes an unquoted title), an option
        word whose value does not parse stays in place as part of the text:
        `task add Update due diligence docs due friday` is a task titled
        "Update due diligence docs" due on Friday. If those words are left
        over in the end, `expect_end` reports why the value did not parse."""
        found: dict[str, object] = {}
        i = 0
        while i < len(self.tokens):
            tok = self.tokens[i]
            name = tok.lower
            if name in spec and name not in found:
                kind = spec[name]
                if kind == "flag":
                    found[name] = True
                    del self.tokens[i]
                    continue
                try:
                    if i + 1 >= len(self.tokens):
                        raise UsageError(f"`{name}` needs a value ({_KIND_HINT[kind]}).")
                    value, used = self._read_value(kind, i + 1, set(spec), name)
                except FirmError:
                    raise
                except UsageError as exc:
                    if not free_text:
                        if i > 0 and self.tokens[i - 1].kind is Kind.WORD:
                            raise UsageError(f"{exc} If `{name}` belongs to the text before it, "
                                             "put that text in quotes.") from None
                        raise
                    if self._deferred is None:
                        self._deferred = exc
                        self._deferred_name = name
                    i += 1
                    continue
                found[name] = value
                del self.tokens[i : i + 1 + used]
                continue
            i += 1
        return found

    def _read_value(self, kind: str, start: int, keywords: set[str], name: str) -> tuple[object, int]:
        tok = self.tokens[start]
        if kind == "user":
            if tok.kind is not Kind.USER:
                raise UsageError(f"`{name}` expects a person, like @alice.")
            return tok.value, 1
        if kind in TENSES:
            words = [tok.value] if tok.kind is Kind.QUOTED else []
            for t in self.tokens[start : start + 5] if tok.kind is not Kind.QUOTED else ():
                if t.kind is not Kind.WORD or t.lower in keywords:
                    break
                words.append(t.value)
            return self.read_date(words, tense=TENSES[kind], what="" if name.startswith("__") else f"a {name} date")
        if tok.kind not in (Kind.WORD, Kind.QUOTED):
            raise UsageError(f"`{name}` expects {_KIND_HINT[kind]}.")
        if kind == "money":
            return self._money_at(start)
        if kind == "duration":
            return self._duration_at(start)
        if kind == "int":
            return parse_int(tok.value, what=name), 1
        if kind == "text" and tok.kind is Kind.WORD:
            # unquoted text runs until the next option word or mention
            words = []
            for t in self.tokens[start:]:
                if t.kind is not Kind.WORD or t.lower in keywords:
                    break
                words.append(t.value)
            return " ".join(words), len(words)
        return tok.value, 1

    # positional arguments
    def take_user(self, *, what: str = "a person, like @alice", required: bool = True) -> str | None:
        for i, tok in enumerate(self.tokens):
            if tok.kind is Kind.USER:
                del self.tokens[i]
                return tok.value
        if required:
            raise UsageError(f"Expected {what}.")
        return None

    def take_channel(self) -> str:
        for i, tok in enumerate(self.tokens):
            if tok.kind is Kind.CHANNEL:
                del self.tokens[i]
                return tok.value
        raise UsageError("Expected a channel, like #website.")

    def take_int(self, *, what: str, low: int | None = 1) -> int:
        if not self.tokens or self.tokens[0].kind is not Kind.WORD:
            raise UsageError(f"Expected {what}.")
        return parse_int(self.tokens.pop(0).value, what=what, low=low)

    def take_word(self, *, what: str, choices: list[str] | None = None, required: bool = True) -> str | None:
        if not self.tokens or self.tokens[0].kind is not Kind.WORD:
            if required:
                raise UsageError(f"Expected {what}.")
            return None
        word = self.tokens[0].lower
        if choices and word not in choices:
            if not required:
                return None
            raise UsageError(f"Expected {what}: one of {', '.join(choices)} (got `{shown(word)}`).")
        self.tokens.pop(0)
        return word

    def take_text(self, *, what: str, required: bool = True) -> str:
        """A quoted string, or the run of plain words that follows."""
        if self.tokens and self.tokens[0].kind is Kind.QUOTED:
            return self.tokens.pop(0).value
        words = []
        while self.tokens and self.tokens[0].kind is Kind.WORD:
            words.append(self.tokens.pop(0).value)
        if not words and required:
            raise UsageError(f"Expected {what}.")
        if self._deferred is not None and words:
            reason = str(self._deferred).rstrip(".")
            self.notes.append(f"`{self._deferred_name}` was read as part of the text, not as an "
                              f"option ({reason}). Quote the text to make it explicit.")
            self._deferred = None
        return " ".join(words)

    def take_money(self, *, what: str, per_hour: bool = False) -> Money:
        """An amount, with a currency code before or after it (`2400 EUR`,
        `EUR 2400`); with `per_hour`, also `€85/h`, `85 EUR/h`, `85 per hour`."""
        if not self.tokens or self.tokens[0].kind is Kind.USER:
            raise UsageError(f"Expected {what}, like 25000 or $25k.")
        value, used = self._money_at(0, per_hour=per_hour)
        del self.tokens[:used]
        return value

    def _money_at(self, i: int, *, per_hour: bool = False) -> tuple[Money, int]:
        """The amount at token `i` and how many tokens it took."""
        toks = self.tokens

        def word(j: int) -> str:
            return toks[j].value if j < len(toks) and toks[j].kind is Kind.WORD else ""

        def code_at(j: int) -> str | None:  # a separate code: EUR, or eur/usd/gbp/chf in lower case
            w = strip_per_hour(word(j)) if per_hour else word(j)
            return currency_code(w) if w.isupper() or w in {"eur", "usd", "gbp", "chf"} else None

        if toks[i].kind not in (Kind.WORD, Kind.QUOTED):
            raise UsageError("Expected an amount like 25000 or $25k.")
        before = code_at(i) if word(i + 1)[:1].isdigit() else None
        at = i + 1 if before else i  # the amount itself
        raw = toks[at].value
        value = parse_money(strip_per_hour(raw) if per_hour else raw)
        after = None if before else code_at(at + 1)
        end = at + 1 + (1 if after else 0)  # the first token after the amount
        if per_hour:  # `85 per hour`, `85 an hour`, `85 /h`
            if word(end).lower() in {"/h", "/hr", "/hour", "hourly"}:
                end += 1
            elif word(end).lower() in {"per", "an", "a"} and word(end + 1).lower() in {"hour", "h", "hr"}:
                end += 2
        used = end - i
        code = before or after
        if code and value.currency and code != value.currency:
            raise UsageError(f"`{shown(raw)} {code}` names two currencies.")
        return Money(value.cents, code or value.currency), used

    def _duration_at(self, i: int) -> tuple[float, int]:
        """A duration at token `i` (`3h`, `3 hours`, `2,5h`, `2h 30m`) and how many tokens it took."""
        toks = self.tokens
        raw = toks[i].value
        nxt = toks[i + 1].value.lower() if i + 1 < len(toks) and toks[i + 1].kind is Kind.WORD else ""
        if nxt in DURATION_UNITS and re.fullmatch(r"\d+(?:[.,]\d+)?", raw.strip()):
            return parse_duration(f"{raw} {nxt}"), 2
        hours = parse_duration(raw)
        if re.fullmatch(r"\d+(?:h|hours?)", raw.strip().lower()) and re.fullmatch(r"\d+(?:m|min|mins|minutes?)", nxt):
            return hours + parse_duration(nxt), 2  # 2h 30m
        return hours, 1

    def take_time(self) -> str | None:
        """A time of day at the front (`09:30`, `9:30am`, `9:30 am`, `9pm`), as
        typed; None when the next words are not one."""
        if not self.tokens or self.tokens[0].kind is not Kind.WORD:
            return None
        first = self.tokens[0].value
        nxt = self.tokens[1].lower if len(self.tokens) > 1 else ""
        if re.fullmatch(r"\d{1,2}(?:[:.]\d{2})?", first) and nxt in {"am", "pm", "a.m.", "p.m."}:
            del self.tokens[:2]
            return f"{first}{nxt}"
        if TIME_OF_DAY.match(first):
            self.tokens.pop(0)
            return first
        return None

    def take_duration(self, *, what: str = "hours worked, like 3h, 90m or 1.5d") -> float:
        if not self.tokens or self.tokens[0].kind is not Kind.WORD:
            raise UsageError(f"Expected {what}.")
        hours, used = self._duration_at(0)
        del self.tokens[:used]
        return hours

    def read_date(self, words: list[str], *, tense: str = ANY, what: str = "") -> tuple[date, int]:
        """The longest run of `words` from the first that reads as a date:
        (date, how many words). A date on the wrong side of today is refused."""
        last_error: UsageError | None = None
        for size in range(len(words), 0, -1):
            try:
                value = parse_date(" ".join(words[:size]), today=self.today(), order=self.ctx.date_order)
            except UsageError as exc:
                last_error = last_error or exc
                continue
            return parse_date(" ".join(words[:size]), today=self.today(), order=self.ctx.date_order,
                              tense=tense, what=what) if tense != ANY else value, size
        raise last_error or UsageError(f"Expected {_KIND_HINT['date']}.")

    def take_date(self, *, what: str, tense: str = ANY) -> date:
        if not self.tokens:
            raise UsageError(f"Expected {what}: {_KIND_HINT['date']}.")
        self.tokens.insert(0, Token(Kind.WORD, "__date__"))
        kind = {ANY: "date", FUTURE: "due", PAST: "past"}[tense]
        return self.take_options({"__date__": kind})["__date__"]  # type: ignore[return-value]

    def take_trailing_date(self, *, tense: str = ANY) -> date | None:
        """A date written as the last few plain words (`spend 40 food "Lunch" last friday`),
        taken off the end; None when they are not a date."""
        words = []
        for tok in reversed(self.tokens[-5:]):
            if tok.kind is not Kind.WORD:
                break
            words.insert(0, tok.value)
        for size in range(len(words), 0, -1):
            try:
                value = parse_date(" ".join(words[-size:]), today=self.today(), order=self.ctx.date_order)
            except UsageError:
                continue
            if tense != ANY:
                value = parse_date(" ".join(words[-size:]), today=self.today(), order=self.ctx.date_order,
                                   tense=tense)
            del self.tokens[-size:]
            return value
        return None

    def expect_end(self) -> None:
        if self.tokens and self._deferred is not None:
            raise self._deferred
        if self.tokens:
            extra = " ".join(t.value if t.kind is not Kind.USER else f"<@{t.value}>" for t in self.tokens)
            raise UsageError(f"Did not understand `{extra[:80]}`.")


TENSES = {"date": ANY, "due": FUTURE, "past": PAST}
_KIND_HINT = {
    "text": "some text",
    "date": "a date like 2027-03-31, 31 Mar, 31/3 or next friday",
    "due": "a date like 2027-03-31, 31 Mar, 31/3 or next friday",
    "past": "a date like 2026-11-03, 3 Nov, yesterday or last friday",
    "money": "an amount like 25000 or $25k",
    "duration": "a duration like 3h or 1.5d",
    "int": "a number",
    "user": "a person, like @alice",
    "word": "a word",
    "flag": "nothing",
}

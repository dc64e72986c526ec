"""The one grammar behind every `/project` command: tokens and values."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.commands.grammar import (
    MAX_TEXT,
    Kind,
    Money,
    Token,
    UsageError,
    parse_date,
    parse_duration,
    parse_int,
    parse_money,
    tokenize,
)
from bot.commands.registry import Args, Context

TODAY = date(2026, 11, 27)  # a Friday


def kinds_and_values(text: str) -> list[tuple[str, str]]:
    return [(t.kind.value, t.value) for t in tokenize(text)]


# --- tokens --------------------------------------------------------------------


def test_words_and_quoted_strings():
    assert kinds_and_values('task add "Choose hosting" due friday') == [
        ("word", "task"), ("word", "add"), ("quoted", "Choose hosting"), ("word", "due"),
        ("word", "friday")]


@pytest.mark.parametrize("text", [
    "\u201cChoose hosting\u201d",  # Slack's curly quotes
    "\u201eChoose hosting\u201c",  # German-style
    '"Choose hosting\u201d',  # mixed: typed straight, closed curly
])
def test_curly_quotes_are_quotes(text):
    assert kinds_and_values(text) == [("quoted", "Choose hosting")]


def test_an_unclosed_quote_says_so():
    with pytest.raises(UsageError, match="quote is not closed"):
        tokenize('task add "Choose hosting')


def test_user_mentions_with_and_without_a_name():
    toks = tokenize("<@U123ABC|bob> <@u0carol>")
    assert toks == [Token(Kind.USER, "U123ABC", "bob"), Token(Kind.USER, "U0CAROL", "")]


def test_channel_refs():
    assert tokenize("link <#C0WEB|website>") == [Token(Kind.WORD, "link"),
                                                 Token(Kind.CHANNEL, "C0WEB", "website")]


def test_special_mentions_and_links_are_plain_words():
    toks = tokenize("<!here> <!subteam^S1|@devs> <https://example.com|site>")
    assert [(t.kind, t.value) for t in toks] == [
        (Kind.WORD, "@here"), (Kind.WORD, "@devs"), (Kind.WORD, "https://example.com")]


def test_slack_html_escapes_are_undone():
    assert kinds_and_values('"R&amp;D &lt;phase 2&gt;" a&amp;b') == [
        ("quoted", "R&D <phase 2>"), ("word", "a&b")]


def test_a_mention_with_an_implausibly_long_id_is_not_a_person():
    toks = tokenize("<@U" + "X" * 60 + ">")
    assert all(t.kind is not Kind.USER for t in toks)


def test_control_characters_are_dropped():
    assert kinds_and_values("status\x00 web\x07site\tnow") == [
        ("word", "status"), ("word", "website"), ("word", "now")]


def test_too_long_text_is_refused_with_the_limit():
    with pytest.raises(UsageError, match=f"at most {MAX_TEXT}"):
        tokenize("x" * (MAX_TEXT + 1))


# --- dates ---------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("2027-03-31", date(2027, 3, 31)),
    ("31 Mar", date(2027, 3, 31)),
    ("31 march 2027", date(2027, 3, 31)),
    ("next friday", date(2026, 12, 4)),
    ("friday", date(2026, 12, 4)),
    ("in 2 weeks", date(2026, 12, 11)),
    ("in 3 days", date(2026, 11, 30)),
    ("today", TODAY),
    ("Tomorrow", date(2026, 11, 28)),
    ("5 Dec", date(2026, 12, 5)),
])
def test_dates(text, expected):
    assert parse_date(text, today=TODAY) == expected


@pytest.mark.parametrize("text", ["someday", "3", "", "banana split", "x" * 50])
def test_bad_dates_say_what_is_expected(text):
    with pytest.raises(UsageError, match="2027-03-31, 31 Mar, 31/3, next friday"):
        parse_date(text, today=TODAY)


def test_an_impossible_date_says_why():
    with pytest.raises(UsageError, match="not a date: February 2027 has 28 days"):
        parse_date("2027-02-30", today=TODAY)


def test_relative_dates_count_from_the_given_today():
    assert parse_date("tomorrow", today=date(2027, 12, 31)) == date(2028, 1, 1)
    assert parse_date("in 2 weeks", today=date(2027, 1, 1)) == date(2027, 1, 15)


# --- money ---------------------------------------------------------------------


@pytest.mark.parametrize("text, cents, currency", [
    ("25000", 2_500_000, None),
    ("25k", 2_500_000, None),
    ("25K", 2_500_000, None),
    ("1.5m", 150_000_000, None),
    ("$25,000", 2_500_000, "USD"),
    ("1,200.50", 120_050, None),
    ("€300", 30_000, "EUR"),
    ("£99.9", 9_990, "GBP"),
    ("0", 0, None),
])
def test_money(text, cents, currency):
    assert parse_money(text) == Money(cents, currency)


@pytest.mark.parametrize("text", ["€1.200,50", "1.200", "12,50"])
def test_comma_decimals_are_refused_with_a_hint(text):
    with pytest.raises(UsageError, match="dot for decimals and commas for thousands"):
        parse_money(text)


@pytest.mark.parametrize("text", ["lots", "-5", "25kk", "1,20,000", "$", "9" * 20])
def test_bad_amounts_say_what_is_expected(text):
    with pytest.raises(UsageError, match="amount like 25000|more than this bot can count"):
        parse_money(text)


# --- durations -----------------------------------------------------------------


@pytest.mark.parametrize("text, hours", [
    ("3h", 3.0), ("90m", 1.5), ("1.5d", 12.0), ("2h30m", 2.5), ("1w", 40.0), ("3H", 3.0),
])
def test_durations(text, hours):
    assert parse_duration(text) == hours


@pytest.mark.parametrize("text", ["3", "h", "3x", "0h", "20000h", "-3h", "3 apples"])
def test_bad_durations_say_what_is_expected(text):
    with pytest.raises(UsageError, match="duration"):
        parse_duration(text)


def test_numbers():
    assert parse_int("#3", what="a task number") == 3
    with pytest.raises(UsageError, match="a task number as a number"):
        parse_int("three", what="a task number")
    with pytest.raises(UsageError, match="must be from 1 to 5"):
        parse_int("9", what="likelihood", low=1, high=5)


# --- options (`key value` pairs) -----------------------------------------------


def args_for(text: str) -> Args:
    ctx = Context(session=None, team_id="T", user_id="U", now=datetime(2026, 11, 27, 10, tzinfo=UTC))  # type: ignore[arg-type]
    return Args(tokenize(text), ctx)


def test_options_anywhere_with_multi_word_dates():
    args = args_for('"Choose hosting" due next friday estimate 4h <@U1|bob>')
    opts = args.take_options({"due": "date", "estimate": "duration"})
    assert opts == {"due": date(2026, 12, 4), "estimate": 4.0}
    assert args.take_user() == "U1"
    assert args.take_text(what="a title") == "Choose hosting"
    args.expect_end()


def test_unquoted_text_option_runs_to_the_next_option():
    args = args_for("goal More online orders due 31 Mar")
    assert args.take_options({"goal": "text", "due": "date"}) == {
        "goal": "More online orders", "due": date(2027, 3, 31)}


def test_a_bad_option_value_is_named():
    args = args_for('"X" budget lots')
    with pytest.raises(UsageError, match="amount like 25000"):
        args.take_options({"budget": "money"})


def test_an_option_without_a_value_is_named():
    with pytest.raises(UsageError, match="`due` needs a value"):
        args_for('"X" due').take_options({"due": "date"})


def test_free_text_keeps_an_option_word_that_has_no_value():
    args = args_for("Update due diligence docs due friday")
    opts = args.take_options({"due": "date"}, free_text=True)
    assert opts == {"due": date(2026, 12, 4)}
    assert args.take_text(what="a title") == "Update due diligence docs"
    args.expect_end()


def test_free_text_that_is_quoted_still_reports_the_bad_value():
    args = args_for('"Call vendor" due tomorow')
    args.take_options({"due": "date"}, free_text=True)
    assert args.take_text(what="a title") == "Call vendor"
    with pytest.raises(UsageError, match="got `tomorow`"):
        args.expect_end()


def test_leftover_words_are_named():
    args = args_for('"X" banana')
    args.take_text(what="a title")
    with pytest.raises(UsageError, match="Did not understand `banana`"):
        args.expect_end()


@pytest.mark.parametrize("parse", [
    parse_money, parse_duration, lambda t: parse_date(t, today=TODAY),
    lambda t: parse_int(t, what="a task number")])
def test_errors_quote_long_input_cut_short(parse):
    with pytest.raises(UsageError) as exc:
        parse("7x" * 1500)
    assert len(str(exc.value)) < 200 and "…" in str(exc.value)

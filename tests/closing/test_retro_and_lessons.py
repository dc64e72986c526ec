"""After closing: the retrospective (answered in text here; the Slack modal in
tests/slack), its summary by the hourly job, lessons kept by hand or from the
retrospective, found again by words and tags, and suggested by `new`."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.jobs.closing_jobs import summarise_due
from bot.models import Lesson, RetroAnswer
from tests.closing.world import ANNA, BEN, CLIENT, Office
from tests.support.helpers import refused


def answer_all(w: Office) -> None:
    w('retro well "Cabling went in a day early" badly "The ISP was late" '
      'differently "Book the ISP three weeks ahead" score 4', user=ANNA)
    w('retro badly "Nobody owned the firewall" differently "Name an owner per device" score 2', user=BEN)


def test_members_answer_in_text_and_the_job_summarises_with_names(db_engine, now):
    w = Office(db_engine, now)
    w("close confirm days 3")
    assert "your retrospective of *Office network move* is saved" in w(
        'retro netmove well "Cabling went in a day early" score 3', user=ANNA)
    answer_all(w)  # Anna again: her answers are updated, not doubled
    assert "already says that; nothing changed" in w('retro score 4', user=ANNA)
    with Session(db_engine) as s:
        mine = s.exec(select(RetroAnswer).where(RetroAnswer.user_id == ANNA)).one()
    assert (mine.went_well, mine.satisfaction) == ("Cabling went in a day early", 4)
    shown = w("retro", user=BEN)
    assert "2 answers so far (named)" in shown and "Nobody owned the firewall" in shown
    assert summarise_due(engine=db_engine, now=now + timedelta(days=2)) == []  # still collecting
    assert summarise_due(engine=db_engine, now=now + timedelta(days=3)) == [w.closure().id]
    assert summarise_due(engine=db_engine, now=now + timedelta(days=4)) == []  # once
    [post] = w.outbox("retro:1:summary")
    text = "\n".join(s["text"] for s in post.payload["reply"]["sections"])
    assert post.channel_id == "C0NET"
    assert "2 of 4 members answered · satisfaction 3.0 of 5 (from 2 scores)." in text
    assert "• Book the ISP three weeks ahead (<@U0ANNA>)" in text and "*What did not go well*" in text
    with Session(db_engine) as s:
        kept = s.exec(select(Lesson).order_by(Lesson.id)).all()
    assert [(lesson.text, lesson.source) for lesson in kept] == [
        ("Book the ISP three weeks ahead", "retro"), ("Name an owner per device", "retro")]
    assert "was summarised on Mon 30 Nov 2026" in refused(w.reply("retro score 5", user=ANNA))
    assert "2 answers, summarised · 2 lessons kept." in w("status")


def test_an_anonymous_retrospective_shows_no_names(db_engine, now):
    w = Office(db_engine, now)
    w("close confirm retro anonymous")
    answer_all(w)
    assert "Summarised now and posted in <#C0NET>" in w("retro summary")
    [post] = w.outbox("retro:1:summary")
    text = "\n".join(s["text"] for s in post.payload["reply"]["sections"])
    assert "Answers are shown without names." in text and "<@U0" not in text
    assert "Book the ISP three weeks ahead" in text


def test_who_may_answer_and_what_is_refused(db_engine, now):
    w = Office(db_engine, now)
    assert "is not closed, so there is no retrospective" in refused(w.reply("retro score 3", user=ANNA))
    w("close confirm")
    assert "is for its members" in refused(w.reply("retro score 3", user=CLIENT))
    assert "is for its members" in refused(w.reply("retro netmove score 3", user="U0NOBODY"))
    assert "from 1 (not at all) to 5 (very)" in refused(w.reply("retro score 7", user=ANNA))
    assert "Only the project's owner can summarise" in refused(w.reply("retro summary", user=ANNA))
    w("reopen")
    assert summarise_due(engine=db_engine, now=now + timedelta(days=30)) == []  # reopened: never summarised
    with Session(db_engine) as s:
        assert s.exec(select(RetroAnswer)).all() == []


def test_lessons_by_hand_are_listed_newest_first_and_found_by_words_and_tags(db_engine, now):
    w = Office(db_engine, now)
    first = w('lessons add "The ISP needs three weeks\' notice" tag vendor tag isp')
    assert "Kept with *Office network move* (tags: vendor isp)" in first
    assert "already kept" in w('lessons add "The ISP needs three weeks\' notice" tag vendor tag isp')
    w.run.now = now + timedelta(hours=1)
    w('lessons add "Label every cable at both ends" tag cabling')
    w.run.now = now + timedelta(hours=2)
    w('lessons add "Freeze changes the week before a move"', channel="D0OWNER")  # a DM: no project? one open
    listed = w("lessons")
    assert listed.index("Freeze changes") < listed.index("Label every cable") < listed.index("The ISP needs")
    assert "*Office network move*: The ISP needs three weeks' notice · #vendor #isp" in listed
    assert "3 lessons." in listed
    assert "Label every cable" in w("lessons cable") and "ISP" not in w("lessons cable")
    assert "The ISP" in w("lessons tag vendor") and "cable" not in w("lessons tag vendor")
    assert "No lessons match `printer`" in w("lessons printer")
    assert "A tag is one word" in refused(w.reply('lessons add "x" tag "two words"'))
    assert "Only people on *Office network move*" in refused(w.reply('lessons add netmove "x"', user="U0NOBODY"))


def test_new_suggests_up_to_three_earlier_lessons_from_similar_projects(db_engine, now):
    w = Office(db_engine, now)
    for text in ("The ISP needs three weeks' notice", "Label every cable at both ends",
                 "Book the electrician early", "Order switches before the holidays"):
        w(f'lessons add "{text}"')
    w('new "Garden party" key party', channel="C0PARTY")
    w('lessons add party "Rent the tent early"', channel="C0PARTY")
    w("close netmove confirm")
    reply = w('new "Warehouse network upgrade" key warehouse goal "Faster wifi in the warehouse"',
              channel="C0WARE")
    tips = [line for line in reply.split("\n") if line.startswith("💡")]
    assert len(tips) == 3 and all(t.startswith("💡 Last time (Office network move): ") for t in tips)
    assert "tent" not in reply
    unrelated = w('new "Summer party" key summer', channel="C0SUM")
    assert "💡 Last time (Garden party): Rent the tent early" in unrelated and "ISP" not in unrelated
    assert "💡" not in w('new "Payroll tool" key payroll', channel="C0PAY")

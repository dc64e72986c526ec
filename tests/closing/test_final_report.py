"""The final report: the same planned-vs-actual numbers as a message, in
Markdown, CSV and a real PDF (opened with pypdf and read back), also through
`python -m bot report KEY --final`."""

from __future__ import annotations

import csv
import io

from click.testing import CliRunner
from pypdf import PdfReader
from sqlmodel import Session

from bot.__main__ import cli
from bot.domain.closing.close import export_final
from bot.domain.members import remember_user
from tests.closing.world import ANNA, BEN, Office
from tests.support.helpers import TEAM


def closed_office(db_engine, now) -> Office:
    w = Office(db_engine, now)
    with Session(db_engine) as s:  # names as Slack's users.info gave them
        for user, name in (("U0OWNER", "Olga Owner"), (ANNA, "Anna Šimková"), (BEN, "Ben Okafor")):
            remember_user(session=s, team_id=TEAM, user_id=user, name=name, now=now)
        s.commit()
    w("milestone done M1")
    w("close risk 1 happened cost 1.2k")
    w('lessons add "The ISP needs three weeks\' notice" tag vendor')
    w("close confirm")
    return w


EXPECTED = [
    "Office network move: final report",
    "Closed Fri 27 Nov 2026 by Olga Owner (UTC).",
    "Budget (baseline)", "$8,000", "$1,580", "-$6,420 (20% of plan)",
    "Mon 2 Nov 2026",  # planned and actual start
    "Fri 18 Dec 2026", "21 days early",  # finish
    "28h", "16h", "-12h (57% of plan)",  # effort: estimates vs logged
    "Goal: Move the office network without downtime", "Objective: Cheaper premises",
    "M1 Cabling done: planned Fri 4 Dec 2026, reached Fri 27 Nov 2026 (7 days early)",
    "M2 Cut-over: planned Fri 18 Dec 2026, not reached",
    "None: the scope did not change.",
    "R1 ISP needs notice: happened, cost $1,200", "Cost of risks that happened: $1,200.",
    "Ben Okafor (member): 10h", "Anna Šimková (member): 6h", "Total logged: 16h.",
    "The ISP needs three weeks' notice [vendor]",
]


def test_markdown_has_every_part_with_names(db_engine, now):
    w = closed_office(db_engine, now)
    with Session(db_engine) as s:
        md = export_final(session=s, key="netmove", now=now, fmt="md").decode()
    assert md.startswith("# Office network move: final report\n")
    for part in EXPECTED:
        assert part in md, part
    assert "| Budget (baseline) | $8,000 | $1,580 | -$6,420 (20% of plan) |" in md
    assert "CPI " in md and "SPI " in md and "U0ANNA" not in md
    assert w.closure().final["cpi"] is not None


def test_the_pdf_is_a_real_document_whose_text_and_charts_are_there(db_engine, now):
    closed_office(db_engine, now)
    with Session(db_engine) as s:
        data = export_final(session=s, key="netmove", now=now, fmt="pdf")
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.title == "Office network move: final report"
    text = "\n".join(page.extract_text() for page in reader.pages)
    for part in EXPECTED:
        assert part in text, part
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 2  # the burn-up and the budget chart


def test_csv_rows_carry_planned_and_actual(db_engine, now):
    closed_office(db_engine, now)
    with Session(db_engine) as s:
        rows = list(csv.reader(io.StringIO(export_final(session=s, key="netmove", now=now, fmt="csv").decode())))
    assert rows[0] == ["section", "item", "planned", "actual", "variance"]
    by = {(r[0], r[1]): r[2:] for r in rows[1:]}
    assert by[("plan", "budget")] == ["8000.00", "1580.00", "USD"]
    assert by[("plan", "start")][:2] == ["2026-11-02", "2026-11-02"]
    assert by[("plan", "finish")][:2] == ["2026-12-18", "2026-11-27"]
    assert by[("plan", "effort_hours")][:2] == ["28.0", "16.0"]
    assert by[("milestone", "M1 Cabling done")] == ["2026-12-04", "2026-11-27", "reached"]
    assert by[("risk", "R1 ISP needs notice")] == ["", "happened", "1200.00"]
    assert by[("team", "Ben Okafor")] == ["member", "10.0", ""]


def test_the_message_and_the_command_line_agree(db_engine, now, monkeypatch, tmp_path):
    w = closed_office(db_engine, now)
    text = w("report netmove final")
    assert "• *Budget (baseline)*: planned $8,000, actual $1,580 (-$6,420 (20% of plan))" in text
    assert "• <@U0BEN> (member): 10h" in text
    assert "`/project status`" in w.run("report netmove final", user="U0CLIENT").plain()  # clients: refused
    monkeypatch.setenv("DATABASE_URL", db_engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    md = runner.invoke(cli, ["report", "netmove", "--final", "--format", "md"])
    assert md.exit_code == 0 and "| Effort | 28h | 16h | -12h (57% of plan) |" in md.output
    out = tmp_path / "final.pdf"
    pdf = runner.invoke(cli, ["report", "netmove", "--final", "--format", "pdf", "--output", str(out)])
    assert pdf.exit_code == 0, pdf.output
    assert "Ben Okafor (member): 10h" in PdfReader(out).pages[0].extract_text()
    assert runner.invoke(cli, ["report", "netmove", "--format", "pdf"]).exit_code == 2
    assert runner.invoke(cli, ["report", "nope", "--final"]).exit_code == 1


def test_the_files_posted_at_closing_are_the_same_report(db_engine, now):
    w = closed_office(db_engine, now)
    _, md, pdf = w.outbox("final:")
    with open(md.payload["file_path"], encoding="utf-8") as f:
        assert "R1 ISP needs notice: happened, cost $1,200" in f.read()
    assert "Cost of risks that happened: $1,200." in "".join(
        p.extract_text() for p in PdfReader(pdf.payload["file_path"]).pages)


def test_the_plan_and_scope_changes_come_from_baselines_and_change_requests(db_engine, now):
    """An open change request holds the close back; once decided, the report shows Baseline 1's
    budget and due beside the final plan and lists each decided request with what it changed."""
    w = Office(db_engine, now)
    w('change add "Wi-Fi in the meeting rooms" budget +2k due +1w reason "Asked by the board"', user=ANNA)
    w('change add "Cameras" budget +1k', user=ANNA)
    check = w("close")
    assert "2 open change requests" in check and "CR-1 Wi-Fi in the meeting rooms" in check
    w("change approve CR-1")
    w('change reject CR-2 reason "Next year"')
    w("milestone done M1")
    w("close risk 1 did-not-happen")
    w("close confirm")
    with Session(db_engine) as s:
        md = export_final(session=s, key="netmove", now=now, fmt="md").decode()
    assert "| Budget (baseline) | $8,000 |" in md and "| Budget (final plan) | $10,000 |" in md
    assert "CR-1 Wi-Fi in the meeting rooms: approved on Fri 27 Nov 2026, budget +$2,000, +7 days" in md
    assert "CR-2 Cameras: rejected on Fri 27 Nov 2026" in md
    assert "None: the scope did not change." not in md

"""The final report as a reply (Slack and shell), Markdown, CSV and PDF.

One set of lines feeds every format, so the numbers agree between them.
The PDF is written with fpdf2 in DejaVu Sans (the font matplotlib ships), so
names in any script and currency signs print; the charts are embedded as PNG.
People's hours are shown, never their cost (rates are for owners and managers,
and the report is posted to the channel).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.domain.closing.final import OUTCOME_WORDS, FinalReport
from bot.domain.format import day, hours, money, percent, plural, ratio
from bot.domain.replies import Reply, Section


@dataclass(frozen=True)
class Row:
    """One planned-vs-actual line."""

    what: str
    planned: str
    actual: str
    variance: str


def _days(delta: int, early: str = "early", late: str = "late") -> str:
    return "on plan" if delta == 0 else f"{plural(abs(delta), 'day')} {late if delta > 0 else early}"


def _date_row(what: str, planned: date | None, actual: date | None) -> Row:
    variance = _days((actual - planned).days) if planned and actual else "-"
    return Row(what, day(planned, year=True) if planned else "not set",
               day(actual, year=True) if actual else "-", variance)


def plan_rows(r: FinalReport) -> list[Row]:
    """Budget (first plan and current), start, finish, effort: planned vs actual."""
    cur, actual = r.project.currency, r.status.actual_cents
    rows = []
    budgets = [("Budget (baseline)", r.plan.first_budget_cents)]
    if r.plan.budget_cents != r.plan.first_budget_cents:
        budgets.append(("Budget (final plan)", r.plan.budget_cents))
    for label, budget in budgets:
        if budget:
            diff = actual - budget
            variance = f"{'+' if diff > 0 else ''}{money(diff, cur)} ({percent(actual / budget)} of plan)"
        else:
            variance = "-"
        rows.append(Row(label, money(budget, cur) if budget is not None else "not set", money(actual, cur), variance))
    rows.append(_date_row("Start", r.plan.start, r.actual_start))
    if r.plan.first_due and r.plan.first_due != r.plan.due:
        rows.append(_date_row("Finish (baseline)", r.plan.first_due, r.actual_finish))
    rows.append(_date_row("Finish", r.plan.due, r.actual_finish))
    effort_var = "-"
    if r.planned_hours:
        diff = r.logged_hours - r.planned_hours
        effort_var = f"{'+' if diff > 0 else ''}{diff:g}h ({percent(r.logged_hours / r.planned_hours)} of plan)"
    rows.append(Row("Effort", hours(r.planned_hours) if r.planned_hours else "not estimated",
                    hours(r.logged_hours), effort_var))
    return rows


def indices(r: FinalReport) -> str:
    cpi = ratio(r.cpi) if r.cpi is not None else "n/a (no budget or no cost)"
    spi = ratio(r.spi) if r.spi is not None else "n/a (no plan to compare with)"
    return f"CPI {cpi} · SPI {spi}"


def headline(r: FinalReport, who: str = "") -> str:
    """`Closed Fri 4 Dec 2026 by Alice (Europe/Berlin).`, or the day the figures are from."""
    p = r.project
    if r.closed_on:
        by = f" by {who}" if who else ""
        return f"Closed {day(r.closed_on, year=True)}{by} ({p.timezone})."
    return f"Not closed yet: figures as of {day(r.status.today, year=True)} ({p.timezone})."


def _sections(r: FinalReport, names: dict[str, str] | None) -> list[tuple[str, list[str]]]:
    """(heading, lines) in report order; shared by Markdown, PDF and the reply."""
    p = r.project
    closer = r.closure.closed_by if r.closure else ""
    out: list[tuple[str, list[str]]] = [("", [headline(r, names.get(closer, closer) if names is not None
                                                     else f"<@{closer}>" if closer else "")])]
    out.append(("Goal and objective", [f"Goal: {p.goal or 'not set'}", f"Objective: {p.objective or 'not set'}"]))
    out.append(("Final figures", [indices(r),
                                  f"Tasks: {r.tasks_done} done, {r.tasks_cancelled} cancelled, {r.tasks_open} left open."]))
    ms = [f"M{m.number} {m.name}: planned {day(m.planned, year=True) if m.planned else 'no date'}, "
          + (f"reached {day(m.actual, year=True)} ({_days(m.slip_days)})" if m.actual and m.slip_days is not None
             else f"reached {day(m.actual, year=True)}" if m.actual else m.state)
          for m in r.milestones]
    out.append(("Milestones", ms or ["No milestones."]))
    changes = [f"{c.ref} {c.title}: {c.state}" + (f" on {day(c.decided_on, year=True)}" if c.decided_on else "")
               + (f", budget {'+' if (c.budget_delta_cents or 0) > 0 else ''}{money(c.budget_delta_cents, p.currency)}"
                  if c.budget_delta_cents else "")
               + (f", {'+' if c.days_delta > 0 else '-'}{plural(abs(c.days_delta), 'day')}" if c.days_delta else "") for c in r.changes]
    out.append(("Scope changes", changes or ["None: the scope did not change."]))
    risks = [f"R{x.number} {x.title}: happened"
             + (f", cost {money(x.cost_cents, p.currency)}" if x.cost_cents is not None else ", cost not recorded")
             for x in r.happened]
    if r.happened:
        risks.append(f"Cost of risks that happened: {money(r.risk_cost_cents, p.currency)}.")
    others = [x for x in r.risks if x not in r.happened]
    if others:
        words = {}
        for x in others:
            words[OUTCOME_WORDS[x.outcome]] = words.get(OUTCOME_WORDS[x.outcome], 0) + 1
        risks.append("Other risks: " + ", ".join(f"{n} {w}" for w, n in words.items()) + ".")
    out.append(("Risks that happened", risks or ["No risks were registered."]))
    team = [f"{t.name if names is not None else f'<@{t.user_id}>'} ({t.role}): {hours(t.hours)}" for t in r.team]
    out.append(("Team and hours", (team + [f"Total logged: {hours(r.logged_hours)}."]) if team else ["No one logged hours."]))
    retro = (f"{plural(r.retro_answers, 'answer')}" + (f", satisfaction {r.retro_satisfaction:g} of 5"
                                                        if r.retro_satisfaction is not None else "") + "."
             if r.retro_answers else "No answers yet.")
    out.append(("Retrospective", [retro]))
    out.append(("Lessons", [f"{lesson.text}" + (f" [{lesson.tags}]" if lesson.tags else "") for lesson in r.lessons]
                or ["None kept yet: `/project lessons add` adds one."]))
    return out


def to_markdown(r: FinalReport, names: dict[str, str]) -> str:
    """The final report as a Markdown document."""
    p = r.project
    lines = [f"# {p.name}: final report", ""]
    sections = _sections(r, names)
    lines += sections[0][1] + [""]
    lines += ["## Planned vs actual", "", "| | planned | actual | variance |", "| --- | --- | --- | --- |"]
    lines += [f"| {x.what} | {x.planned} | {x.actual} | {x.variance} |" for x in plan_rows(r)] + [""]
    for heading, body in sections[1:]:
        lines += [f"## {heading}", ""] + [f"- {b}" for b in body] + [""]
    return "\n".join(lines)


def to_csv(r: FinalReport, names: dict[str, str]) -> str:
    """The final report as CSV rows: section, item, planned, actual, variance."""
    p = r.project
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["section", "item", "planned", "actual", "variance"])
    w.writerow(["project", "key", "", p.key, ""])
    w.writerow(["project", "closed_on", "", r.closed_on.isoformat() if r.closed_on else "", ""])
    w.writerow(["plan", "budget", _cents(r.plan.first_budget_cents), _cents(r.status.actual_cents), p.currency])
    w.writerow(["plan", "start", _iso(r.plan.start), _iso(r.actual_start), ""])
    w.writerow(["plan", "finish", _iso(r.plan.due), _iso(r.actual_finish), ""])
    w.writerow(["plan", "effort_hours", r.planned_hours, r.logged_hours, ""])
    w.writerow(["final", "cpi", "", "" if r.cpi is None else round(r.cpi, 3), ""])
    w.writerow(["final", "spi", "", "" if r.spi is None else round(r.spi, 3), ""])
    for m in r.milestones:
        w.writerow(["milestone", f"M{m.number} {m.name}", _iso(m.planned), _iso(m.actual), m.state])
    for c in r.changes:
        w.writerow(["scope_change", f"{c.ref} {c.title}", "", c.state, _cents(c.budget_delta_cents)])
    for x in r.risks:
        w.writerow(["risk", f"R{x.number} {x.title}", "", x.outcome or "closed", _cents(x.cost_cents)])
    for t in r.team:
        w.writerow(["team", t.name, t.role, t.hours, ""])
    w.writerow(["retro", "answers", "", r.retro_answers, ""])
    w.writerow(["retro", "satisfaction", "", "" if r.retro_satisfaction is None else r.retro_satisfaction, ""])
    for lesson in r.lessons:
        w.writerow(["lesson", lesson.tags, "", lesson.text, ""])
    return buf.getvalue()


def _cents(v: int | None) -> str:
    return "" if v is None else f"{v / 100:.2f}"


def _iso(d: date | None) -> str:
    return d.isoformat() if d else ""


def to_reply(r: FinalReport) -> Reply:
    """The final report as a message: the plan table as lines, then each section."""
    p = r.project
    sections = _sections(r, None)  # Slack shows mentions as names
    plan = "\n".join(f"• *{x.what}*: planned {x.planned}, actual {x.actual} ({x.variance})" for x in plan_rows(r))
    body = [Section(text=sections[0][1][0]),
            Section(text="*Planned vs actual*\n" + plan)]
    for heading, lines in sections[1:]:
        text = "\n".join(f"• {line}" for line in lines)
        body.append(Section(text=f"*{heading}*\n{text}"[:2900]))
    return Reply(title=f"{p.name}: final report", sections=body,
                 footer=f"Markdown and PDF: `python -m bot report {p.key} --final --format md|pdf|csv`.")


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def to_pdf(r: FinalReport, names: dict[str, str], *, charts: list[Path] = ()) -> bytes:
    """The final report as a PDF (fpdf2): headline, plan table, sections, charts."""
    from fpdf import FPDF

    p = r.project
    pdf = FPDF(format="A4")
    pdf.set_title(f"{p.name}: final report")
    pdf.set_creator("pm-bot")
    fonts = _font_dir()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(width, 9, f"{p.name}: final report", new_x="LMARGIN", new_y="NEXT")
    sections = _sections(r, names)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(width, 6, sections[0][1][0], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _heading(pdf, "Planned vs actual")
    with pdf.table(col_widths=(26, 24, 24, 36), text_align="LEFT", line_height=6) as table:
        table.row(["", "planned", "actual", "variance"])
        for x in plan_rows(r):
            table.row([x.what, x.planned, x.actual, x.variance])
    pdf.ln(3)
    for heading, lines in sections[1:]:
        _heading(pdf, heading)
        pdf.set_font("DejaVu", "", 10)
        for line in lines:
            pdf.multi_cell(width, 5.5, f"• {line}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    for chart in charts:
        if Path(chart).is_file():
            pdf.add_page()
            pdf.image(str(chart), w=width)
    return bytes(pdf.output())


def _heading(pdf, text: str) -> None:
    pdf.set_font("DejaVu", "B", 12)
    pdf.multi_cell(pdf.epw, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)

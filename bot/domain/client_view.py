"""What a client sees: the status page and the emailed report, as plain data.

`client_page` turns the weekly report (and so the very `StatusReport` that
`/project status` shows) into a `ClientPage` holding only what may leave
the team: name, goal, colour with its reasons, progress, due date and
forecast, milestones, what was done and what is next, the decisions the
numbers call for, the open risks not marked internal, and money only when
the link or recipient was made with `show costs`. Never rates, anyone's
hours, Slack ids, alerts, blocker notes or internal risk details. The
templates (`bot/web`) render nothing else, so this is the one place to check.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.format import day, days_phrase, money, percent, plural, ratio, truncate, upper_first
from bot.domain.report import LIST_LIMIT, Decision, WeeklyReport, decision_items
from bot.domain.status import StatusReport

COST_REASON = "spending is running ahead of the work done"
_MARKUP = re.compile(r"(?<![\w*_])[*_](\S(?:[^*_]*?\S)?)[*_](?![\w*_])")


def plain(text: str) -> str:
    """Slack's *bold* and _italic_ marks taken out: `Milestone *Launch* is late` -> `Milestone Launch is late`."""
    return _MARKUP.sub(r"\1", text)


@dataclass
class ClientMilestone:
    name: str
    when: str  # `due Fri 4 Dec`, `reached Tue 1 Dec`
    state: str  # reached | late | open


@dataclass
class ClientPage:
    """The status page's (and the emailed report's) content, already in words."""

    name: str
    goal: str
    rag: str  # green | amber | red | finished
    headline: str  # `Amber`, or `Finished Wed 2 Dec 2026, ...`
    reasons: list[str]
    percent: int  # 0-100, for the progress bar
    progress: str  # `25% of estimated hours · 4 of 13 tasks done`
    due: str
    forecast: str
    milestones: list[ClientMilestone] = field(default_factory=list)
    done: list[str] = field(default_factory=list)  # this week
    next_steps: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    risks: list[str] = field(default_factory=list)
    internal_risks: int = 0  # open risks the team keeps to itself (counted, never shown)
    costs: list[str] | None = None  # only with `show costs`
    as_of: str = ""  # `Fri 27 Nov 2026, 11:00 (Europe/Berlin)`
    week: str = ""  # `Sat 21 Nov – Fri 27 Nov`
    chart_alt: str = ""
    expires: str = ""  # when the link stops working, if shown through one

    @property
    def rag_label(self) -> str:
        return "Finished" if self.rag == "finished" else self.rag.capitalize()

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ClientPage:
        values = dict(data)
        values["milestones"] = [ClientMilestone(**m) for m in data.get("milestones", [])]
        return cls(**values)


def local_moment(moment: datetime, zone: str) -> str:
    """`Fri 27 Nov 2026, 11:00 (Europe/Berlin)`."""
    local = moment.astimezone(ZoneInfo(zone or "UTC"))
    return f"{day(local.date(), year=True)}, {local:%H:%M} ({zone or 'UTC'})"


def client_reasons(status: StatusReport, *, show_costs: bool) -> list[str]:
    """The colour's reasons; without costs, a cost reason is said without its
    figures and a green one without CPI."""
    health = status.health
    if health is None:
        return []
    kinds = health.kinds if len(health.kinds) == len(health.reasons) else ("",) * len(health.reasons)
    out: list[str] = []
    for kind, reason in zip(kinds, health.reasons, strict=True):
        if not show_costs and (kind == "cpi" or (not kind and "CPI" in reason)):
            reason = COST_REASON
        elif not show_costs and kind == "ok":
            spi = status.evm.spi if status.evm else None
            reason = "on track" + (f" (SPI {spi:.2f})" if spi is not None and status.evm.pv else "")
        if reason not in out:
            out.append(upper_first(reason))
    return out


def client_decisions(status: StatusReport, *, show_costs: bool) -> list[str]:
    """The decisions the numbers call for that may be shown outside the team:
    not about money without `show costs`, never about an internal risk; then
    the open change requests (titles only: their amounts are money)."""
    internal = {r.number for r in status.top_risks if r.internal}
    keep: list[Decision] = [d for d in decision_items(status)
                            if (show_costs or d.about != "cost") and d.risk_number not in internal]
    plan = status.plan
    crs = [f"Change request CR-{n} “{title}” awaits a decision by the owner or a sponsor."
           for n, title in zip(plan.open_numbers, plan.open_titles, strict=False)]
    return [plain(d.text) for d in keep] + crs


def _costs(status: StatusReport) -> list[str]:
    p, evm = status.project, status.evm
    final = status.final_phrases()
    if final:
        return [f"Final cost {final[1]}"]
    if evm is None:
        return [f"{money(status.actual_cents, p.currency)} spent; no budget set"]
    lines = [f"{money(evm.ac, p.currency)} of {money(evm.bac, p.currency)} spent ({percent(evm.percent_spent)})",
             f"Work done is worth {percent(evm.ev / evm.bac)} of the budget"
             + (f" (CPI {ratio(evm.cpi)})" if evm.cpi is not None else "")]
    lines.append(f"Forecast cost {money(evm.eac, p.currency)} "
                 f"({'under' if evm.vac >= 0 else 'over'} the budget by {money(abs(evm.vac), p.currency)})")
    return lines


def _milestones(status: StatusReport) -> list[ClientMilestone]:
    tz, today, out = ZoneInfo(status.project.timezone or "UTC"), status.today, []
    for m in status.milestones:
        if m.done_at is not None:
            out.append(ClientMilestone(truncate(m.name, 120),
                                       f"reached {day(m.done_at.astimezone(tz).date(), today=today)}", "reached"))
        elif m.due_date and m.due_date < today:
            late = (today - m.due_date).days
            out.append(ClientMilestone(truncate(m.name, 120),
                                       f"was due {day(m.due_date, today=today)} ({plural(late, 'day')} late)", "late"))
        else:
            out.append(ClientMilestone(truncate(m.name, 120),
                                       f"due {day(m.due_date, today=today)}" if m.due_date else "no date yet",
                                       "open"))
    return out


def _bar_percent(status: StatusReport, *, finished: bool) -> int:
    """The progress bar's width, as `percent` says it: never 100 before all is done, nor 0 once something is."""
    if finished:
        return 100
    value = status.fraction_done * 100
    return max(1 if value > 0 else 0, min(99, int(value + 0.5)))


def client_page(weekly: WeeklyReport, *, show_costs: bool, now: datetime,
                expires: datetime | None = None) -> ClientPage:
    """The client's view of the project as of `now`, from this week's report."""
    s, p, today = weekly.status, weekly.project, weekly.today
    final = s.final_phrases()
    rag = "finished" if final else (s.health.rag if s.health else "green")
    headline = upper_first(final[0]) if final else rag.capitalize()
    due = (f"{day(p.due_date, year=True)} ({days_phrase(s.days_left)})" if p.due_date and not final
           else "" if final else "not set yet")
    forecast = "" if final or not s.forecast else s.forecast.phrase(due=p.due_date, today=today)
    done = [f"#{t.number} {truncate(t.title, 150)}" for t in weekly.done_tasks[:LIST_LIMIT]]
    done += [f"Milestone {truncate(m.name, 120)} reached" for m in weekly.done_milestones]
    nxt = [f"Milestone {truncate(m.name, 120)}, due {day(m.due_date, today=today)}" for m in weekly.next_milestones]
    nxt += [f"#{t.number} {truncate(t.title, 150)}, due {day(t.due_date, today=today)}"
            + (" (overdue)" if t.due_date and t.due_date < today else "") for t in weekly.next_tasks[:LIST_LIMIT]]
    risks = [f"R{r.number} {truncate(r.title, 150)}: {r.band}" for r in s.shared_risks]
    alt_forecast = f"; {forecast}" if forecast else ""
    return ClientPage(
        name=p.name, goal=p.goal, rag=rag, headline=headline,
        reasons=[] if final else client_reasons(s, show_costs=show_costs),
        percent=_bar_percent(s, finished=bool(final)),
        progress=s.progress_phrase(), due=due, forecast=forecast, milestones=_milestones(s), done=done,
        next_steps=nxt, decisions=client_decisions(s, show_costs=show_costs), risks=risks,
        internal_risks=s.internal_risks, costs=_costs(s) if show_costs else None,
        as_of=local_moment(now, p.timezone), week=f"{day(weekly.week_start, today=today)} – {day(today, today=today)}",
        chart_alt=f"Burn-up chart of {p.name}: work done against scope, {s.progress_phrase()}{alt_forecast}.",
        expires=local_moment(expires, p.timezone) if expires else "",
    )

"""Earned value: is the project on time and on budget, in money.

Three measurements, all in cents, as of a date:

- BAC (budget at completion): the project's budget.
- PV (planned value): the budget the plan says should have been earned by now.
  With milestone budgets, each milestone's budget is planned linearly from the
  previous milestone's due date (the project start for the first) to its own
  due date; budget not covered by milestones is planned linearly from start to
  due. Linear means budget x (today - from) / (to - from), capped to 0..1;
  without milestone budgets, PV = BAC x (today - start) / (due - start).
- EV (earned value): the budget of the work done. Within a milestone that has a
  budget, EV = its budget x (done estimate / total estimate of its tasks), or
  the whole budget once a milestone without tasks is marked reached; the rest
  of the budget is earned by the share of all other tasks done. Tasks
  without an estimate count as the average estimate (or 1 each when none is).
- AC (actual cost): cost entries plus logged hours x the rate at the time.

From these (formulas as in PMI's PMBOK Guide):

    SV   = EV - PV                   schedule variance (money)
    CV   = EV - AC                   cost variance
    SPI  = EV / PV                   schedule performance index (<1: behind)
    CPI  = EV / AC                   cost performance index (<1: over budget)
    EAC  = BAC / CPI                 estimate at completion, if efficiency stays
    EAC' = AC + (BAC - EV)           ...if the overrun so far was one-off
    ETC  = EAC - AC                  estimate to complete
    VAC  = BAC - EAC                 variance at completion (<0: will overrun)
    TCPI = (BAC - EV) / (BAC - AC)   efficiency needed on the rest to land on BAC

Budgets are allocated so that values add up to at most BAC (`allocate`), so
EV never exceeds BAC; work outside any milestone still earns value. Once all
work is done EV = BAC and EAC = AC (the estimate at completion is the cost).

A ratio whose denominator is zero is `None` (not yet meaningful): no cost yet
means no CPI (EAC is then the budget itself), no planned value yet means no
SPI. Money spent with nothing earned (CPI 0) gives EAC = AC + BAC. TCPI is `None` once the budget is spent (BAC <= AC):
no efficiency can bring the project in on budget then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class EarnedValue:
    """The EVM numbers for one project on one day (money in cents)."""

    bac: int
    pv: int
    ev: int
    ac: int
    finished: bool = False  # all work done: the estimate at completion is what it cost


    @property
    def sv(self) -> int:
        return self.ev - self.pv

    @property
    def cv(self) -> int:
        return self.ev - self.ac

    @property
    def spi(self) -> float | None:
        return self.ev / self.pv if self.pv else None

    @property
    def cpi(self) -> float | None:
        return self.ev / self.ac if self.ac else None

    @property
    def eac(self) -> int:
        """BAC / CPI; the budget while nothing is spent; AC + BAC while nothing is
        earned; AC itself once the work is finished."""
        if self.finished:
            return self.ac
        cpi = self.cpi
        if cpi is None:
            return self.bac
        if cpi == 0:
            return self.eac_atypical
        return round(self.bac / cpi)

    @property
    def eac_atypical(self) -> int:
        """AC + (BAC - EV): the rest of the work costs what was planned."""
        return self.ac + (self.bac - self.ev)

    @property
    def etc(self) -> int:
        return self.eac - self.ac

    @property
    def vac(self) -> int:
        return self.bac - self.eac

    @property
    def tcpi(self) -> float | None:
        remaining_funds = self.bac - self.ac
        if remaining_funds <= 0:
            return None
        return (self.bac - self.ev) / remaining_funds

    @property
    def percent_spent(self) -> float:
        return self.ac / self.bac if self.bac else 0.0

    def as_dict(self) -> dict:
        """Every measure, for snapshots and exports."""
        return {"bac": self.bac, "pv": self.pv, "ev": self.ev, "ac": self.ac, "sv": self.sv,
                "cv": self.cv, "spi": _r(self.spi), "cpi": _r(self.cpi), "eac": self.eac,
                "eac_atypical": self.eac_atypical, "etc": self.etc, "vac": self.vac,
                "tcpi": _r(self.tcpi)}


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


@dataclass(frozen=True)
class PlannedMilestone:
    """What EVM needs from a milestone: its budget, due date and work."""

    budget_cents: int | None
    due_date: date | None
    estimate_total: float  # task estimates in it (unestimated counted as the average)
    estimate_done: float
    done: bool = False  # marked reached: earns its whole budget even without tasks


def _linear(start: date | None, end: date | None, today: date) -> float:
    """Share of start..end elapsed on `today`: (today - start) / (end - start), in 0..1."""
    if end is None:
        return 0.0
    if start is None or end <= start:
        return 1.0 if today >= end else 0.0
    return min(max((today - start).days / (end - start).days, 0.0), 1.0)


def allocate(*, bac: int, milestones: list[PlannedMilestone], other_total: float = 0.0
             ) -> tuple[list[tuple[PlannedMilestone, float]], float]:
    """The budget each piece of work may earn, adding up to at most BAC: every
    budgeted milestone (a budget and a due date) its budget, and the work outside
    them (tasks in no milestone or in one without a budget) what the milestones
    leave of BAC. When the milestones take the whole budget or more, the outside
    work gets its share of all estimated work (half, when the milestones have
    none) and the milestones divide the rest in proportion to their budgets."""
    budgeted = [m for m in milestones if m.budget_cents and m.due_date]
    b = float(sum(m.budget_cents for m in budgeted))  # type: ignore[misc]
    chosen = {id(m) for m in budgeted}
    w_in = sum(m.estimate_total for m in budgeted)
    w_out = other_total + sum(m.estimate_total for m in milestones if id(m) not in chosen)
    if b < bac:
        return [(m, float(m.budget_cents)) for m in budgeted], bac - b  # type: ignore[arg-type]
    out_share = (w_out / (w_in + w_out) if w_in > 0 else 0.5) if w_out > 0 else 0.0
    rest = bac * out_share
    scale = (bac - rest) / b if b else 0.0
    return [(m, m.budget_cents * scale) for m in budgeted], rest  # type: ignore[operator]


def planned_value(*, bac: int, start: date | None, due: date | None, today: date,
                  milestones: list[PlannedMilestone], other_total: float = 0.0) -> int:
    """PV in cents: milestone budgets by their dates, the rest linear start..due
    (values as `allocate` gives them)."""
    values, rest = allocate(bac=bac, milestones=milestones, other_total=other_total)
    pv = 0.0
    previous = start
    for m, value in sorted(values, key=lambda mv: mv[0].due_date):  # type: ignore[arg-type, return-value]
        pv += value * _linear(previous, m.due_date, today)
        previous = max(previous, m.due_date) if previous else m.due_date  # type: ignore[type-var]
    if rest > 0:
        pv += rest * _linear(start, due, today)
    return round(pv)


def earned_value(*, bac: int, milestones: list[PlannedMilestone], other_total: float,
                 other_done: float) -> int:
    """EV in cents: each budgeted milestone earns its value (`allocate`) by its done
    share (all of it once reached, if it has no work); the work outside them earns
    theirs by its done share. Never more than BAC."""
    values, rest = allocate(bac=bac, milestones=milestones, other_total=other_total)
    ev = 0.0
    for m, value in values:
        if m.estimate_total > 0:
            ev += value * (m.estimate_done / m.estimate_total)
        elif m.done:
            ev += value
    budgeted = {id(m) for m, _ in values}
    other_t = other_total + sum(m.estimate_total for m in milestones if id(m) not in budgeted)
    other_d = other_done + sum(m.estimate_done for m in milestones if id(m) not in budgeted)
    if rest > 0 and other_t > 0:
        ev += rest * (other_d / other_t)
    elif rest > 0:
        # All work sits in budgeted milestones: the unplanned rest follows overall progress.
        total = sum(m.estimate_total for m in milestones)
        done = sum(m.estimate_done for m in milestones)
        ev += rest * (done / total) if total else 0.0
    return min(round(ev), bac)


@dataclass(frozen=True)
class TaskGroup:
    """Tasks counted together: a milestone (or none), done or not."""

    milestone_id: int | None
    done: bool
    count: int
    estimate_hours: float  # the sum of the estimates the group has
    estimated: int  # how many of its tasks have an estimate


@dataclass(frozen=True)
class Work:
    """A project's work: in hours when any task is estimated (the others at the
    average estimate), else in tasks; per milestone id, [total, done]."""

    per_milestone: dict[int | None, tuple[float, float]]
    hours: bool
    average: float  # hours of an unestimated task (1.0 when counting tasks)

    @property
    def total(self) -> float:
        return sum(t for t, _ in self.per_milestone.values())

    @property
    def done(self) -> float:
        return sum(d for _, d in self.per_milestone.values())


def measure_work(groups: list[TaskGroup]) -> Work:
    """`Work` from task groups; status and the budget alert measure it alike."""
    estimated = sum(g.estimated for g in groups)
    hours = estimated > 0
    average = sum(g.estimate_hours for g in groups) / estimated if hours else 1.0
    per: dict[int | None, list[float]] = {}
    for g in groups:
        amount = g.estimate_hours + (g.count - g.estimated) * average if hours else float(g.count)
        totals = per.setdefault(g.milestone_id, [0.0, 0.0])
        totals[0] += amount
        if g.done:
            totals[1] += amount
    return Work({k: (t, d) for k, (t, d) in per.items()}, hours, average)


def planned_milestones(work: Work, milestones: list) -> list[PlannedMilestone]:
    """`PlannedMilestone`s of milestone rows (`id`, `planned_budget_cents`,
    `due_date`, `done_at`) with their share of `work`."""
    return [PlannedMilestone(m.planned_budget_cents, m.due_date, *work.per_milestone.get(m.id, (0.0, 0.0)),
                             done=m.done_at is not None) for m in milestones]


def outside_milestones(work: Work, milestones: list) -> tuple[float, float]:
    """(total, done) of the work in no milestone (or in one not among `milestones`)."""
    known = {m.id for m in milestones}
    other = [v for k, v in work.per_milestone.items() if k not in known]
    return sum(t for t, _ in other), sum(d for _, d in other)


def project_earned_value(*, bac: int, work: Work, milestones: list) -> int:
    """EV of a project from its `Work` and milestone rows (cancelled milestones left
    out by the caller: their tasks count as outside any milestone). All work done
    earns the whole budget."""
    if work.total > 0 and work.done >= work.total:
        return bac
    other_total, other_done = outside_milestones(work, milestones)
    return earned_value(bac=bac, milestones=planned_milestones(work, milestones),
                        other_total=other_total, other_done=other_done)

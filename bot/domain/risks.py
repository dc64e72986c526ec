"""The risk register: score = likelihood x impact, banded, owned, reviewed.

Bands: 20-25 critical, 12-19 high, 6-11 medium, 1-5 low. States open /
mitigating / accepted / closed; responses avoid / mitigate / transfer /
accept. Every change is audited with the old and new score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Session, select

from bot.domain import audit
from bot.domain.access import Action, require
from bot.domain.errors import Invalid, NotFound
from bot.domain.format import day, mention, truncate
from bot.domain.numbering import next_number
from bot.models import Project, Risk, StandupAnswer, StandupRun

MAX_TITLE = 300
MAX_TEXT = 2000


class RiskState(StrEnum):
    OPEN = "open"
    MITIGATING = "mitigating"
    ACCEPTED = "accepted"
    CLOSED = "closed"


class Response(StrEnum):
    AVOID = "avoid"
    MITIGATE = "mitigate"
    TRANSFER = "transfer"
    ACCEPT = "accept"


class Band(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


BAND_ICON = {Band.CRITICAL: "🟥", Band.HIGH: "🟧", Band.MEDIUM: "🟨", Band.LOW: "🟩"}


def score(likelihood: int, impact: int) -> int:
    return likelihood * impact


def band(value: int) -> Band:
    """The band of a score from 1 to 25."""
    if value >= 20:
        return Band.CRITICAL
    if value >= 12:
        return Band.HIGH
    if value >= 6:
        return Band.MEDIUM
    return Band.LOW


def risk_score(risk: Risk) -> int:
    return score(risk.likelihood, risk.impact)


def risk_band(risk: Risk) -> Band:
    return band(risk_score(risk))


def _scale(value: int | None, what: str) -> int:
    if value is None or not 1 <= value <= 5:
        raise Invalid(f"{what.capitalize()} is a number from 1 (rare/minor) to 5 (almost certain/severe).")
    return int(value)


def _clean(text: str, what: str, limit: int) -> str:
    text = (text or "").strip()
    if len(text) > limit:
        raise Invalid(f"A risk's {what} can be at most {limit} characters (this one has {len(text)}).")
    return text


def _snapshot(risk: Risk) -> dict:
    return {"likelihood": risk.likelihood, "impact": risk.impact, "score": risk_score(risk),
            "owner": risk.owner_user_id, "mitigation": risk.mitigation, "response": risk.response,
            "state": risk.state, "review_date": risk.review_date, "title": risk.title,
            "internal": risk.internal}


def get_risk(*, session: Session, project: Project, number: int) -> Risk:
    risk = session.exec(select(Risk).where(Risk.project_id == project.id, Risk.number == number)).first()
    if risk is None:
        raise NotFound(f"*{project.name}* has no risk R{number}. `/project risk list` shows them.")
    return risk


def add_risk(
    *,
    session: Session,
    project: Project,
    actor: str,
    title: str,
    likelihood: int,
    impact: int,
    owner: str | None = None,
    mitigation: str = "",
    review_date: date | None = None,
    response: str = Response.MITIGATE,
    description: str = "",
    source: str = "manual",
    internal: bool = False,
    now: datetime,
) -> Risk:
    """Add a risk to the register; project members may. An `internal` one is for
    the team only: clients never see it (status page, email, their screens)."""
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="add risks")
    title = _clean(title, "title", MAX_TITLE)
    if not title:
        raise Invalid('A risk needs a title, like "Hosting vendor may slip".')
    risk = Risk(
        team_id=project.team_id,
        project_id=project.id,
        number=next_number(session=session, model=Risk, project_id=project.id),
        title=title,
        description=_clean(description, "description", MAX_TEXT),
        likelihood=_scale(likelihood, "likelihood"),
        impact=_scale(impact, "impact"),
        owner_user_id=owner,
        mitigation=_clean(mitigation, "mitigation", MAX_TEXT),
        response=_response(response),
        review_date=review_date,
        source=source[:32],
        internal=internal,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(risk)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="risk.add",
                 entity="risk", entity_id=risk.id, project_id=project.id, after=_snapshot(risk), now=now)
    return risk


def add_risk_once(*, session: Session, project: Project, source: str, **kwargs) -> tuple[Risk, bool]:
    """`add_risk` unless a risk from the same `source` exists (a double click);
    returns (risk, created)."""
    existing = session.exec(select(Risk).where(Risk.project_id == project.id,
                                               Risk.source == source[:32])).first()
    if existing is not None:
        return existing, False
    return add_risk(session=session, project=project, source=source, **kwargs), True



def add_blocker_risk(*, session: Session, team_id: str, run_id: int, user_id: str, actor: str,
                     now: datetime) -> tuple[Project, Risk, bool]:
    """File the blocker `user_id` reported at standup run `run_id` as a risk they
    own, once (a second call finds it): (project, risk, created). `NotFound`
    when that answer is gone or has no blocker."""
    run = session.get(StandupRun, run_id)
    answer = session.exec(select(StandupAnswer).where(StandupAnswer.run_id == run_id,
                                                      StandupAnswer.user_id == user_id)).first()
    project = session.get(Project, run.project_id) if run is not None else None
    if run is None or project is None or run.team_id != team_id or answer is None or not answer.blocker:
        raise NotFound("That standup answer is gone or has no blocker any more.")
    risk, created = add_risk_once(
        session=session, project=project, actor=actor, title=f"Blocker: {truncate(answer.blocker, 280)}",
        likelihood=3, impact=3, owner=user_id, source=f"standup:{run.id}:{user_id}",
        description=f"Reported by {mention(user_id)} in the standup of {day(run.run_date, year=True)}.", now=now)
    return project, risk, created

def _response(value: str) -> str:
    try:
        return str(Response(value))
    except ValueError:
        raise Invalid(f"A response is one of {', '.join(Response)} (got `{value}`).") from None


def _state(value: str) -> str:
    try:
        return str(RiskState(value))
    except ValueError:
        raise Invalid(f"A risk state is one of {', '.join(RiskState)} (got `{value}`).") from None


UNSET = object()


def update_risk(
    *,
    session: Session,
    project: Project,
    actor: str,
    risk: Risk,
    title: str | None = None,
    likelihood: int | None = None,
    impact: int | None = None,
    owner: str | None | object = UNSET,
    mitigation: str | None = None,
    review_date: date | None | object = UNSET,
    response: str | None = None,
    state: str | None = None,
    internal: bool | None = None,
    now: datetime,
) -> tuple[Risk, dict]:
    """Change a risk; returns it and the changed fields as {name: (old, new)}.
    Changing nothing is allowed and records nothing (a retried click)."""
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="update risks")
    changes: dict = {}
    if title is not None:
        title = _clean(title, "title", MAX_TITLE)
        if not title:
            raise Invalid("A risk's title cannot be empty.")
        changes["title"] = title
    if likelihood is not None:
        changes["likelihood"] = _scale(likelihood, "likelihood")
    if impact is not None:
        changes["impact"] = _scale(impact, "impact")
    if owner is not UNSET:
        changes["owner_user_id"] = owner
    if mitigation is not None:
        changes["mitigation"] = _clean(mitigation, "mitigation", MAX_TEXT)
    if review_date is not UNSET:
        changes["review_date"] = review_date
    if response is not None:
        changes["response"] = _response(response)
    if internal is not None:
        changes["internal"] = internal
    if state is not None:
        changes["state"] = _state(state)
        if changes["state"] == RiskState.CLOSED:
            raise Invalid("Close a risk with `/project risk close N [note]`.")
    changed = {k: (getattr(risk, k), v) for k, v in changes.items() if getattr(risk, k) != v}
    if not changed:
        return risk, {}
    if risk.state == RiskState.CLOSED and "state" not in changed:
        raise Invalid(f"R{risk.number} is closed; reopen it first with "
                      f"`/project risk update {risk.number} state open`.")
    before = _snapshot(risk)
    for k, (_, new) in changed.items():
        setattr(risk, k, new)
    if before["state"] == RiskState.CLOSED:
        risk.closed_at = None
        risk.close_note = ""
    risk.updated_at = now
    session.add(risk)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="risk.update",
                 entity="risk", entity_id=risk.id, project_id=project.id, before=before,
                 after=_snapshot(risk), now=now)
    return risk, changed


def close_risk(*, session: Session, project: Project, actor: str, risk: Risk, note: str = "",
               now: datetime) -> tuple[Risk, bool]:
    """Close a risk with an optional note; returns (risk, closed now). Idempotent."""
    require(session=session, project=project, user_id=actor, action=Action.WORK, what="close risks")
    if risk.state == RiskState.CLOSED:
        return risk, False
    before = _snapshot(risk)
    risk.state = RiskState.CLOSED
    risk.close_note = _clean(note, "closing note", MAX_TEXT)
    risk.closed_at = now
    risk.updated_at = risk.closed_at
    session.add(risk)
    session.flush()
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="risk.close",
                 entity="risk", entity_id=risk.id, project_id=project.id, before=before,
                 after={**_snapshot(risk), "note": risk.close_note}, now=now)
    return risk, True


def list_risks(*, session: Session, project: Project, include_closed: bool = False,
               include_internal: bool = True) -> list[Risk]:
    """Risks by score, highest first (then by number); without the internal ones for a client."""
    query = select(Risk).where(Risk.project_id == project.id)
    if not include_internal:
        query = query.where(Risk.internal == False)  # noqa: E712
    if not include_closed:
        query = query.where(Risk.state != RiskState.CLOSED)
    risks = list(session.exec(query))
    return sorted(risks, key=lambda r: (-risk_score(r), r.number))


@dataclass
class Matrix:
    """Counts of open risks per (likelihood, impact) cell, 1-5 each."""

    cells: dict[tuple[int, int], list[int]]  # (likelihood, impact) -> risk numbers

    def count(self, likelihood: int, impact: int) -> int:
        return len(self.cells.get((likelihood, impact), []))

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.cells.values())


def matrix(*, session: Session, project: Project) -> Matrix:
    cells: dict[tuple[int, int], list[int]] = {}
    for risk in list_risks(session=session, project=project):
        cells.setdefault((risk.likelihood, risk.impact), []).append(risk.number)
    return Matrix(cells=cells)


def matrix_text(m: Matrix) -> str:
    """The 5x5 grid as monospaced text: likelihood rows (5 at the top), impact columns."""
    lines = ["L\\I   1   2   3   4   5"]
    for lk in range(5, 0, -1):
        row = [f"{m.count(lk, im) or '·':>3}" for im in range(1, 6)]
        lines.append(f" {lk}  " + " ".join(row))
    return "\n".join(lines)

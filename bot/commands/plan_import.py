"""Import a plan from a CSV file (`python -m bot import PROJECT tasks.csv`); here
beside the grammar it reads estimates and dates with, called by the CLI.

A header row, then one task a row. Columns (any order, any case):
`id` (the row's own number, which `after` refers to), `title`, and optional
`estimate` (3h, 1.5d), `assignee` (a Slack user id, or an e-mail looked up
in Slack), `due` (a date), `milestone` (M1, or a name: a new name adds that
milestone), `after` (ids of the rows it waits on, space-separated; `3+2d`
for a lag of two working days).

The whole file is checked before anything is written: every error names its
line (the header is line 1) and column, and one bad row refuses the file.
Tasks get the project's next numbers; each is audited as a task added, and
the import as one `plan.import` entry with the file's hash, so the same file
is not imported twice by accident.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from bot.commands.grammar import UsageError, parse_date, parse_duration
from bot.domain import audit
from bot.domain import links as link_service
from bot.domain import tasks as task_service
from bot.domain.access import Action, require
from bot.domain.errors import Invalid
from bot.domain.format import plural
from bot.domain.milestones import add_milestone
from bot.domain.network import CycleError, topological_order
from bot.domain.schedule import project_today
from bot.domain.tasks import MAX_TITLE
from bot.models import AuditEntry, Milestone, Project

COLUMNS = ("id", "title", "estimate", "assignee", "due", "milestone", "after")
REQUIRED = ("id", "title")
MAX_ROWS = 5000
MAX_ERRORS = 20
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_AFTER = re.compile(r"^#?(\d{1,9})(?:\+(\d{1,3})d?)?$", re.I)


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class PlanRefused(Invalid):
    """The file is not imported; `errors` say where and why."""

    def __init__(self, errors: list[RowError], total: int | None = None):
        self.errors = errors
        total = total if total is not None else len(errors)
        more = f"\n… and {total - len(errors)} more" if total > len(errors) else ""
        super().__init__(f"Nothing was imported: {total} problem{'s' if total != 1 else ''} in the file.\n"
                         + "\n".join(str(e) for e in errors) + more)


@dataclass
class PlanRow:
    line: int
    id: int
    title: str
    estimate: float | None = None
    assignee: str | None = None
    due: date | None = None
    milestone: str = ""
    after: list[tuple[int, int, int]] = field(default_factory=list)  # (row id, lag, line)


@dataclass
class Imported:
    tasks: dict[int, int]  # row id -> task number
    links: int
    milestones_added: list[str]
    past_due: int


def decode(data: bytes) -> str:
    """The file as text (UTF-8, with or without Excel's byte-order mark)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PlanRefused([RowError(line, "", "not UTF-8 text: save the sheet as \"CSV UTF-8\"")]) from None


def find_project(*, session: Session, key: str, team_id: str | None = None) -> Project:
    """The project with `key` (in workspace `team_id` when several have it)."""
    query = select(Project).where(Project.key == key.lower())
    if team_id:
        query = query.where(Project.team_id == team_id)
    found = list(session.exec(query))
    if not found:
        raise Invalid(f"No project with key `{key}`" + (f" in workspace {team_id}." if team_id else "."))
    if len(found) > 1:
        raise Invalid(f"Several workspaces have a project `{key}` "
                      f"({', '.join(sorted(p.team_id for p in found))}); choose one with --team.")
    return found[0]


def _cell(record: dict, name: str) -> str:
    return (record.get(name) or "").strip()


def read_plan(text: str, *, today: date, date_order: str = "DMY",
              resolve_email: Callable[[str], str | None] | None = None) -> list[PlanRow]:
    """Parse and check the file; raises `PlanRefused` listing every problem."""
    rows, _, errors = _read(text, today=today, date_order=date_order, resolve_email=resolve_email)
    if errors:
        raise PlanRefused(errors[:MAX_ERRORS], total=len(errors))
    return rows


def _read(text: str, *, today: date, date_order: str,
          resolve_email: Callable[[str], str | None] | None
          ) -> tuple[list[PlanRow], list[PlanRow], list[RowError]]:
    """(good rows, rows with a problem, the problems)."""
    errors: list[RowError] = []
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise PlanRefused([RowError(1, "", "the file is empty; the first line names the columns "
                                           f"({', '.join(COLUMNS)})")])
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [h.strip().lower() for h in next(reader)]
    for i, name in enumerate(header):
        if name not in COLUMNS:
            errors.append(RowError(1, name or f"#{i + 1}", f"unknown column (expected {', '.join(COLUMNS)})"))
        elif header.index(name) != i:
            errors.append(RowError(1, name, "this column appears twice"))
    for name in REQUIRED:
        if name not in header:
            errors.append(RowError(1, name, "this column is required"))
    if errors:
        return [], [], errors
    rows: list[PlanRow] = []
    rejected: list[PlanRow] = []  # rows with a problem: their `after` is still checked
    seen: dict[int, int] = {}
    emails: dict[str, str | None] = {}
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            errors.append(RowError(line, "", f"at most {plural(MAX_ROWS, 'task')} a file"))
            break
        if len(values) > len(header):
            errors.append(RowError(line, "", f"{plural(len(values), 'cell')} but "
                                               f"{plural(len(header), 'column')}"))
            continue
        record = dict(zip(header, values, strict=False))
        row_errors = len(errors)

        def bad(column: str, message: str, line: int = line) -> None:
            errors.append(RowError(line, column, message))

        raw_id = _cell(record, "id").lstrip("#")
        if not raw_id.isdigit() or not 0 < int(raw_id) < 10**9:
            bad("id", f"expected a whole number like 7 (got `{raw_id[:20]}`)")
        elif int(raw_id) in seen:
            bad("id", f"id {raw_id} is already used on line {seen[int(raw_id)]}")
        title = _cell(record, "title")
        if not title:
            bad("title", "a task needs a title")
        elif len(title) > MAX_TITLE:
            bad("title", f"at most {plural(MAX_TITLE, 'character')} (this one has {len(title)})")
        row = PlanRow(line=line, id=int(raw_id) if raw_id.isdigit() else 0, title=title)
        if raw := _cell(record, "estimate"):
            try:
                row.estimate = parse_duration(raw)
            except UsageError as exc:
                bad("estimate", str(exc))
        if raw := _cell(record, "assignee"):
            row.assignee = _assignee(raw, emails, resolve_email, bad)
        if raw := _cell(record, "due"):
            try:
                row.due = parse_date(raw, today=today, order=date_order)
            except UsageError as exc:
                bad("due", str(exc))
        row.milestone = _cell(record, "milestone")
        for word in re.split(r"[\s,;]+", _cell(record, "after")):
            if not word:
                continue
            m = _AFTER.match(word)
            if m is None:
                bad("after", f"expected ids from the id column, like `3 5` or `3+2d` (got `{word[:20]}`)")
            else:
                row.after.append((int(m.group(1)), int(m.group(2) or 0), line))
        if row.id and row.id not in seen:
            seen[row.id] = line
        (rows if len(errors) == row_errors else rejected).append(row)
    if not rows and not rejected and not errors:
        errors.append(RowError(2, "", "no tasks: the file has a header and nothing under it"))
    errors += _check_links(rows, rejected, seen, cycles=not errors)
    return rows, rejected, errors


def _assignee(raw: str, emails: dict, resolve_email, bad) -> str | None:
    mention = re.fullmatch(r"<@([A-Z0-9]+)(?:\|[^>]*)?>", raw)
    value = mention.group(1) if mention else raw
    if _USER_ID.match(value.upper()) and not _EMAIL.match(value):
        return value.upper()
    if not _EMAIL.match(value):
        bad("assignee", f"expected a Slack user id like U0123ABCD or an e-mail (got `{value[:40]}`)")
        return None
    if resolve_email is None:
        bad("assignee", f"`{value}` is an e-mail, and looking it up needs the Slack connection "
                        "(SLACK_BOT_TOKEN); use their Slack user id instead")
        return None
    key = value.lower()
    if key not in emails:
        emails[key] = resolve_email(key)
    if emails[key] is None:
        bad("assignee", f"no one in this Slack workspace has the e-mail `{value}`")
    return emails[key]


def _check_links(rows: list[PlanRow], rejected: list[PlanRow], seen: dict[int, int], *,
                 cycles: bool) -> list[RowError]:
    errors = []
    ids = {r.id: i for i, r in enumerate(rows)}
    edges = []
    for r in sorted(rows + rejected, key=lambda r: r.line):
        for before, lag, line in r.after:
            if before == r.id:
                errors.append(RowError(line, "after", f"row {r.id} cannot wait on itself"))
            elif before not in seen:
                errors.append(RowError(line, "after", f"no row has id {before}"))
            elif before in ids and r.id in ids:
                edges.append((ids[before], ids[r.id], float(lag)))
    if cycles and not errors:
        try:
            topological_order(len(rows), edges)
        except CycleError as exc:
            loop = [rows[i].id for i in exc.path]
            errors.append(RowError(rows[exc.path[0]].line, "after",
                                   f"a cycle: {' → '.join(map(str, loop))} (ids from the id column)"))
    return errors


def already_imported(*, session: Session, project: Project, digest: str) -> datetime | None:
    """When this very file was imported into the project, if it was."""
    for entry in session.exec(select(AuditEntry).where(AuditEntry.project_id == project.id,
                                                       AuditEntry.action == "plan.import")):
        if (entry.after or {}).get("sha256") == digest:
            return entry.created_at
    return None


def import_plan(*, session: Session, project: Project, actor: str, text: str, now: datetime,
                date_order: str = "DMY", resolve_email: Callable[[str], str | None] | None = None,
                again: bool = False) -> Imported:
    """Check the whole file, then add its tasks, milestones and links (the
    caller commits). Raises `PlanRefused` (nothing written) on any problem."""
    require(session=session, project=project, user_id=actor, action=Action.MANAGE, what="import a plan")
    digest = hashlib.sha256(text.encode()).hexdigest()
    when = already_imported(session=session, project=project, digest=digest)
    if when is not None and not again:
        raise Invalid(f"This file was imported into *{project.name}* already ({when:%Y-%m-%d %H:%M} UTC); "
                      "nothing was imported. Add --again to import it once more.")
    today = project_today(project, now)
    rows, rejected, errors = _read(text, today=today, date_order=date_order, resolve_email=resolve_email)
    milestones, added_ms, ms_errors = _milestones(session, project, sorted(rows + rejected, key=lambda r: r.line))
    errors = sorted(errors + ms_errors, key=lambda e: (e.line, COLUMNS.index(e.column)
                                                       if e.column in COLUMNS else -1))
    if errors:
        raise PlanRefused(errors[:MAX_ERRORS], total=len(errors))
    for name in added_ms:
        milestones[name.lower()] = add_milestone(session=session, project=project, actor=actor, name=name, now=now)
    tasks = {}
    for r in rows:
        tasks[r.id] = task_service.add_task(
            session=session, project=project, actor=actor, title=r.title, assignee=r.assignee,
            due_date=r.due, estimate_hours=r.estimate,
            milestone=milestones[r.milestone.lower()] if r.milestone else None, now=now)
    pairs: list[tuple[int, int]] = []
    links = 0
    for r in rows:
        if r.after:
            done = link_service.link(session=session, project=project, actor=actor, task=tasks[r.id],
                                     after=[(tasks[b], lag) for b, lag, _ in r.after], now=now, pairs=pairs)
            links += len(done.added)
    numbers = {row_id: t.number for row_id, t in tasks.items()}
    audit.record(session=session, team_id=project.team_id, user_id=actor, action="plan.import",
                 entity="project", entity_id=project.id, project_id=project.id, now=now,
                 after={"sha256": digest, "tasks": len(tasks), "links": links, "milestones": added_ms,
                        "numbers": {str(k): v for k, v in numbers.items()}})
    session.flush()
    past = sum(1 for r in rows if r.due and r.due < today)
    return Imported(tasks=numbers, links=links, milestones_added=added_ms, past_due=past)


def _milestones(session: Session, project: Project, rows: list[PlanRow]
                ) -> tuple[dict[str, Milestone], list[str], list[RowError]]:
    """Milestones the rows name: by `M2` (must exist) or by name (added when new)."""
    existing = list(session.exec(select(Milestone).where(Milestone.project_id == project.id)))
    found: dict[str, Milestone] = {}
    added: list[str] = []
    errors = []
    for r in rows:
        ref = r.milestone
        if not ref or ref.lower() in found or ref.lower() in (a.lower() for a in added):
            continue
        number = ref[1:] if ref[:1] in "mM" and ref[1:].isdigit() else None
        match = next((m for m in existing if (number and m.number == int(number))
                      or m.name.lower() == ref.lower()), None)
        if match is not None and match.cancelled_at is not None:
            errors.append(RowError(r.line, "milestone", f"M{match.number} {match.name} is cancelled"))
        elif match is not None:
            found[ref.lower()] = match
        elif number:
            errors.append(RowError(r.line, "milestone", f"*{project.name}* has no milestone {ref}; "
                                                        "name a new one by its name instead"))
        elif len(ref) > 200:
            errors.append(RowError(r.line, "milestone", "a milestone name is at most 200 characters"))
        else:
            added.append(ref)
    return found, added, errors

"""One clock: every timestamp a command or a job writes comes from its `now`
(the command context's, the job's argument), never from the wall clock read
inside `bot/domain`, `bot/commands` or `bot/jobs`. So a test (or
`python -m bot simulate`) can run a project through weeks.

Two static checks over the source (any depth, inside functions too):
- no call reads the wall clock (`utcnow()`, `datetime.now()`, `date.today()`,
  `time.time()`, ...) except in the places listed in `ALLOWED`, each with why;
- every table model built there passes its timestamp columns that default
  to the wall clock (`created_at`, `updated_at`, ...) explicitly.
The simulation tests (`tests/test_simulate.py`) add the runtime check: after
weeks run years away from today, no stored timestamp is from today.
"""

from __future__ import annotations

import ast
from pathlib import Path

from sqlmodel import SQLModel

import bot
import bot.models as models

BOT = Path(bot.__file__).parent
CHECKED = ("domain", "commands", "jobs")

# (file under bot/, function) -> why it may read the wall clock
ALLOWED: dict[tuple[str, str], str] = {
    ("jobs/report_jobs.py", "snapshot_all"): "scheduler entry point: APScheduler calls it without a time",
    ("jobs/report_jobs.py", "weekly_reports"): "scheduler entry point",
    ("jobs/risk_jobs.py", "detect_all"): "scheduler entry point",
    ("jobs/housekeeping.py", "prune_processed_requests"): "scheduler entry point",
    ("jobs/standup_jobs.py", "open"): "the batch opener runs when the cron fires: its time is the real one",
    ("jobs/standup_jobs.py", "start_standup_job"): "scheduler entry point (the cron job of one standup)",
    ("jobs/standup_jobs.py", "sweep_job"): "scheduler entry point",
    ("jobs/outbox_sender.py", "deliver_pending"): "each message is sent at the real time unless a test "
                                                  "passes `now`",
    ("jobs/outbox_sender.py", "kick_delivery_at"): "a timer: how long to sleep until a moment",
    ("jobs/outbox_sender.py", "release_claims"): "a sender's leases run on real time unless a test passes `now`",
    ("jobs/outbox_sender.py", "renew_claims"): "a sender's leases run on real time unless a test passes `now`",
    ("jobs/outbox_sender.py", "free_claims_of_dead"): "a new leader frees leases on real time (or a test's `now`)",
    ("domain/charts.py", "prune"): "the age of chart files on disk (mtime is real time), not a record",
}
WALL_CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
              ("time", "time"), ("time", "time_ns")}


def _sources():
    for part in CHECKED:
        for path in sorted((BOT / part).rglob("*.py")):
            yield path.relative_to(BOT).as_posix(), ast.parse(path.read_text())


def _functions(tree: ast.AST):
    """(enclosing function name, node) for every node, '' at module level."""
    def walk(node: ast.AST, where: str):
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else where
            yield name, child
            yield from walk(child, name)
    yield from walk(tree, "")


def _reads_wall_clock(call: ast.Call) -> str | None:
    f = call.func
    if isinstance(f, ast.Name) and f.id == "utcnow":
        return "utcnow()"
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (f.value.id, f.attr) in WALL_CLOCK:
        return f"{f.value.id}.{f.attr}()"
    if isinstance(f, ast.Attribute) and f.attr in {"utcnow"}:
        return f"{ast.unparse(f)}()"
    return None


def test_the_domain_commands_and_jobs_never_read_the_wall_clock():
    found, used = [], set()
    for path, tree in _sources():
        for where, node in _functions(tree):
            if isinstance(node, ast.Call) and (what := _reads_wall_clock(node)):
                if (path, where) in ALLOWED:
                    used.add((path, where))
                else:
                    found.append(f"bot/{path}:{node.lineno} {what} in {where or 'module'}()")
    assert not found, "read the command's or the job's `now` instead:\n" + "\n".join(found)
    assert used == set(ALLOWED), f"allowed but no longer needed: {set(ALLOWED) - used}"


def _stamped_models() -> dict[str, set[str]]:
    """Table model -> its columns that would default to the wall clock."""
    out = {}
    for name in dir(models):
        cls = getattr(models, name)
        if isinstance(cls, type) and issubclass(cls, SQLModel) and getattr(cls, "__table__", None) is not None:
            stamped = {f for f, info in cls.model_fields.items() if info.default_factory is models.utcnow}
            if stamped:
                out[name] = stamped
    return out


# rows rebuilt from what a query read (`Task(**row)`), not written
REBUILT = {("domain/status.py", "Milestone"), ("domain/status.py", "Task")}


def test_every_row_built_there_is_stamped_with_the_callers_now():
    stamped = _stamped_models()
    assert {"Task", "AuditEntry", "OutboxMessage", "Project"} <= set(stamped)
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if name not in stamped:
                continue
            given = {k.arg for k in node.keywords}
            if None in given and (path, name) in REBUILT:
                continue
            missing = stamped[name] - given
            if missing:
                found.append(f"bot/{path}:{node.lineno} {name}(...) without {', '.join(sorted(missing))}")
    assert not found, "pass the caller's `now`:\n" + "\n".join(found)


def test_the_check_finds_a_wall_clock_read_and_an_unstamped_row():
    """The checks above can fail: they see what they are meant to see."""
    tree = ast.parse("def f():\n    x = utcnow()\n    y = datetime.now(UTC)\n    Task(title='t')\n")
    reads = [n for _, n in _functions(tree) if isinstance(n, ast.Call) and _reads_wall_clock(n)]
    assert len(reads) == 2
    assert "created_at" in _stamped_models()["Task"]

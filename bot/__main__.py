"""Command line: `python -m bot run|shell|web|worker|db|manifest|report|import|doctor`.

This is where transports are wired to jobs: a worker (its own process, or a
thread of the Slack process) gets the Slack notifier and the Slack jobs
here, so `bot.jobs` never imports a transport.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import click

from bot.config import ConfigError, Settings, load_settings
from bot.db import make_engine, upgrade

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from bot.domain.outbox import Notifier

log = logging.getLogger("bot")


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        click.echo(f"Configuration error: {exc}", err=True)
        sys.exit(2)


def _setup_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@click.group()
def cli() -> None:
    """The IT project manager that lives in Slack."""


@cli.command()
@click.option("--socket", "socket_only", is_flag=True,
              help="Socket Mode or nothing (the Slack CLI's start hook).")
def run(socket_only: bool) -> None:
    """Migrate the database, then connect to Slack if credentials are set, else start the local shell.

    \b
    python -m bot run            (what `make run` starts)
    python -m bot run --socket   (what `slack run` starts, with the tokens it made)"""
    settings = _settings()
    if socket_only and not settings.socket_mode:
        click.echo("Configuration error: --socket needs SLACK_APP_TOKEN (xapp-...); `slack run` sets it, "
                   "or see the README's manual path", err=True)
        sys.exit(2)
    if settings.has_slack_credentials:
        _require_slack(settings)  # a setting that stops start-up: one line, and nothing else
    _migrated_engine(settings).dispose()  # as `make run` does: the Slack CLI's start hook has no make
    _print_hint(settings)
    if not settings.has_slack_credentials:
        where = settings.database_url.split("///")[-1] if settings.is_sqlite else "the database"
        click.echo(f"No Slack credentials found: starting the local shell on {where} "
                   "(demo project seeded on first run).")
        _shell(settings, demo=True, user="alice", channel="website")
        return
    _setup_logging(settings)
    from bot.slack.runner import run_slack

    run_slack(settings, start_worker=partial(_worker_in_process, settings))


def _slack_jobs(settings: Settings) -> Callable[[BaseScheduler], None]:
    """What the Slack transport adds to a worker's jobs (the users' time zones)."""
    from bot.slack.users import register_jobs

    return partial(register_jobs, settings=settings)


def _worker_in_process(settings: Settings, notifier: Notifier) -> None:
    """The worker in a thread of the Slack process, sending through its app's notifier."""
    from bot.jobs.worker import start_in_process

    start_in_process(settings, notifier=notifier, register=_slack_jobs(settings))


def _print_hint(settings: Settings) -> None:
    """One line before starting when the quick local checks find something that will fail."""
    from bot.doctor import quick_hint

    hint = quick_hint(settings)
    if hint:
        click.echo(f"Hint: {hint} (`python -m bot doctor` checks everything)", err=True)


def _require_slack(settings: Settings) -> None:
    from bot.slack.runner import check_slack_settings

    try:
        check_slack_settings(settings)
    except ConfigError as exc:
        click.echo(f"Configuration error: {exc}", err=True)
        sys.exit(2)


def _migrated_engine(settings: Settings, revision: str = "head"):
    """The engine with migrations applied; an unreachable database is one line, not a traceback."""
    from sqlalchemy.exc import OperationalError

    engine = make_engine(settings.database_url)
    try:
        upgrade(engine, revision)
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0] if str(exc.orig or exc).strip() else ""
        click.echo(f"Database error: cannot open DATABASE_URL ({engine.url.render_as_string()}): "
                   f"{reason}", err=True)
        sys.exit(2)
    return engine


def _shell(settings: Settings, *, demo: bool, user: str, channel: str) -> None:
    from bot.shell.console import run_shell

    engine = _migrated_engine(settings)
    run_shell(engine, settings, demo=demo, user=user, channel=channel)


@cli.command()
@click.option("--demo/--no-demo", default=False, help="Seed the demo project if the database is empty.")
@click.option("--as", "user", default="alice", show_default=True, help="Act as this person.")
@click.option("--in", "channel", default="website", show_default=True, help="Act in this channel.")
def shell(demo: bool, user: str, channel: str) -> None:
    """Type /project commands locally, without Slack."""
    _shell(_settings(), demo=demo, user=user, channel=channel)


@cli.command()
def web() -> None:
    """Serve Slack over HTTP under gunicorn (binds $PORT)."""
    settings = _settings()
    _setup_logging(settings)
    _require_slack(settings)
    from bot.slack.server import serve

    serve(settings, start_worker=partial(_worker_in_process, settings))


@cli.command()
@click.option("--socket", "socket_mode", is_flag=True, help="For Socket Mode (no public URL).")
@click.option("--url", default=None, help="Public base URL for HTTP mode, e.g. https://pm.example.com")
@click.option("--oauth", is_flag=True, help="Add the OAuth redirect URL (multi-workspace install).")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True,
              help="YAML to paste at api.slack.com/apps; JSON for the Slack CLI.")
# Set by the Slack CLI when it runs this as its get-manifest hook (.slack/hooks.json):
@click.option("--protocol", hidden=True, default=None)
@click.option("--boundary", hidden=True, default="")
@click.option("--source", hidden=True, default=None)
def manifest(socket_mode: bool, url: str | None, oauth: bool, fmt: str, protocol: str | None, boundary: str,
             source: str | None) -> None:
    """Print the Slack app manifest generated from the code.

    \b
    python -m bot manifest --socket > manifest.yaml
    python -m bot manifest --url https://pm.example.com --oauth
    python -m bot manifest --socket --format json     (what `slack run` reads)"""
    from bot.slack.manifest import build_manifest

    if socket_mode == bool(url):
        click.echo("Say how Slack reaches the bot: --socket, or --url https://your-host", err=True)
        sys.exit(2)
    if url and not url.startswith("https://"):
        click.echo(f"--url must be a public https:// URL (got {url!r})", err=True)
        sys.exit(2)
    text = build_manifest(socket=socket_mode, url=url, oauth=oauth, fmt=fmt)
    if protocol is None:
        click.echo(text, nl=False)
        return
    # the Slack CLI's hook protocol (message boundaries or plain stdout), as Slack's package implements it
    from slack_cli_hooks.protocol import build_protocol

    build_protocol(["manifest", "--protocol", protocol, "--boundary", boundary]).respond(text.strip())


@cli.command()
@click.option("--url", default=None, help="Public base URL of the HTTP server, e.g. https://pm.example.com")
@click.option("--quick", is_flag=True, help="Only the local checks (settings, database): no network.")
def doctor(url: str | None, quick: bool) -> None:
    """Check everything a working install needs; each check is OK or says what to do.

    Exit status 0 only when every check passes.

    \b
    python -m bot doctor
    python -m bot doctor --url https://pm.example.com   (HTTP mode: is the server reachable?)
    python -m bot doctor --quick                        (settings and database only)"""
    from bot.doctor import render, run_doctor

    checks = run_doctor(_settings(), url=url, quick=quick)
    click.echo(render(checks), nl=False)
    sys.exit(0 if all(c.passed for c in checks) else 1)


@cli.command()
def worker() -> None:
    """Run the scheduler and the outbox senders (one leader among workers)."""
    settings = _settings()
    _setup_logging(settings)
    from bot.jobs.worker import run_worker
    from bot.mail import with_email
    from bot.slack.notifier import notifier_for

    if not settings.oauth_enabled and not settings.slack_bot_token:
        log.warning("no SLACK_BOT_TOKEN: messages stay in the outbox as failed")
    notifier = with_email(notifier_for(settings, make_engine(settings.database_url)), settings)
    run_worker(settings, notifier=notifier, register=_slack_jobs(settings))


@cli.command()
@click.argument("script", type=click.File("r", encoding="utf-8"))
@click.option("--database", default=None, metavar="URL",
              help="Run in this database (default: a scratch SQLite file, deleted afterwards).")
@click.option("--edits", is_flag=True, help="Print every edit of a message in full (default: one line).")
def simulate(script, database: str | None, edits: bool) -> None:
    """Run SCRIPT (commands and clock moves, `-` for stdin) over simulated time; print every reply."""
    import dataclasses
    import tempfile

    from bot.shell.simulation import ScriptError, run_script

    settings = _settings()
    with tempfile.TemporaryDirectory(prefix="pm-bot-simulate-") as scratch:
        url = database or f"sqlite:///{scratch}/simulate.sqlite3"
        engine = _migrated_engine(dataclasses.replace(settings, database_url=url))
        try:
            run_script(engine, settings, script.read().splitlines(), echo=click.echo, edits=edits)
        except ScriptError as exc:
            click.echo(f"Script error: {exc}", err=True)
            sys.exit(2)
        finally:
            engine.dispose()


@cli.command()
@click.argument("project")
@click.option("--format", "fmt", type=click.Choice(["md", "csv", "pdf"]), default="md", show_default=True,
              help="Markdown for people, CSV for spreadsheets, PDF (with --final) to send on.")
@click.option("--final", is_flag=True, help="The final (closing) report: planned vs actual.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of standard output.")
@click.option("--team", default=None, help="Workspace (team id), when several have this project key.")
def report(project: str, fmt: str, final: bool, output: str | None, team: str | None) -> None:
    """Print PROJECT's weekly report, or with --final its final report (as of now, in the project's zone)."""
    from sqlmodel import Session

    from bot.domain.closing.close import export_final
    from bot.domain.errors import DomainError
    from bot.domain.report import export
    from bot.models import utcnow

    if fmt == "pdf" and not final:
        click.echo("A PDF is made of the final report: add --final.", err=True)
        sys.exit(2)
    settings = _settings()
    with Session(make_engine(settings.database_url)) as session:
        try:
            data = (export_final(session=session, key=project, now=utcnow(), fmt=fmt, team_id=team) if final
                    else export(session=session, key=project, now=utcnow(), fmt=fmt, team_id=team).encode())
        except DomainError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
    if output:
        with open(output, "wb") as out:
            out.write(data)
        click.echo(f"Wrote {output}.", err=True)
    else:
        click.echo(data, nl=False)  # bytes go to the binary stream


@cli.command("import")
@click.argument("project")
@click.argument("csv_file", type=click.File("rb"))
@click.option("--team", default=None, help="Workspace (team id), when several have this project key.")
@click.option("--as", "actor", default=None, metavar="USER_ID",
              help="Who imports (an owner or manager; default: the project's owner).")
@click.option("--again", is_flag=True, help="Import a file that was imported before once more.")
def import_plan(project: str, csv_file, team: str | None, actor: str | None, again: bool) -> None:
    """Import tasks, milestones and dependencies from CSV_FILE into PROJECT, all or nothing.

    \b
    Columns: id,title,estimate,assignee,due,milestone,after (a header row first)
    python -m bot import website plan.csv"""
    from sqlmodel import Session

    from bot.commands.plan_import import decode, find_project
    from bot.commands.plan_import import import_plan as run_import
    from bot.domain.errors import DomainError
    from bot.domain.format import plural
    from bot.models import utcnow

    settings = _settings()
    resolve = None
    if settings.slack_bot_token:
        from bot.slack.users import email_resolver

        resolve = email_resolver(settings)
    with Session(make_engine(settings.database_url), expire_on_commit=False) as session:
        try:
            found = find_project(session=session, key=project, team_id=team)
            done = run_import(session=session, project=found, actor=actor or found.owner_user_id,
                              text=decode(csv_file.read()), now=utcnow(), date_order=settings.date_order,
                              resolve_email=resolve, again=again)
            session.commit()
        except DomainError as exc:
            session.rollback()
            click.echo(str(exc).replace("*", ""), err=True)
            sys.exit(1)
    numbers = sorted(done.tasks.values())
    span = f"#{numbers[0]}–#{numbers[-1]}" if len(numbers) > 1 else f"#{numbers[0]}"
    added = f"; milestones added: {', '.join(done.milestones_added)}" if done.milestones_added else ""
    click.echo(f"Imported {plural(len(numbers), 'task')} into {found.name} ({span}), "
               f"{plural(done.links, 'link')}{added}.")
    if any(row_id != number for row_id, number in done.tasks.items()):
        click.echo("Task numbers differ from the file's ids: " + ", ".join(
            f"{row_id} → #{number}" for row_id, number in sorted(done.tasks.items())[:30])
            + (" …" if len(done.tasks) > 30 else ""))
    if done.past_due:
        click.echo(f"Note: {done.past_due} of them are already past their due date.")
    click.echo(f"The critical path: /project schedule {found.key}; the picture: /project chart timeline {found.key}")


@cli.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations (default: to the newest)."""
    _migrated_engine(_settings(), revision)
    click.echo(f"Database is at {revision}.")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION (use `base` for all)."""
    from bot.db import downgrade

    settings = _settings()
    downgrade(make_engine(settings.database_url), revision)
    click.echo(f"Database is at {revision}.")


def main() -> None:
    cli(prog_name="python -m bot")


if __name__ == "__main__":
    main()

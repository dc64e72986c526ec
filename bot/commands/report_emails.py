"""The weekly report by email: `report send`, and the `to ...` / `remove ...`
parts of `report schedule` (`change_recipients`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from bot.commands.grammar import Kind, UsageError
from bot.commands.registry import Args, Context, command
from bot.commands.sharing import take_costs
from bot.domain import audit, charts, report_emails
from bot.domain import report as report_service
from bot.domain.access import Action, require
from bot.domain.format import plural
from bot.domain.replies import Reply
from bot.models import Project

HOW_TO_SET_EMAIL = (
    "Email needs a mail server. Set `SMTP_URL` (like `smtp://user:password@mail.example.com:587`, which "
    "uses STARTTLS, or `smtps://user:password@mail.example.com:465`) and `SMTP_FROM` (like "
    "`PM bot <pm@example.com>`) in the environment or `.env` of the bot (the web process and the worker), "
    "then restart it. README: \"Keeping clients informed\".")


@dataclass
class Emailed:
    changed: bool = False
    notes: list[str] = field(default_factory=list)


def take_addresses(args: Args, after: str) -> list[str] | None:
    """The addresses after the word `after` (`to a@x.com, b@y.com`), taken off
    the tokens with it; None when `after` is not there. Slack's `mailto:` links
    and commas are read as typed."""
    for i, tok in enumerate(args.tokens):
        if tok.kind is Kind.WORD and tok.lower == after:
            rest = args.tokens[i + 1:]
            del args.tokens[i:]
            addresses = []
            for t in rest:
                if t.kind not in (Kind.WORD, Kind.QUOTED):
                    raise UsageError(f"`{after}` takes email addresses, like client@example.com.")
                for part in t.value.replace(";", ",").split(","):
                    part = part.strip().removeprefix("mailto:")
                    if part and part.lower() != "and":
                        addresses.append(part)
            if not addresses:
                raise UsageError(f"`{after}` takes email addresses, like `{after} client@example.com, "
                                 "cfo@example.com`.")
            return addresses
    return None


def change_recipients(ctx: Context, args: Args, project: Project) -> Emailed:
    """`to a@x.com, ... [show costs|hide costs]` adds recipients to the weekly
    report, `remove a@x.com, ...` takes them off (revoking their links)."""
    out = Emailed()
    show_costs = take_costs(args)
    added = take_addresses(args, "to")
    removed = take_addresses(args, "remove") if added is None else None
    if added is None and removed is None:
        if show_costs is not None:
            raise UsageError("`show costs` and `hide costs` go with `to` and the addresses.")
        return out
    if added is not None:
        if not ctx.email_configured:
            raise UsageError(HOW_TO_SET_EMAIL)
        changed, already = report_emails.add_recipients(session=ctx.session, project=project, actor=ctx.user_id,
                                                        addresses=added, show_costs=bool(show_costs), now=ctx.now)
        out.changed = bool(changed)
        if already and not changed:
            out.notes.append(f"{', '.join(already)} already {'gets' if len(already) == 1 else 'get'} it "
                             "that way; nothing changed.")
        return out
    gone, revoked = report_emails.remove_recipients(session=ctx.session, project=project, actor=ctx.user_id,
                                                    addresses=removed or [], now=ctx.now)
    out.changed = bool(gone)
    if not gone:
        out.notes.append("None of those addresses gets the report; nothing changed.")
    else:
        links = ""
        if revoked:
            numbers = ", ".join(f"S{n}" for n in revoked)
            links = (f" (the status-page link its emails carried, {numbers}, is revoked)" if len(revoked) == 1
                     else f" (the status-page links their emails carried, {numbers}, are revoked)")
        out.notes.append(f"Took {', '.join(gone)} off the emailed report{links}.")
    return out


def recipients_phrase(project: Project, *, off: bool = False) -> str:
    """` It is also emailed to a@x.com (costs hidden).`, or nothing."""
    people = report_emails.recipients(project)
    if not people:
        return ""
    listed = ", ".join(r.phrase for r in people)
    return (f" While it is off it is not emailed to {listed} either." if off
            else f" It is also emailed to {listed}.")


@command("report send", usage="report send [PROJECT] [to EMAIL, ... [show costs|hide costs]]",
         examples=["report send", "report send website to client@example.com", "report send to cfo@example.com show costs"])
def report_send(ctx: Context, args: Args) -> Reply:
    """Email this week's report now: to the addresses given, else to the report's recipients."""
    project = args.take_project()
    show_costs = take_costs(args)
    addresses = take_addresses(args, "to")
    args.expect_end()
    require(session=ctx.session, project=project, user_id=ctx.user_id, action=Action.MANAGE,
            what="email the weekly report")
    if not ctx.email_configured:
        raise UsageError(HOW_TO_SET_EMAIL)
    if addresses is None:
        if show_costs is not None:
            raise UsageError("`show costs` and `hide costs` go with `to` and the addresses.")
        to = report_emails.recipients(project)
        if not to:
            raise UsageError(f"Nobody gets *{project.name}*'s report by email yet: `/project report send "
                             f"{project.key} to client@example.com`, or add them for every week with "
                             f"`/project report schedule {project.key} to client@example.com`.")
    else:
        to = [report_emails.Recipient(report_emails.check_address(a), bool(show_costs))
              for a in dict.fromkeys(addresses)]
    weekly = report_service.build_weekly_report(session=ctx.session, project=project, today=args.today())
    digest = hashlib.sha1(report_service.to_markdown(weekly).encode()).hexdigest()[:12]
    base = f"report-email:{project.team_id}:{project.id}:{args.today().isoformat()}:{digest}"
    if not report_emails.unsent_keys(session=ctx.session, keys=[report_emails.email_key(base, r.email) for r in to]):
        return Reply.text(f"This report of *{project.name}* was already emailed to "
                          f"{', '.join(r.email for r in to)}; nothing was sent again.")
    chart = charts.render_chart(session=ctx.session, report=weekly.status, kind="burnup")
    queued = report_emails.queue_emails(session=ctx.session, weekly=weekly, to=to, base_key=base,
                                        chart_path=str(chart), public_url=ctx.public_url, actor=ctx.user_id,
                                        now=ctx.now)
    skipped = [r.email for r in to if r.email not in queued]
    link = (" with a link to the live status page (one per address, in `/project share list`)" if ctx.public_url
            else " (no link to a status page: `PUBLIC_URL` is not set)")
    text = f"Emailing this week's report of *{project.name}* to {', '.join(queued)}{link}."
    if skipped:
        text += f" {plural(len(skipped), 'address')} had it already: {', '.join(skipped)}."
    audit.record(session=ctx.session, team_id=project.team_id, user_id=ctx.user_id, action="report.email",
                 entity="project", entity_id=project.id, project_id=project.id, now=ctx.now,
                 after={"to": queued})
    return Reply.text(text)

"""`/project share`, `share list`, `share revoke`: status pages for people outside Slack."""

from __future__ import annotations

import re
from datetime import datetime

from bot.commands.grammar import Kind, UsageError, shown
from bot.commands.registry import Args, Context, command
from bot.domain import sharing
from bot.domain.access import Action, require
from bot.domain.client_view import local_moment
from bot.domain.format import mention, plural, truncate
from bot.domain.replies import Reply, Section
from bot.models import Project, ShareLink

HOW_TO_SET_PUBLIC_URL = (
    "Sharing needs the address people outside Slack reach this bot at. Set `PUBLIC_URL` "
    "(like `PUBLIC_URL=https://pm.example.com`) in the environment or `.env` and restart the bot; "
    "the page is then served at `PUBLIC_URL/p/...` by the web process (HTTP mode), or in Socket Mode "
    "by a small web server on `$PORT` (put it behind your HTTPS proxy). README: \"Keeping clients informed\".")
_PERIOD = re.compile(r"(\d{1,3})\s*(d|days?|w|weeks?)", re.IGNORECASE)


def _take_period(args: Args) -> int | None:
    """`for 30d`, `for 30 days`, `for 4w`, `for 2 weeks` -> days; None when not given."""
    for i, tok in enumerate(args.tokens):
        if tok.lower != "for" or tok.kind is not Kind.WORD:
            continue
        words = [t.value for t in args.tokens[i + 1 : i + 3] if t.kind is Kind.WORD]
        for used in (1, 2):
            match = _PERIOD.fullmatch("".join(words[:used]))
            if match:
                del args.tokens[i : i + 1 + used]
                number = int(match.group(1))
                return number * 7 if match.group(2).lower().startswith("w") else number
        raise UsageError(f"`for` takes how long the link works, like `for 30d` or `for 4w` "
                         f"(got `{shown(' '.join(words[:2]) or 'nothing')}`).")
    return None


def take_costs(args: Args) -> bool | None:
    """`show costs` -> True, `hide costs` -> False, anywhere; None when not said."""
    for i, tok in enumerate(args.tokens[:-1]):
        if tok.lower in ("show", "hide") and args.tokens[i + 1].lower in ("costs", "cost"):
            del args.tokens[i : i + 2]
            return tok.lower == "show"
    return None


def _link_line(link: ShareLink, project: Project, now: datetime) -> str:
    state = sharing.state_of(link, now)
    label = f" · {truncate(link.label, 80)}" if link.label else ""
    costs = "costs shown" if link.show_costs else "costs hidden"
    made = f"made by {mention(link.created_by)} {local_moment(link.created_at, project.timezone)}"
    if state == "revoked":
        when = f"revoked {local_moment(link.revoked_at, project.timezone)}"  # type: ignore[arg-type]
    else:
        when = f"{'expired' if state == 'expired' else 'works until'} {local_moment(link.expires_at, project.timezone)}"
    return f"*S{link.number}*{label} · {costs} · {when} · {made}"


@command("share", usage='share [PROJECT] [for 30d] [show costs|hide costs] ["who it is for"]',
         examples=["share", 'share website for 90d show costs "Acme board"', "share crm for 2w"])
def share(ctx: Context, args: Args) -> Reply:
    """A link to a read-only status page for people outside Slack (shown once; expires; revocable)."""
    project = args.take_project()
    days = _take_period(args)
    days = sharing.DEFAULT_DAYS if days is None else days
    show_costs = bool(take_costs(args))
    label = args.take_text(what="who the link is for", required=False) if args.tokens else ""
    args.expect_end()
    require(session=ctx.session, project=project, user_id=ctx.user_id, action=Action.MANAGE,
            what="share a status page")
    if not ctx.public_url:
        raise UsageError(HOW_TO_SET_PUBLIC_URL)
    link, token = sharing.create_link(session=ctx.session, project=project, actor=ctx.user_id, days=days,
                                      show_costs=show_costs, label=label, now=ctx.now)
    url = sharing.page_url(ctx.public_url, token)
    costs = "costs shown" if show_costs else "costs hidden; `show costs` shows them"
    text = (f"Status page of *{project.name}*, link *S{link.number}*"
            + (f" for {truncate(label, 80)}" if label else "")
            + f" ({costs}), works until {local_moment(link.expires_at, project.timezone)}:\n{url}")
    note = ("Anyone with this link sees the page, so send it only to whom it is for. It is shown only "
            f"now (the bot keeps a hash, not the link). `/project share revoke {project.key} S{link.number}` "
            "turns it off; `/project share list` lists the links.")
    replay = (f"Link S{link.number} of *{project.name}* was made by the first delivery of this command and "
              f"shown then; it is not stored. Lost it? `/project share revoke {project.key} S{link.number}` "
              "and share again.")
    return Reply(sections=[Section(text=text), Section(text=note)], replay=replay)


@command("share list", usage="share list [PROJECT] [all]", examples=["share list", "share list website all"])
def share_list(ctx: Context, args: Args) -> Reply:
    """The project's status-page links that work (with `all`: expired and revoked ones too)."""
    project = args.take_project()
    all_ = args.take_word(what="`all`", choices=["all"], required=False) == "all"
    args.expect_end()
    require(session=ctx.session, project=project, user_id=ctx.user_id, action=Action.MANAGE,
            what="see the status page links")
    links = sharing.list_links(session=ctx.session, project=project, now=ctx.now, all_=all_)
    if not links:
        more = "" if all_ else f" (`/project share list {project.key} all` shows expired and revoked ones)"
        return Reply.text(f"*{project.name}* has no {'' if all_ else 'working '}status page links{more}. "
                          f"`/project share {project.key}` makes one.")
    heading = f"{project.name}: {plural(len(links), 'status page link')}" + ("" if all_ else " that work")
    return Reply(title=heading, sections=[Section(text="\n".join(_link_line(x, project, ctx.now) for x in links))],
                 footer="Links are shown only when made. "
                        f"`/project share revoke {project.key} S{links[0].number}` turns one off.")


@command("share revoke", usage="share revoke [PROJECT] S1", examples=["share revoke S1", "share revoke website S2"])
def share_revoke(ctx: Context, args: Args) -> Reply:
    """Turn a status-page link off for good: it then shows nothing."""
    project = args.take_project()
    if not args.tokens or args.tokens[0].kind is not Kind.WORD:
        raise UsageError("Expected a link number, like S1 (`/project share list` lists them).")
    raw = args.tokens.pop(0).value
    match = re.fullmatch(r"[sS]?(\d{1,6})", raw)
    if not match:
        raise UsageError(f"Expected a link number like S1 (got `{shown(raw)}`).")
    args.expect_end()
    link, revoked = sharing.revoke(session=ctx.session, project=project, actor=ctx.user_id,
                                   number=int(match.group(1)), now=ctx.now)
    if not revoked:
        return Reply.text(f"Link S{link.number} of *{project.name}* was already revoked "
                          f"({local_moment(link.revoked_at, project.timezone)}); nothing changed.")  # type: ignore[arg-type]
    return Reply.text(f"Revoked link S{link.number} of *{project.name}*: it now shows nothing "
                      "(\"This link does not work\").")

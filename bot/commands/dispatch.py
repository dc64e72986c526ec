"""`/project` text in, `Reply` out: find the subcommand, run it, map errors.

This is the one error handler: usage and domain errors become short replies
with the subcommand's usage (a refused permission says who may, without the
usage); the transaction commits only on success.
"""

from __future__ import annotations

import difflib
import logging
import re

from sqlalchemy.exc import IntegrityError

from bot.commands.grammar import Kind, UsageError, shown, tokenize
from bot.commands.registry import COMMANDS, Args, Command, Context
from bot.domain import audit
from bot.domain.errors import DomainError, PermissionDenied
from bot.domain.idempotency import claim, earlier_result
from bot.domain.replies import Reply, Section, reply_from_dict, reply_to_dict

log = logging.getLogger(__name__)


def find_command(words: list[str]) -> tuple[Command | None, int]:
    """The longest registered path that prefixes `words`, and its length."""
    for size in range(min(3, len(words)), 0, -1):
        cmd = COMMANDS.get(tuple(words[:size]))
        if cmd:
            return cmd, size
    return None, 0


def _group_help(group: str) -> Reply | None:
    subs = [c for path, c in sorted(COMMANDS.items()) if path[0] == group and len(path) > 1]
    if not subs:
        return None
    lines = [f"`/project {c.usage}`\n{c.summary}" for c in subs]
    return Reply(title=f"/project {group}", sections=[Section(text="\n".join(lines))])


# Words that mean "make it go away": what a group offers for them instead (nothing
# is erased; a suggestion must never be `task done` for "task erase").
DESTRUCTIVE = frozenset({"delete", "del", "remove", "rm", "erase", "drop", "destroy", "trash", "discard",
                         "kill", "purge", "wipe", "scrap", "void", "undo"})
INSTEAD = {"task": "task cancel", "milestone": "milestone cancel", "spend": "spend undo", "log": "log undo"}


def suggest(word: str) -> str | None:
    group, _, verb = word.lower().partition(" ")
    if group in INSTEAD and verb in DESTRUCTIVE:
        return "task reopen" if word.lower() == "task undo" else INSTEAD[group]
    names = sorted({" ".join(p[:1]) for p in COMMANDS} | {" ".join(p) for p in COMMANDS})
    close = difflib.get_close_matches(word.lower(), names, n=1, cutoff=0.6)
    return close[0] if close else None


def _run(cmd: Command, tokens: list, ctx: Context) -> tuple[Reply, Args]:
    """Run and commit; a unique-key clash with a concurrent request is retried
    once from scratch (per-project numbers never clash: `bot.domain.numbering`)."""
    try:
        return _run_once(cmd, tokens, ctx)
    except IntegrityError:
        ctx.session.rollback()
        return _run_once(cmd, tokens, ctx)


def _run_once(cmd: Command, tokens: list, ctx: Context) -> tuple[Reply, Args]:
    args = Args(tokens, ctx)
    reply = cmd.handler(ctx, args)
    changed = bool(ctx.session.info.get(audit.RECORDED))  # read-only commands claim nothing
    kept = Reply.text(reply.replay) if reply.replay else reply  # a secret shown once is not stored
    if changed and ctx.request_key and not claim(session=ctx.session, team_id=ctx.team_id,
                                                 key=ctx.request_key, result=reply_to_dict(kept),
                                                 now=ctx.now):
        return _already_done(ctx), Args([], ctx)
    ctx.session.commit()
    return reply, args


def _already_done(ctx: Context) -> Reply:
    """A second delivery of a request that was carried out: undo this run's
    changes and answer what the first delivery answered."""
    ctx.session.rollback()
    ctx.session.info.pop(audit.RECORDED, None)
    earlier = earlier_result(session=ctx.session, team_id=ctx.team_id, key=ctx.request_key)
    log.info("request %s delivered again: already done, nothing changed", ctx.request_key)
    return reply_from_dict(earlier) if earlier else Reply.text("Already done; nothing was changed.")


def _leading_command(text: str) -> Command | None:
    """The command named by the plain words the text starts with, if any."""
    words = re.match(r"\s*((?:[A-Za-z]+\s+){0,2}[A-Za-z]+)(?![^\s])", text[:100])
    return find_command(words.group(1).lower().split())[0] if words else None


def dispatch(text: str, ctx: Context, *, raise_unexpected: bool = False) -> Reply:
    """Run `/project <text>` for `ctx` and return what to show. Never raises
    (unless `raise_unexpected`, which tests use to surface bugs)."""
    cmd: Command | None = None
    try:
        cmd = _leading_command(text or "")  # known even if the rest does not tokenize
        tokens = tokenize(text or "")
        words = []
        for tok in tokens[:3]:
            if tok.kind is not Kind.WORD:
                break
            words.append(tok.lower)
        if not tokens:
            cmd, size = COMMANDS[("help",)], 0
        elif not words:
            return Reply.fail("Start with a command word, like `/project status`. "
                              "`/project help` lists them all.")
        else:
            cmd, size = find_command(words)
        if cmd is None:
            group = _group_help(words[0])
            if group is not None and (len(words) == 1 or len(tokens) == 1):
                return group
            attempted = " ".join(words[:2]) if group is not None else words[0]
            hint = suggest(attempted)
            did_you_mean = f" Did you mean `/project {hint}`?" if hint else ""
            return Reply.fail(f"There is no `/project {shown(attempted)}`.{did_you_mean} Try `/project help`.")
        reply, args = _run(cmd, tokens[size:], ctx)
        if args.notes:
            reply.footer = "\n".join([*args.notes, reply.footer]).strip()
        return reply
    except UsageError as exc:
        ctx.session.rollback()
        return Reply.fail(str(exc), cmd.usage if cmd else "")
    except PermissionDenied as exc:
        ctx.session.rollback()
        return Reply.fail(str(exc))
    except DomainError as exc:
        ctx.session.rollback()
        return Reply.fail(str(exc), cmd.usage if cmd else "")
    except Exception:
        ctx.session.rollback()
        if raise_unexpected:
            raise
        log.exception("command %s failed", cmd.name if cmd else "?")
        return Reply.fail("Something went wrong on our side; nothing was changed. Please try again.")

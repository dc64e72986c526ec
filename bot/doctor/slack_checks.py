"""The Slack half of `doctor`: tokens, scopes, the connection, channels.

Every call goes to `SLACK_API_URL` (tests point it at the fake Slack):
`auth.test` says whose the bot token is, and its `x-oauth-scopes` response
header which scopes it has; `apps.connections.open` proves the app-level
token and Socket Mode; `conversations.info` whether the bot can post in each
project channel. In HTTP mode the web process's record of Slack's signed
requests (`signature_marks.py`) shows a wrong signing secret, and with
`--url` the public server is asked for `/healthz` and sent one request signed
as Slack signs them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.error import HTTPError, URLError
from urllib.parse import urlparse
from urllib.request import Request, urlopen

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.doctor.local import APP_TOKEN_FIX, BOT_TOKEN_FIX
from bot.doctor.report import Check, fail, ok, skip
from bot.models import Project, ProjectState, StandupConfig
from bot.slack.channels import channel_access
from bot.slack.signature_marks import DOCTOR_AGENT, read_signature_state

TIMEOUT = 10
MAX_CHANNELS = 40  # conversations.info is Tier 3 (50+ a minute)
TOKEN_ERRORS = {"invalid_auth": "Slack does not know this token (mistyped, from another app, or regenerated)",
                "not_authed": "no token reached Slack", "token_revoked": "the token was revoked",
                "account_inactive": "the app was uninstalled or its workspace deactivated",
                "token_expired": "the token expired (token rotation is on)"}
SECRET_FIX = "copy Basic Information → App Credentials → Signing Secret into SLACK_SIGNING_SECRET " \
             "wherever `python -m bot web` runs, and restart it"


@dataclass
class Workspace:
    """One workspace the bot serves, as `auth.test` describes its token."""

    token: str
    team_id: str = ""
    team: str = ""
    bot_name: str = ""
    scopes: set[str] | None = None  # None: Slack did not say


def _client(settings: Settings, token: str) -> WebClient:
    return WebClient(token=token, base_url=settings.slack_api_url, timeout=TIMEOUT)


def _failure_reason(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    return f"{exc.__class__.__name__}: {getattr(exc, 'reason', exc)}"


def slack_checks(settings: Settings, engine: Engine | None, *, wanted_scopes: list[str],
                 url: str | None = None) -> list[Check]:
    if not settings.has_slack_credentials:
        return [skip("Slack", "no Slack credentials set: nothing to check there")]
    tokens, problem = _tokens(settings, engine)
    checks: list[Check] = [problem] if problem else []
    workspaces: list[Workspace] = []
    for token in tokens:
        check, workspace = _auth_test(settings, token)
        checks.append(check)
        if workspace:
            workspaces.append(workspace)
            checks.append(_scopes(workspace, wanted_scopes, settings))
    if workspaces and engine is not None and not settings.oauth_enabled:
        checks.append(_same_workspace(workspaces[0], engine))
    if settings.socket_mode:
        checks.append(_socket_mode(settings))
    else:
        checks.append(_signature_marks(engine))
        checks.extend(_server(settings, url) if url else
                      [skip("server", "give --url https://your-host to check it from here")])
    if engine is not None:
        checks.extend(_channels(settings, engine, workspaces))
    return checks


def _tokens(settings: Settings, engine: Engine | None) -> tuple[list[str], Check | None]:
    if not settings.oauth_enabled:
        return [settings.slack_bot_token], None
    if engine is None:
        return [], skip("workspaces", "installed workspaces are in the database, which is not ready")
    from bot.slack.notifier import notifier_for

    with engine.connect() as conn:
        teams = [row[0] for row in conn.execute(text("SELECT DISTINCT team_id FROM slack_bots "
                                                     "WHERE team_id IS NOT NULL ORDER BY team_id"))]
    token_for = notifier_for(settings, engine).token_for  # the token each workspace's messages go with
    tokens = [token for team in teams if (token := token_for(team))]
    if not tokens:
        return [], fail("workspaces", "no workspace has installed the app yet",
                        "send a workspace admin to https://your-host/slack/install")
    return tokens, ok("workspaces", f"{len(tokens)} installed")


def _auth_test(settings: Settings, token: str) -> tuple[Check, Workspace | None]:
    try:
        response = _client(settings, token).auth_test()
    except SlackApiError as exc:
        error = _failure_reason(exc)
        return fail("Slack token", f"auth.test: {error}: {TOKEN_ERRORS.get(error, 'Slack refused the token')}",
                    BOT_TOKEN_FIX + (", after reinstalling the app" if error in ("token_revoked",
                                                                               "account_inactive") else "")), None
    except (URLError, OSError) as exc:
        return fail("Slack token", f"cannot reach Slack at {settings.slack_api_url} ({_failure_reason(exc)})",
                    "check this machine's network (and SLACK_API_URL if you changed it)"), None
    headers = {k.lower(): v for k, v in (response.headers or {}).items()}
    scopes = headers.get("x-oauth-scopes")
    workspace = Workspace(token=token, team_id=response.get("team_id", ""), team=response.get("team", ""),
                          bot_name=response.get("user", ""),
                          scopes=None if scopes is None else {s.strip() for s in scopes.split(",") if s.strip()})
    return ok("Slack token", f"workspace {workspace.team} ({workspace.team_id}), bot user "
              f"@{workspace.bot_name} ({response.get('user_id', '')})"), workspace


def _scopes(workspace: Workspace, wanted: list[str], settings: Settings) -> Check:
    if workspace.scopes is None:
        return skip("scopes", "Slack did not say which scopes the token has (no x-oauth-scopes header)")
    missing = [scope for scope in wanted if scope not in workspace.scopes]
    if not missing:
        return ok("scopes", f"the token has all {len(wanted)} scopes the manifest asks for")
    mode = "--socket" if settings.socket_mode else "--url https://your-host"
    lines = "\n".join(f"      - {scope}" for scope in missing)
    return fail("scopes", f"{workspace.team or workspace.team_id}: the bot token lacks {', '.join(missing)}",
                "add under oauth_config → scopes → bot in the app's manifest (api.slack.com/apps → your app "
                f"→ App Manifest; `python -m bot manifest {mode}` prints the whole one):\n{lines}\n"
                "then Install App → Reinstall to Workspace (`slack run` reinstalls by itself)")


def _same_workspace(workspace: Workspace, engine: Engine) -> Check:
    with engine.connect() as conn:
        teams = {row[0] for row in conn.execute(select(Project.team_id).distinct())}
    if not teams or workspace.team_id in teams:
        return ok("workspace", f"the projects here belong to {workspace.team or workspace.team_id}"
                  if teams else "no projects yet")
    return fail("workspace", f"the bot token is for {workspace.team} ({workspace.team_id}) but the projects "
                f"here belong to {', '.join(sorted(teams))}",
                "use the bot token of the workspace these projects live in (or a fresh DATABASE_URL)")


def _socket_mode(settings: Settings) -> Check:
    try:
        WebClient(base_url=settings.slack_api_url, timeout=TIMEOUT).apps_connections_open(
            app_token=settings.slack_app_token)
    except SlackApiError as exc:
        error = _failure_reason(exc)
        meaning = {"invalid_auth": "Slack does not know this app-level token",
                   "not_allowed_token_type": "this is not an app-level token",
                   "missing_scope": "the app-level token lacks connections:write"}.get(error, "Slack refused")
        return fail("Socket Mode", f"apps.connections.open: {error}: {meaning}",
                    APP_TOKEN_FIX + "; and turn on Socket Mode (Settings → Socket Mode)")
    except (URLError, OSError) as exc:
        return fail("Socket Mode", f"cannot reach Slack ({_failure_reason(exc)})", "check this machine's network")
    return ok("Socket Mode", "apps.connections.open gave a connection URL: the app-level token works")


def _signature_marks(engine: Engine | None) -> Check:
    if engine is None:
        return skip("Slack's requests", "recorded in the database, which is not ready")
    state = read_signature_state(engine)
    if state is None or (state.ok_at is None and state.failed_at is None):
        return skip("Slack's requests", "none has reached /slack/events yet: use /project in Slack, "
                    "then run doctor again")
    if state.refused_since_last_pass:
        since = f"since the last good one at {_utc(state.ok_at)}" if state.ok_at else "and none passed"
        return fail("Slack's requests", f"{state.failures} signed by Slack were refused (last at "
                    f"{_utc(state.failed_at)}) {since}: SLACK_SIGNING_SECRET does not match the app's", SECRET_FIX)
    return ok("Slack's requests", f"the last one passed the signature check at {_utc(state.ok_at)}")


def _utc(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def _server(settings: Settings, url: str) -> list[Check]:
    base = url.rstrip("/")
    parsed = urlparse(base)
    local = parsed.hostname in ("127.0.0.1", "localhost", "::1")
    if parsed.scheme != "https" and not local:
        return [fail("server", f"{url} is not https://", "Slack only calls https:// URLs: put the bot "
                     "behind TLS (a reverse proxy or your platform's router)")]
    try:
        with urlopen(f"{base}/healthz", timeout=TIMEOUT) as response:
            health = ok("server", f"{base}/healthz answers {response.status}: the web process and its "
                        "database are up")
    except HTTPError as exc:
        health = fail("server", f"{base}/healthz answers {exc.code}" + (
            ": the web process cannot reach its database" if exc.code == 503 else ""),
            "check the web process's log and DATABASE_URL" if exc.code == 503 else
            f"is `python -m bot web` what answers at {base}?")
    except (URLError, OSError) as exc:
        return [fail("server", f"{base}/healthz is not reachable from here ({_failure_reason(exc)})",
                     f"is `python -m bot web` running, and does {parsed.hostname} reach it (DNS, TLS, "
                     "firewall, proxy to $PORT)?")]
    return [health, _signed_probe(settings, base)]


def _signed_probe(settings: Settings, base: str) -> Check:
    """Slack's own first request (`url_verification`), signed with this machine's secret."""
    body = json.dumps({"type": "url_verification", "token": "doctor", "challenge": "doctor-probe"}).encode()
    ts = str(int(time.time()))
    signature = "v0=" + hmac.new(settings.slack_signing_secret.encode(), f"v0:{ts}:".encode() + body,
                                 hashlib.sha256).hexdigest()
    request = Request(f"{base}/slack/events", data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature,
        "User-Agent": DOCTOR_AGENT})
    try:
        with urlopen(request, timeout=TIMEOUT) as response:
            answered = "doctor-probe" in response.read().decode(errors="replace")
    except HTTPError as exc:
        if exc.code == 401:
            return fail("signing secret", f"{base} refuses a request signed with this machine's "
                        "SLACK_SIGNING_SECRET: the server has another one", SECRET_FIX)
        return fail("signing secret", f"{base}/slack/events answers {exc.code}", "see the web process's log")
    except (URLError, OSError) as exc:
        return fail("signing secret", f"{base}/slack/events is not reachable ({_failure_reason(exc)})",
                    "see the web process's log")
    if not answered:
        return fail("signing secret", f"{base}/slack/events accepted the request but did not answer it "
                    "as Slack expects", f"is `python -m bot web` what answers at {base}?")
    return ok("signing secret", f"{base}/slack/events verifies requests signed with this SLACK_SIGNING_SECRET")


def _channels(settings: Settings, engine: Engine, workspaces: list[Workspace]) -> list[Check]:
    """Every channel an open project or a standup posts to."""
    open_states = (ProjectState.ACTIVE.value, ProjectState.ON_HOLD.value)
    with engine.connect() as conn:
        rows = conn.execute(select(Project.team_id, Project.key, Project.channel_id)
                            .where(Project.channel_id.is_not(None), Project.state.in_(open_states))
                            .union(select(Project.team_id, Project.key, StandupConfig.channel_id)
                                   .join(StandupConfig, StandupConfig.project_id == Project.id)
                                   .where(StandupConfig.channel_id.is_not(None),
                                          Project.state.in_(open_states)))).all()
    by_team = {w.team_id: w for w in workspaces}
    wanted: dict[tuple[str, str], list[str]] = {}
    for team_id, key, channel_id in rows:
        if team_id in by_team:
            wanted.setdefault((team_id, channel_id), []).append(key)
    if not wanted:
        return [skip("channels", "no project channel in a workspace whose token works" if rows else
                     "no project channel to check")]
    checks, fine = [], 0
    for (team_id, channel_id), keys in list(wanted.items())[:MAX_CHANNELS]:
        workspace = by_team[team_id]
        can_post_public = workspace.scopes is None or "chat:write.public" in workspace.scopes
        access = channel_access(_client(settings, workspace.token), channel_id, can_post_public=can_post_public)
        if not access.problem:
            fine += 1
            continue
        checks.append(_channel_problem(access, sorted(set(keys)), workspace.bot_name or "pm"))
    if fine:
        more = f" (of the first {MAX_CHANNELS})" if len(wanted) > MAX_CHANNELS else ""
        checks.insert(0, ok("channels", f"the bot can post in {fine} of {min(len(wanted), MAX_CHANNELS)} "
                            f"project channel{'s' if len(wanted) != 1 else ''}{more}"))
    return checks


def _channel_problem(access, keys: list[str], bot: str) -> Check:
    projects = f"project{'s' if len(keys) > 1 else ''} {', '.join(keys)}"
    name = f"channel {access.label}"
    relink = f"/project link {keys[0]} #another-channel"
    if access.problem == "not_member":
        kind = "private" if access.private else "public, and the token lacks chat:write.public"
        return fail(name, f"{projects}: the bot is not in it ({kind})", f"type /invite @{bot} in that channel")
    if access.problem == "archived":
        return fail(name, f"{projects}: the channel is archived", f"unarchive it, or {relink}")
    if access.problem == "channel_not_found":
        return fail(name, f"{projects}: Slack does not show it to the bot: it is private and the bot is not in "
                    "it, or it was deleted", f"type /invite @{bot} in that channel; if it is gone: {relink}")
    if access.problem == "missing_scope":
        return fail(name, f"{projects}: cannot check it without channels:read and groups:read",
                    "add those scopes (see `scopes` above) and reinstall")
    return fail(name, f"{projects}: conversations.info: {access.problem}", "see Slack's status page, then retry")

"""HTTP mode: the Bolt app behind Flask, served by gunicorn.

Routes: `POST /slack/events` (slash commands, interactivity and events),
`GET /healthz` (checks the database), the status pages (`GET /p/<token>`,
`bot/web/pages.py`), and in multi-workspace mode
`GET /slack/install` and `GET /slack/oauth_redirect`.

Every request to `/slack/events` is checked against the signing secret before
Bolt sees it: a missing, forged or stale (over 5 minutes) signature gets 401
and a log line without the body (Bolt's own check would log the body, which
holds a `response_url`). What the check saw is kept for `doctor`
(`signature_marks.py`): a wrong signing secret shows as Slack's requests refused.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from datetime import datetime

from flask import Flask, jsonify, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.domain.outbox import Notifier
from bot.models import utcnow
from bot.slack.signature_marks import DOCTOR_AGENT, SignatureMarks, looks_signed_by_slack
from bot.web.pages import pages_blueprint, redact_path

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are a few kilobytes; anything larger is refused (413)


def create_flask_app(settings: Settings, engine: Engine, *, bolt_app: App | None = None,
                     clock: Callable[[], datetime] = utcnow) -> Flask:
    """The WSGI app gunicorn serves (tests serve the same one on a local port)."""
    from bot.slack.app import create_app

    bolt = bolt_app or create_app(settings, engine, clock=clock)
    handler = SlackRequestHandler(bolt)
    verifier = SignatureVerifier(settings.slack_signing_secret)
    marks = SignatureMarks(engine)  # real time: it dates real requests
    flask = Flask("pm-bot")
    flask.config["bolt_app"] = bolt
    flask.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @flask.post("/slack/events")
    def slack_events():
        body = request.get_data()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not signature and request.form.get("ssl_check") == "1":
            return "", 200  # Slack's unsigned certificate check: nothing to do
        from_slack = request.headers.get("User-Agent", "") != DOCTOR_AGENT
        if not timestamp or not signature or not verifier.is_valid(body, timestamp, signature):
            log.warning("refused a request to /slack/events from %s: missing, forged or stale signature",
                        request.remote_addr)
            if from_slack and looks_signed_by_slack(timestamp, signature):
                marks.failed()
            return jsonify(error="invalid request"), 401
        if from_slack:
            marks.passed()
        return handler.handle(request)

    flask.register_blueprint(pages_blueprint(engine, clock=clock))  # the status pages, `/p/<token>`

    @flask.get("/healthz")
    def healthz():
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - reported, not raised: this is the health check
            log.error("health check: database unreachable (%s)", exc.__class__.__name__)
            return jsonify(ok=False, database="unreachable"), 503
        return jsonify(ok=True, database="ok")

    if settings.oauth_enabled:
        @flask.get("/slack/install")
        def slack_install():
            return handler.handle(request)

        @flask.get("/slack/oauth_redirect")
        def slack_oauth_redirect():
            return handler.handle(request)

    return flask


def wsgi() -> Flask:
    """Entry point for `gunicorn 'bot.slack.server:wsgi()'`: settings from the environment."""
    from bot.config import load_settings
    from bot.db import make_engine

    settings = load_settings()
    settings.require_slack()
    return create_flask_app(settings, make_engine(settings.database_url))


def _redacting_logger():
    from gunicorn.glogging import Logger

    class RedactingLogger(Logger):
        """gunicorn's logger, with status-page tokens masked in the access log."""

        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            atoms["U"] = redact_path(atoms.get("U", ""))
            method, _, rest = str(atoms.get("r", "")).partition(" ")
            path, _, protocol = rest.partition(" ")
            atoms["r"] = f"{method} {redact_path(path.split('?')[0])} {protocol}"  # the request line, if logged
            return atoms

    return RedactingLogger


def serve(settings: Settings, *, start_worker: Callable[[Notifier], object] | None = None) -> None:
    """Run gunicorn on 0.0.0.0:$PORT with threads (Slack calls overlap; the 3 s ack
    must never wait behind another request). With `RUN_SCHEDULER_IN_WEB`,
    `start_worker(notifier)` runs the worker in the web process."""
    from gunicorn.app.base import BaseApplication

    from bot.db import make_engine

    engine = make_engine(settings.database_url)
    flask = create_flask_app(settings, engine)
    RedactingLogger = _redacting_logger()  # noqa: N806 - a class

    def pre_fork(_server, _worker) -> None:
        # Objects made at start-up stay shared with the worker: without this the
        # garbage collector's writes would copy their pages into each worker.
        gc.freeze()

    def post_fork(_server, _worker) -> None:
        engine.dispose(close=False)  # never share a pooled connection across the fork

    class Gunicorn(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("pre_fork", pre_fork)
            self.cfg.set("post_fork", post_fork)
            self.cfg.set("bind", f"0.0.0.0:{settings.port}")
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("workers", 1)
            self.cfg.set("threads", 8)
            self.cfg.set("timeout", 30)
            self.cfg.set("accesslog", "-")
            self.cfg.set("access_log_format", '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss')  # no query
            self.cfg.set("logger_class", RedactingLogger)  # no status-page token either

        def load(self) -> Flask:  # in the worker process, after the fork
            flask.config["bolt_app"].pm_pump.start()  # delivers overdue messages even if no request comes
            if settings.run_scheduler_in_web and start_worker is not None:
                start_worker(flask.config["bolt_app"].pm_notifier)
            return flask

    log.info("serving Slack over HTTP on port %s", settings.port)
    Gunicorn().run()

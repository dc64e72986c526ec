"""The status page in Socket Mode: a small web server of its own on `$PORT`.

In HTTP mode the page is one more route of the Flask app gunicorn serves
(`bot/slack/server.py`). A Socket Mode process has no web server, so when
`PUBLIC_URL` is set it starts this one in a thread: the page, its chart and
stylesheet, and `/healthz`, under waitress (a production WSGI server in pure
Python, no fork, threads only), never Flask's development server.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from flask import Flask, jsonify
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.models import utcnow
from bot.web.pages import pages_blueprint

log = logging.getLogger(__name__)


def page_app(engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> Flask:
    """A WSGI app with only the status page and `/healthz`."""
    app = Flask("pm-bot-pages")
    app.register_blueprint(pages_blueprint(engine, clock=clock))

    @app.get("/healthz")
    def healthz():
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - reported, not raised: this is the health check
            log.error("health check: database unreachable (%s)", exc.__class__.__name__)
            return jsonify(ok=False, database="unreachable"), 503
        return jsonify(ok=True, database="ok")

    return app


class PageServer:
    """waitress serving `page_app` in a daemon thread; `close()` stops it."""

    def __init__(self, engine: Engine, *, host: str = "0.0.0.0", port: int = 3000,
                 clock: Callable[[], datetime] = utcnow, threads: int = 4):
        from waitress.server import create_server

        self.server = create_server(page_app(engine, clock=clock), host=host, port=port, threads=threads,
                                    ident="pm-bot")
        self.port = self.server.effective_port
        self.thread = threading.Thread(target=self.server.run, name="status-pages", daemon=True)

    def start(self) -> PageServer:
        self.thread.start()
        log.info("serving status pages on port %s", self.port)
        return self

    def close(self) -> None:
        self.server.close()
        self.thread.join(5)

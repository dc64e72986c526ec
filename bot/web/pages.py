"""The status page at `/p/<token>`: a Flask blueprint the HTTP server and the
Socket Mode page server both mount.

- `GET /p/<token>`: the page (HTML from `render`), built from this week's
  report as `/project status` builds it;
- `GET /p/<token>/burnup.png`: its chart (kept per project version and day);
- `GET /p/style.css`: the one stylesheet.

An unknown, expired or revoked token, or a deleted project, gets the same
plain 404 page and nothing else. Every answer carries a Content-Security-
Policy that allows only this server's stylesheet and images (no script,
no frame, no form), `X-Content-Type-Options: nosniff`, `Referrer-Policy:
no-referrer` and `Cache-Control: no-store`. Tokens never reach a log line:
`redact_path` masks them for the access log.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain import charts, sharing
from bot.domain.client_view import client_page
from bot.domain.report import build_weekly_report
from bot.domain.status import build_status
from bot.models import utcnow
from bot.web import render

STYLESHEET_URL = "/p/style.css"
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; "
                                "form-action 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}
_TOKEN_PATH = re.compile(r"^/p/[^/]+")
CHART_CACHE_SIZE = 64


def redact_path(path: str) -> str:
    """`/p/<token>/burnup.png` -> `/p/[token]/burnup.png`, for logs."""
    return path if path == STYLESHEET_URL else _TOKEN_PATH.sub("/p/[token]", path)


class _Charts:
    """Chart PNGs by the status report they were drawn from (a project's version
    and day): a chart is drawn once, not on every page view."""

    def __init__(self, size: int = CHART_CACHE_SIZE):
        self.size, self._lock, self._items = size, threading.Lock(), OrderedDict()

    def get(self, key: Hashable | None, draw: Callable[[], bytes]) -> bytes:
        if key is None:
            return draw()
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        png = draw()
        with self._lock:
            self._items[key] = png
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return png


def _answer(body: str | bytes, status: int = 200, mimetype: str = "text/html") -> Response:
    response = Response(body, status=status, mimetype=mimetype)
    response.headers.update(SECURITY_HEADERS)
    if mimetype == "text/html":
        response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response


def gone() -> Response:
    return _answer(render.gone_html(stylesheet_url=STYLESHEET_URL), 404)


def pages_blueprint(engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> Blueprint:
    """The status page's routes, reading `engine`, at the time `clock` says."""
    pages = Blueprint("status_pages", __name__)
    drawn = _Charts()

    @pages.get(STYLESHEET_URL)
    def stylesheet():
        return _answer(render.stylesheet(), mimetype="text/css")

    @pages.get("/p/<token>")
    def status_page(token: str):
        now = clock()
        with Session(engine, expire_on_commit=False) as session:
            found = sharing.open_link(session=session, token=token, now=now)
            if found is None:
                return gone()
            link, project = found
            today = now.astimezone(ZoneInfo(project.timezone or "UTC")).date()
            weekly = build_weekly_report(session=session, project=project, today=today)
            page = client_page(weekly, show_costs=link.show_costs, now=now, expires=link.expires_at)
        return _answer(render.page_html(page, chart_src=f"/p/{token}/burnup.png", stylesheet_url=STYLESHEET_URL))

    @pages.get("/p/<token>/burnup.png")
    def burnup(token: str):
        now = clock()
        with Session(engine, expire_on_commit=False) as session:
            found = sharing.open_link(session=session, token=token, now=now)
            if found is None:
                return gone()
            _, project = found
            report = build_status(session=session, project=project,
                                  today=now.astimezone(ZoneInfo(project.timezone or "UTC")).date())
            png = drawn.get(report.cache_key, lambda: charts.burnup_png(session=session, report=report))
        return _answer(png, mimetype="image/png")

    @pages.get("/p/")
    @pages.get("/p")
    def no_token():
        return gone()

    return pages

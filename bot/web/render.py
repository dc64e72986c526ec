"""Jinja2 templates shared by the status page and the emailed report: one
report body (`report_body.html`), the page around it, the email's HTML and
plain-text parts, and one stylesheet (served to the page, inlined in emails).
Autoescaped: project names, goals and task titles are user text."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

from bot.domain.client_view import ClientPage


@cache
def environment() -> Environment:
    return Environment(loader=PackageLoader("bot.web", "templates"), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


@cache
def stylesheet() -> str:
    return environment().loader.get_source(environment(), "style.css")[0]  # type: ignore[union-attr]


def page_html(page: ClientPage, *, chart_src: str, stylesheet_url: str) -> str:
    """The status page."""
    return environment().get_template("page.html").render(page=page, chart_src=chart_src,
                                                          stylesheet=stylesheet_url, email=False)


def gone_html(*, stylesheet_url: str) -> str:
    """The one page every unknown, expired or revoked link gets: no data."""
    return environment().get_template("gone.html").render(stylesheet=stylesheet_url)


def email_html(page: ClientPage, *, subject: str, chart_src: str, link: str = "") -> str:
    """The emailed report's HTML part (the stylesheet inlined; the chart by `cid:`)."""
    return environment().get_template("email.html").render(
        page=page, subject=subject, chart_src=chart_src, link=link, stylesheet_text=stylesheet(), email=True)


def email_text(page: ClientPage, *, link: str = "") -> str:
    """The emailed report's plain-text part, from the same data."""
    text = environment().get_template("email.txt").render(page=page, link=link)
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:  # at most one blank line in a row
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() + "\n"

"""The emailed report as a MIME message: plain text and HTML from the same
templates as the status page (`bot.web.render`), the burn-up chart inline
(multipart/related, referenced as `cid:`), and headers that say what it is."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

from bot.domain.client_view import ClientPage
from bot.web import render


def message_id(key: str, sender: str) -> str:
    """A Message-ID made from the outbox key, so a retried send is recognisably the same email."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "pm-bot.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def build_message(*, payload: dict, key: str, sender: str, now: datetime) -> EmailMessage:
    """The email for one outbox row's payload (`to`, `subject`, `page`, and
    optionally `chart_path` and `secret_link`)."""
    page = ClientPage.from_dict(payload["page"])
    link = payload.get("secret_link", "")
    chart = Path(payload["chart_path"]) if payload.get("chart_path") else None
    png = chart.read_bytes() if chart and chart.is_file() else None
    cid = f"burnup.{hashlib.sha256(key.encode()).hexdigest()[:16]}@pm-bot"
    msg = EmailMessage()
    msg["Subject"] = payload["subject"]
    msg["From"] = sender
    msg["To"] = payload["to"]
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(key, sender)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a report
    msg.set_content(render.email_text(page, link=link))
    msg.add_alternative(render.email_html(page, subject=payload["subject"], link=link,
                                          chart_src=f"cid:{cid}" if png else ""), subtype="html")
    if png:
        html = msg.get_payload()[1]
        html.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", filename="burnup.png",
                         disposition="inline")
    return msg

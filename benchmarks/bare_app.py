"""The floor: a Bolt app that only acks `/project`, served like ours (gunicorn gthread)."""

from __future__ import annotations

import os

from flask import Flask, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient


def wsgi() -> Flask:
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(signing_secret=os.environ["SLACK_SIGNING_SECRET"], client=client,
              token_verification_enabled=False)

    @app.command("/project")
    def ack_only(ack):
        ack()

    handler = SlackRequestHandler(app)
    flask = Flask("bare")

    @flask.post("/slack/events")
    def events():
        return handler.handle(request)

    @flask.get("/healthz")
    def healthz():
        return {"ok": True}

    return flask

"""The fake Slack for the web tests that start the production HTTP app."""

from tests.slack.conftest import fake  # noqa: F401

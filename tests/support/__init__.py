"""Test helpers: command runner, factories, the fake Slack, and the HTTP driver."""

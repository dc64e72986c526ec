"""Dependencies point down: `bot/domain` never imports Slack packages."""

from __future__ import annotations

import ast
from pathlib import Path

import bot

FORBIDDEN = ("slack_bolt", "slack_sdk")
DOMAIN = Path(bot.__file__).parent / "domain"


def slack_imports(source: str) -> list[str]:
    """Every Slack module a piece of Python imports, however it is spelt."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and _dynamic_import(node):
            names = [node.args[0].value]
        else:
            continue
        found += [n for n in names if n.split(".")[0] in FORBIDDEN]
    return found


def _dynamic_import(call: ast.Call) -> bool:
    """`importlib.import_module("x")` or `__import__("x")` with a literal name."""
    func = getattr(call.func, "attr", None) or getattr(call.func, "id", None)
    return (func in {"import_module", "__import__"} and bool(call.args)
            and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str))


def test_the_check_sees_every_way_of_importing():
    assert slack_imports("import slack_sdk") == ["slack_sdk"]
    assert slack_imports("import os, slack_bolt.app as a") == ["slack_bolt.app"]
    assert slack_imports("from slack_sdk.models.blocks import SectionBlock") == ["slack_sdk.models.blocks"]
    assert slack_imports("def f():\n    from slack_bolt import App\n") == ["slack_bolt"]
    assert slack_imports("importlib.import_module('slack_sdk.web')") == ["slack_sdk.web"]
    assert slack_imports("__import__('slack_bolt')") == ["slack_bolt"]
    assert slack_imports("import slacker\nfrom bot.slack import x\nfrom . import slack_sdk") == []


def test_domain_never_imports_slack():
    files = sorted(DOMAIN.rglob("*.py"))
    assert len(files) > 5
    offenders = {str(f.relative_to(DOMAIN)): imports for f in files
                 if (imports := slack_imports(f.read_text(encoding="utf-8")))}
    assert offenders == {}, f"bot/domain must not import Slack packages: {offenders}"

"""Dependencies point down: the packages of `bot` import each other only
along the graph below (no cycles), however an import is spelt and wherever
it sits (inside a function too); `bot/domain` never imports Slack packages."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import bot

FORBIDDEN = ("slack_bolt", "slack_sdk")
BOT = Path(bot.__file__).parent
DOMAIN = BOT / "domain"

# The one allowed graph: package -> what it may import (besides itself).
# `__main__` wires transports (slack, shell, mail) to jobs; jobs never import a
# transport; `web` (the status page and the templates emails share) knows only
# the domain, and `mail` renders with `web`'s templates; the domain knows only the models. `doctor` only reads: settings,
# the database (migrations, tables), the outbox (domain) and the worker's lease
# (jobs), and from Slack the manifest's scopes, the token lookup (notifier,
# oauth), channel access and the signature marks the web process records;
# nothing but `__main__` imports it, and it never runs commands.
ALLOWED: dict[str, set[str]] = {
    "bot.__main__": {"bot.doctor", "bot.slack", "bot.shell", "bot.mail", "bot.web", "bot.jobs", "bot.commands",
                     "bot.domain", "bot.models", "bot.db", "bot.config"},
    "bot.doctor": {"bot.slack", "bot.jobs", "bot.domain", "bot.models", "bot.db", "bot.config"},
    "bot.slack": {"bot.commands", "bot.mail", "bot.web", "bot.jobs", "bot.domain", "bot.models", "bot.db",
                  "bot.config"},
    "bot.mail": {"bot.web", "bot.domain", "bot.models", "bot.config"},
    "bot.web": {"bot.domain", "bot.models", "bot.db", "bot.config"},
    "bot.shell": {"bot.commands", "bot.web", "bot.jobs", "bot.domain", "bot.models", "bot.db", "bot.config"},
    "bot.jobs": {"bot.domain", "bot.models", "bot.db", "bot.config"},
    "bot.commands": {"bot.domain", "bot.models"},
    "bot.domain": {"bot.models"},
    "bot.migrations": {"bot.models", "bot.db"},
    "bot.db": {"bot.models", "bot.config"},
    "bot.models": set(),
    "bot.config": set(),
}


def package_of(module: str) -> str:
    """`bot.slack.listeners.alerts` -> `bot.slack`; `bot.models` -> `bot.models`."""
    return ".".join(module.split(".")[:2])


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str = "", is_package: bool = False) -> list[str]:
    """Every module a piece of Python imports: `import`, `from ... import`
    (relative ones resolved against `module`), and `importlib.import_module`
    or `__import__` with a literal name, at any depth."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append(name)
        elif isinstance(node, ast.Call) and _dynamic_import(node):
            found.append(node.args[0].value)
    return found


def _dynamic_import(call: ast.Call) -> bool:
    """`importlib.import_module("x")` or `__import__("x")` with a literal name."""
    func = getattr(call.func, "attr", None) or getattr(call.func, "id", None)
    return (func in {"import_module", "__import__"} and bool(call.args)
            and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str))


def slack_imports(source: str) -> list[str]:
    """Every Slack module a piece of Python imports, however it is spelt."""
    return [n for n in imported_modules(source) if n.split(".")[0] in FORBIDDEN]


def package_edges() -> dict[tuple[str, str], list[str]]:
    """(package, imported package) -> the files that make the edge."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(BOT.rglob("*.py")):
        module = module_name(path)
        source = package_of(module)
        for name in imported_modules(path.read_text(encoding="utf-8"), module, path.name == "__init__.py"):
            if name.split(".")[0] != "bot" or name == "bot":
                continue
            target = package_of(name)
            if target != source:
                edges.setdefault((source, target), []).append(str(path.relative_to(BOT.parent)))
    return edges


def test_the_check_sees_every_way_of_importing():
    assert slack_imports("import slack_sdk") == ["slack_sdk"]
    assert slack_imports("import os, slack_bolt.app as a") == ["slack_bolt.app"]
    assert slack_imports("from slack_sdk.models.blocks import SectionBlock") == ["slack_sdk.models.blocks"]
    assert slack_imports("def f():\n    from slack_bolt import App\n") == ["slack_bolt"]
    assert slack_imports("importlib.import_module('slack_sdk.web')") == ["slack_sdk.web"]
    assert slack_imports("__import__('slack_bolt')") == ["slack_bolt"]
    assert slack_imports("import slacker\nfrom bot.slack import x\nfrom . import slack_sdk") == []
    assert imported_modules("from . import render", "bot.slack.listeners.actions") == ["bot.slack.listeners"]
    assert imported_modules("from .. import ids", "bot.slack.listeners", is_package=True) == ["bot.slack"]
    assert imported_modules("def f():\n    from bot.jobs.worker import x\n") == ["bot.jobs.worker"]
    assert package_of("bot.domain.standups.runs") == "bot.domain" and package_of("bot.models") == "bot.models"


def test_the_allowed_graph_has_no_cycles():
    try:
        order = list(TopologicalSorter(ALLOWED).static_order())
    except CycleError as exc:
        pytest.fail(f"the allowed package graph has a cycle: {exc.args[1]}")
    assert order[0] in {"bot.models", "bot.config"} and order[-1] == "bot.__main__"


def test_packages_import_each_other_only_along_the_allowed_graph():
    edges = package_edges()
    assert ("bot.slack", "bot.commands") in edges and ("bot.jobs", "bot.domain") in edges  # the check sees edges
    unknown = sorted({p for pair in edges for p in pair} - set(ALLOWED))
    assert unknown == [], f"packages missing from ALLOWED in tests/test_layering.py: {unknown}"
    wrong = {f"{a} -> {b}": files for (a, b), files in edges.items() if b not in ALLOWED[a]}
    assert wrong == {}, f"imports against the package graph (see ALLOWED): {wrong}"


def test_domain_never_imports_slack():
    files = sorted(DOMAIN.rglob("*.py"))
    assert len(files) > 5
    offenders = {str(f.relative_to(DOMAIN)): imports for f in files
                 if (imports := slack_imports(f.read_text(encoding="utf-8")))}
    assert offenders == {}, f"bot/domain must not import Slack packages: {offenders}"

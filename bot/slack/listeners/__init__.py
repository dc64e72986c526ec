"""Listener modules, one per kind; `register_listeners(app)` finds them all.

Every module in this package that defines `register(app)` is imported and
registered automatically (by name, `commands` first: Bolt tries listeners in
registration order, and slash commands are the hot path), so a new feature adds
`listeners/<feature>.py` and edits nothing here. Use the helpers in
`bot.slack.manifest` (`slash_command`, `subscribe`, `interactive`,
`needs_scopes`) so the app manifest lists what the code handles.
"""

from __future__ import annotations

import importlib
import pkgutil

from slack_bolt import App


def register_listeners(app: App) -> list[str]:
    """Register every listener module's `register(app)`; returns their names."""
    names = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: (m.name != "commands", m.name)):
        if module.name.startswith("_"):
            continue
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        register = getattr(loaded, "register", None)
        if callable(register):
            register(app)
            names.append(module.name)
    return names

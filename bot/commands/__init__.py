"""The `/project` command layer: text in, transport-neutral `Reply` out.

Importing this package registers every subcommand: each module in this
package that uses `@command` is imported here automatically.
"""

import importlib
import pkgutil

from bot.commands.dispatch import dispatch
from bot.commands.registry import COMMANDS, Context

_INFRA = {"dispatch", "registry", "grammar", "replies", "runner"}
for _module in pkgutil.iter_modules(__path__):
    if _module.name not in _INFRA and not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["COMMANDS", "Context", "dispatch"]

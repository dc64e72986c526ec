"""One check's result, and the text `python -m bot doctor` prints for all of them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.format import plural


class Status(StrEnum):
    OK = "ok"
    FAIL = "FAIL"
    SKIP = "skip"  # does not apply to this set-up (e.g. Socket Mode checks in HTTP mode)


@dataclass(frozen=True)
class Check:
    """`name`: what was checked; `detail`: what was found; `fix`: what to do (failures)."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    @property
    def passed(self) -> bool:
        return self.status is not Status.FAIL


def ok(name: str, detail: str) -> Check:
    return Check(name, Status.OK, detail)


def fail(name: str, detail: str, fix: str) -> Check:
    return Check(name, Status.FAIL, detail, fix)


def skip(name: str, detail: str) -> Check:
    return Check(name, Status.SKIP, detail)


def render(checks: list[Check]) -> str:
    """Aligned lines, the fix indented under a failure, and a closing count."""
    width = max((len(c.name) for c in checks), default=0)
    lines = []
    for check in checks:
        lines.append(f"{check.status.value:<4}  {check.name:<{width}}  {check.detail}")
        indent = " " * (4 + 2 + width + 2)  # under the detail
        for n, fix_line in enumerate(check.fix.splitlines()):
            lines.append(f"{indent}{'-> ' if n == 0 else '   '}{fix_line}")
    failed = sum(not c.passed for c in checks)
    ran = sum(c.status is not Status.SKIP for c in checks)
    lines.append("")
    if not failed:
        lines.append("The one check passed." if ran == 1 else f"All {ran} checks passed.")
    else:
        lines.append(f"{failed} of {plural(ran, 'check')} failed: fix them from the top, then run "
                     "`python -m bot doctor` again.")
    return "\n".join(lines) + "\n"

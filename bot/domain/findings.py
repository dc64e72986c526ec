"""A detector's finding: one condition worth an alert (`bot.domain.detectors`)."""

from __future__ import annotations

from dataclasses import dataclass, field

WARNING = "warning"
CRITICAL = "critical"
SEVERITY_RANK = {WARNING: 1, CRITICAL: 2}


@dataclass(frozen=True)
class Finding:
    """One condition worth an alert: a stable fingerprint (the same condition
    always has the same one), a severity, a one-sentence reason and its numbers."""

    detector: str
    fingerprint: str
    severity: str
    reason: str
    numbers: dict = field(default_factory=dict)
    subject: str | None = None  # the person it is about, if any

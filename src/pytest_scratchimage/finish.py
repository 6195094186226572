"""The end of a session, once its tests ran: the gates and what the summary shows of them.

The size gates and the JSON report and baseline (``report.gate``), then the session gate of the audit (no shell,
no setuid or setgid file, the expected non-root user). Under xdist the controller alone runs this, on its
workers' facts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .audit import Audit, failures
from .diff import BaselineDiff, diff_of, lines
from .options import Options
from .report import SizeReport, gate
from .settings import Settings


@dataclass
class Outcome:
    """What the summary prints: failures (each fails the session), notes, and the baseline's table."""

    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    table: list[str] = field(default_factory=list)


def baseline_diff(report: SizeReport, options: Options) -> BaselineDiff | None:
    """The image against ``--scratch-image-baseline``, when one is given to compare with."""
    if options.baseline is None or options.update_baseline:
        return None
    try:
        recorded = json.loads(options.baseline.read_text())
        return diff_of(report.size, report.contributors, recorded)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # the gate says it is unreadable


def finish(report: SizeReport, audit: Audit | None, settings: Settings, options: Options) -> Outcome:
    """The session's gates, the JSON report and baseline written, and the baseline's table for the summary."""
    failed, notes = gate(report, settings.max_growth, options)
    failed += failures(audit, settings.user) if audit is not None else []
    diff = baseline_diff(report, options)
    return Outcome(failed, notes, lines(diff) if diff is not None else [])


def worker_facts(audit: Audit | None) -> dict[str, Any]:
    """What an xdist worker sends its controller besides its report."""
    return {"scratch_image_audit": audit.to_dict() if audit is not None else None}

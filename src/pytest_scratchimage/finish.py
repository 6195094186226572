"""The end of a session, once its tests ran: the gates, the reports, and what a green session keeps.

In order: the size gates and the JSON report and baseline (``report.gate``); the session gate of the audit (no
shell, no setuid or setgid file, the expected non-root user); the HTML page; then, the verdict known, the tag and
the archive of the tested image, or nothing and why; last the CI step summary, which tells all of it. Under xdist
the controller alone runs this, on its workers' facts; the images they held for it are released here.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .audit import Audit, failures
from .diff import BaselineDiff, diff_of, lines
from .errors import ScratchImageError, engine_call
from .options import Options
from .report import SizeReport, gate
from .schema import SETTINGS
from .settings import Settings

if TYPE_CHECKING:
    import docker

    from .session import ScratchSession


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


def finish(
    report: SizeReport,
    audit: Audit | None,
    settings: Settings,
    options: Options,
    tests_failed: int,
    session: ScratchSession | None,
    held: list[str],
    environ: Mapping[str, str],
    unaudited: list[str] | None = None,
) -> Outcome:
    """Everything after the tests; ``session`` is this process's (None on an xdist controller, which has ``held``)."""
    failed, notes = gate(report, settings.max_growth, options)
    failed += failures(audit, settings.user) if audit is not None else []
    failed += unaudited or []  # an image built, its gate not checked: the run is not green
    diff = baseline_diff(report, options)
    outcome = Outcome(failed, notes, lines(diff) if diff is not None else [])
    if settings.html is not None:
        written = write_html(report, audit, diff, outcome.failures, settings.html)
        outcome.failures += written[0]
        outcome.notes += written[1]
    red = tests_failed + len(outcome.failures) > 0
    try:
        outcome.notes += keep_tested(audit, settings, session, red)
    except ScratchImageError as error:
        outcome.failures.append(str(error))
    finally:
        _release(session, held)
    from .stepsummary import append, markdown

    problem = append(environ, markdown(report, diff, outcome.failures, outcome.notes))
    outcome.notes += [problem] if problem else []
    return outcome


def keep_tested(audit: Audit | None, settings: Settings, session: ScratchSession | None, red: bool) -> list[str]:
    """Tag and save the tested image after a green session; say why not after a red one."""
    from .ship import keep, not_kept

    if red or audit is None:
        return not_kept(settings.tag, settings.save, "the session failed" if red else "the image was not audited")
    if not settings.hold:
        return []
    with engine_call("the keeping of the tested image"):
        return keep(_client(session), audit.id, settings.tag, settings.save)


def write_html(
    report: SizeReport, audit: Audit | None, diff: BaselineDiff | None, failed: list[str], path: Path
) -> tuple[list[str], list[str]]:
    """(failures, notes) of writing the HTML page to ``path``."""
    from .htmlreport import page, write

    try:
        write(path, page(report, audit, diff, failed))
    except OSError as error:
        return [f"{SETTINGS['html'].ini} = {str(path)!r}: the page could not be written ({error.strerror})"], []
    return [], [f"html report written to {path}"]


def _client(session: ScratchSession | None) -> docker.DockerClient:
    from .session import connect

    return session.client() if session is not None else connect()


def _release(session: ScratchSession | None, held: list[str]) -> None:
    """The images held for the end of the session: this process's, or its xdist workers'."""
    if session is not None:
        session.release()
    elif held:
        from .ship import release

        with contextlib.suppress(ScratchImageError), engine_call("cleanup"):  # no engine: the reaper removes them
            release(_client(None), held)


def worker_facts(audit: Audit | None, held: list[str], unaudited: list[str] | None = None) -> dict[str, Any]:
    """What an xdist worker sends its controller besides its report."""
    facts = {"scratch_image_audit": audit.to_dict() if audit is not None else None, "scratch_image_held": held}
    return facts | {"scratch_image_unaudited": unaudited or []}

"""The CI step summary: a Markdown section appended to the file ``GITHUB_STEP_SUMMARY`` names, where it is set.

Size against the budget, the largest contributors, the change against the baseline as a table (what grew and
what shrank, by how much), start and memory, and the session's verdict: what a reader of the job looks at.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from .diff import BaselineDiff
from .report import SizeReport
from .sizes import format_size

VARIABLE = "GITHUB_STEP_SUMMARY"
LARGEST = 10  # rows of the contributors' table


def cell(text: object) -> str:
    """Text safe in a Markdown table cell: pipes escaped, one line."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def nested(text: str) -> str:
    """A failure's first line, and the lines after it (a budget's levers) as items below it."""
    first, *rest = text.splitlines() or [""]
    return cell(first) + "".join(f"\n  - {cell(line.strip())}" for line in rest)


def markdown(report: SizeReport, diff: BaselineDiff | None, failures: Iterable[str], notes: Iterable[str] = ()) -> str:
    """The section, from its heading to a blank line."""
    failed = list(failures)
    measured, budget = report.measured(), report.budget
    headroom = budget.limit - measured
    state = "passed" if not failed else f"{len(failed)} gates failed"
    start = f"{report.startup_seconds:.2f} s" if report.startup_seconds is not None else "not measured"
    memory = format_size(report.memory) if report.memory is not None else "not measured"
    lines = [
        f"## Scratch image `{cell(report.tag)}`: {state}",
        "",
        "| | |",
        "| --- | --- |",
        f"| size | {format_size(report.size)} ({report.size:,} bytes); compressed {format_size(report.compressed)} |",
        f"| budget | {cell(budget)}: "
        + (f"headroom {format_size(headroom)} |" if headroom >= 0 else f"**over by {format_size(-headroom)}** |"),
        f"| start | {start} from docker run to the first HTTP answer |",
        f"| memory | {memory} after warm-up |",
        "",
    ]
    lines += [f"- :x: {nested(line)}" for line in failed] + [f"- {nested(line)}" for line in notes]
    lines += ["", "### Largest contributors", "", "| entry | kind | bytes | share |", "| --- | --- | ---: | ---: |"]
    lines += [
        f"| {cell(c.name)} | {c.kind} | {format_size(c.bytes)} | {100 * c.bytes / max(report.size, 1):.1f}% |"
        for c in report.contributors[:LARGEST]
    ]
    if diff is not None:
        lines += ["", *baseline_table(diff)]
    return "\n".join(lines) + "\n\n"


def baseline_table(diff: BaselineDiff) -> list[str]:
    lines = [f"### Against the baseline: {diff.headline()}", ""]
    rows = diff.rows()
    if not rows:
        return [*lines, "No entry changed."]
    lines += ["| entry | kind | | before | after | change |", "| --- | --- | --- | ---: | ---: | ---: |"]
    lines += [
        f"| {cell(c.name)} | {c.kind} | {c.status} | {format_size(c.before)} | {format_size(c.after)} | "
        f"{c.shown_delta} |"
        for c in rows
    ]
    return lines + (["", f"and {diff.untold()} more entries changed"] if diff.untold() else [])


def append(environ: Mapping[str, str], text: str) -> str | None:
    """Append ``text`` to the step summary, when CI names one; return a note when it cannot be written."""
    target = environ.get(VARIABLE)
    if not target:
        return None
    try:
        with Path(target).open("a", encoding="utf-8") as summary:
            summary.write(text)
    except OSError as error:
        return f"{VARIABLE} {target}: the step summary could not be written ({error.strerror})"
    return None

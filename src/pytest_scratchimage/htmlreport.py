"""The HTML report (``scratch_image_html``): one self-contained page that shows the bytes as a picture.

A treemap of the breakdown, the budget as a bar with its warning level, the change against the baseline entry by
entry, the start time and memory, the image's metadata and the session's verdict. Inline SVG and CSS, no script,
no font, no address outside the file: it opens the same offline, from a CI artifact or an e-mail.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from pathlib import Path

from .audit import Audit
from .diff import BaselineDiff
from .report import SizeReport
from .sizes import format_size
from .treemap import HEADER, Box, layout

WIDTH, HEIGHT = 1200, 640  # the treemap's viewBox
COLOURS = {  # by kind; Tableau 10, which stays apart for colour-blind readers
    "package": "#4e79a7",
    "stdlib": "#59a14f",
    "library": "#f28e2b",
    "staticx": "#e15759",
    "loader": "#76b7b2",
    "file": "#b07aa1",
}
OTHER = "#9c755f"
CHAR = 6.6  # px of one character of the 11 px labels, to cut labels to their box

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 1240px; color: #222; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.verdict { padding: 8px 12px; border-radius: 4px; margin: 12px 0; }
.passed { background: #e3f1df; } .failed { background: #fbe3e4; }
.verdict ul { margin: 4px 0 0; padding-left: 20px; }
svg text { font: 11px system-ui, sans-serif; }
#treemap text { fill: #fff; pointer-events: none; } #treemap text.kind { font-weight: bold; fill: #fff; }
#treemap rect.entry { stroke: #fff; stroke-width: 1; } #treemap rect.entry:hover { opacity: 0.8; }
.legend span { display: inline-block; margin-right: 14px; } .legend i { display: inline-block; width: 12px;
  height: 12px; margin-right: 4px; vertical-align: -1px; }
table { border-collapse: collapse; } td, th { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } .grew { color: #b0262d; } .shrank { color: #2c7a2c; }
#metadata td:first-child { color: #666; white-space: nowrap; } #metadata td { word-break: break-all; }
"""


def page(report: SizeReport, audit: Audit | None, diff: BaselineDiff | None, failures: Iterable[str]) -> str:
    """The whole HTML document."""
    failed = list(failures)
    sections = [
        f"<h1>scratch image {escape(report.tag)}</h1>",
        verdict(failed),
        "<h2>Size against the budget</h2>",
        budget_bar(report, diff),
        "<h2>What the bytes are</h2>",
        treemap(report),
        legend(report),
        "<h2>Against the baseline</h2>",
        baseline_table(diff),
        "<h2>Start and memory</h2>",
        runtime(report),
        "<h2>The image</h2>",
        metadata(audit),
    ]
    body = "\n".join(sections)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>scratch image {escape(report.tag)}: {format_size(report.size)}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def verdict(failures: list[str]) -> str:
    if not failures:
        return '<div id="verdict" class="verdict passed">Every gate passed.</div>'
    items = "".join(f"<li>{'<br>'.join(map(escape, line.splitlines()))}</li>" for line in failures)  # its levers
    return f'<div id="verdict" class="verdict failed">{len(failures)} gates failed:<ul>{items}</ul></div>'


def budget_bar(report: SizeReport, diff: BaselineDiff | None) -> str:
    """The measured bytes as a bar, the budget as a solid line, its warning level as a dashed one."""
    measured, budget = report.measured(), report.budget
    marks = [budget.limit, measured] + ([budget.warn] if budget.warn else []) + ([diff.before] if diff else [])
    scale = (WIDTH - 40) / (max(marks) * 1.08)
    colour = (
        "#c0392b" if measured > budget.limit else "#e0a31b" if budget.warn and measured > budget.warn else "#3c8d3c"
    )
    bar = measured * scale
    lines = [
        f'<svg id="budget" viewBox="0 0 {WIDTH} 96" width="100%" role="img" '
        f'aria-label="{measured:,} bytes of a {budget.limit:,} byte budget">',
        f'<rect x="20" y="30" width="{WIDTH - 40}" height="30" fill="#eee"/>',
        f'<rect class="measured" x="20" y="30" width="{bar:.1f}" height="30" fill="{colour}">'
        f"<title>{budget.metric} {format_size(measured)} ({measured:,} bytes)</title></rect>",
        _label_of_bar(budget.metric, measured, bar, diff is not None and diff.before > measured),
        _mark("limit", 20 + budget.limit * scale, f"budget {format_size(budget.limit)}", "", 78),
    ]
    if budget.warn:
        lines.append(_mark("warn", 20 + budget.warn * scale, f"warn {format_size(budget.warn)}", "6 4", 92))
    if diff is not None:  # its label left of its line when the bar's own label is right of it
        side = "end" if diff.before <= measured else "start"
        lines.append(
            _mark("baseline", 20 + diff.before * scale, f"baseline {format_size(diff.before)}", "2 3", 22, side)
        )
    return "\n".join([*lines, "</svg>"])


def _label_of_bar(metric: str, measured: int, bar: float, left: bool) -> str:
    """The bar's own label at its end: right of it, or left of it when the baseline's mark (and label) is right."""
    x, anchor = (16 + bar, "end") if left else (24 + bar, "start")
    return f'<text class="measured" x="{x:.1f}" y="22" text-anchor="{anchor}">{metric} {format_size(measured)}</text>'


def _mark(name: str, x: float, label: str, dashes: str, text_y: int, anchor: str = "") -> str:
    dash = f' stroke-dasharray="{dashes}"' if dashes else ""
    anchor = anchor or ("end" if x > WIDTH / 2 else "start")
    x_text = x - 4 if anchor == "end" else x + 4
    return (
        f'<line class="{name}" x1="{x:.1f}" x2="{x:.1f}" y1="24" y2="66" stroke="#222" stroke-width="2"{dash}/>'
        f'<text class="{name}" x="{x_text:.1f}" y="{text_y}" text-anchor="{anchor}">{escape(label)}</text>'
    )


def treemap(report: SizeReport) -> str:
    """The breakdown as nested boxes: kinds, then their entries, labelled where a label fits."""
    kinds, entries = layout(report.contributors, WIDTH, HEIGHT)
    parts = [f'<svg id="treemap" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-label="treemap">']
    for box in kinds:
        colour = COLOURS.get(box.kind, OTHER)
        parts.append(
            f'<rect class="kind" data-kind="{escape(box.kind)}" x="{box.x:.1f}" y="{box.y:.1f}" '
            f'width="{box.width:.1f}" height="{box.height:.1f}" fill="{colour}" stroke="#fff" stroke-width="2">'
            f"<title>{escape(box.kind)}: {format_size(box.bytes)}</title></rect>"
        )
        parts += _label(box, f"{box.kind} {format_size(box.bytes)}", "kind", 13)
    for box in entries:
        share = f"{100 * box.bytes / max(report.size, 1):.1f}% of the image"
        parts.append(
            f'<rect class="entry" data-kind="{escape(box.kind)}" data-name="{escape(box.name)}" '
            f'data-bytes="{box.bytes}" x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" '
            f'height="{box.height:.1f}" fill="{COLOURS.get(box.kind, OTHER)}">'
            f"<title>{escape(box.name)} ({escape(box.kind)}): {format_size(box.bytes)}, {share}</title></rect>"
        )
        parts += _label(box, box.name, "entry", 12, format_size(box.bytes))
    return "\n".join([*parts, "</svg>"])


def _label(box: Box, text: str, css: str, baseline: float, second: str = "") -> list[str]:
    """The box's name (and size, when two lines fit), cut to its width; none when it is too small to read.

    A kind's name goes in the band the layout leaves at the top of its box (treemap.HEADER) when it has one.
    """
    readable = (
        box.width > 4 * HEADER and box.height > 2 * HEADER if css == "kind" else box.width >= 30 and box.height >= 16
    )
    if not readable:
        return []
    fits = int((box.width - 6) / CHAR)
    shown = text if len(text) <= fits else text[: fits - 1] + "…"  # a readable box fits 3 characters at least
    y = box.y + baseline
    lines = [f'<text class="{css}" x="{box.x + 3:.1f}" y="{y:.1f}">{escape(shown)}</text>']
    if second and box.height >= 30 and len(second) <= fits:
        lines.append(f'<text class="{css} size" x="{box.x + 3:.1f}" y="{y + 13:.1f}">{escape(second)}</text>')
    return lines


def legend(report: SizeReport) -> str:
    totals: dict[str, int] = {}
    for c in report.contributors:
        totals[c.kind] = totals.get(c.kind, 0) + c.bytes
    items = "".join(
        f'<span><i style="background:{COLOURS.get(kind, OTHER)}"></i>{escape(kind)} {format_size(size)}</span>'
        for kind, size in sorted(totals.items(), key=lambda item: -item[1])
    )
    return f'<p class="legend" id="legend">{items}</p>'


def baseline_table(diff: BaselineDiff | None) -> str:
    if diff is None:
        return '<p id="baseline">No baseline: pass --scratch-image-baseline PATH to compare with one.</p>'
    rows = "".join(
        f'<tr class="{"grew" if c.delta > 0 else "shrank"}"><td>{escape(c.name)}</td><td>{escape(c.kind)}</td>'
        f'<td>{c.status}</td><td class="n">{format_size(c.before)}</td><td class="n">{format_size(c.after)}</td>'
        f'<td class="n">{c.shown_delta}</td></tr>'
        for c in diff.rows()
    )
    more = f"<p>and {diff.untold()} more entries changed</p>" if diff.untold() else ""
    head = "<tr><th>entry</th><th>kind</th><th></th><th>before</th><th>after</th><th>change</th></tr>"
    table = f"<table>{head}{rows}</table>" if rows else "<p>No entry changed.</p>"
    return f'<div id="baseline"><p>{escape(diff.headline())}</p>{table}{more}</div>'


def runtime(report: SizeReport) -> str:
    start = (
        f"{report.startup_seconds:.2f} s" if report.startup_seconds is not None else "not measured (no container ran)"
    )
    memory = format_size(report.memory) if report.memory is not None else "not measured (no container ran)"
    return (
        '<table id="runtime">'
        f'<tr><td>start, docker run to the first HTTP answer</td><td class="n">{start}</td></tr>'
        f'<tr><td>memory after warm-up</td><td class="n">{memory}</td></tr>'
        f'<tr><td>compressed (gzipped layers)</td><td class="n">{format_size(report.compressed)}</td></tr>'
        "</table>"
    )


def metadata(audit: Audit | None) -> str:
    if audit is None:
        return '<p id="metadata">Not known.</p>'
    rows = "".join(f"<tr><td>{escape(name)}</td><td>{escape(value)}</td></tr>" for name, value in audit.metadata)
    return f'<table id="metadata">{rows}</table>'

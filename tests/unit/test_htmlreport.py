"""The HTML page, as text: its parts, its marks, its escaping, and nothing to fetch (Chromium renders it in
tests/integration/test_reports.py)."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import replace
from pathlib import Path

import pytest

from pytest_scratchimage.audit import Audit
from pytest_scratchimage.breakdown import Contributor
from pytest_scratchimage.budget import Budget
from pytest_scratchimage.diff import breakdown_of, diff_of
from pytest_scratchimage.htmlreport import CHAR, COLOURS, OTHER, _label, page, write
from pytest_scratchimage.report import SizeReport
from pytest_scratchimage.treemap import Box

REPORT = SizeReport(
    tag="app:1",
    size=5_000_000,
    compressed=4_900_000,
    budget=Budget(9_000_000, warn=8_000_000),
    cached=True,
    contributors=[
        Contributor("library", "libpython", 3_000_000),
        Contributor("stdlib", "<email>", 1_500_000),
        Contributor("package", "a_package_with_a_very_long_name" * 20, 400_000),
        Contributor("odd", "thing", 100_000),
    ],
    startup_seconds=1.234,
    memory=55_000_000,
)
AUDIT = Audit("sha256:1", "app:1", "65535", 65535, metadata=(("id", "sha256:1"), ("label x", "<b>&")))
BASELINE = {"size": 4_800_000, "breakdown": {"library:libpython": 2_900_000, "stdlib:<email>": 1_600_000}}


def test_the_page_has_every_part() -> None:
    html = page(REPORT, AUDIT, diff_of(REPORT.size, REPORT.contributors, BASELINE), [])
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert "<title>scratch image app:1: 5.00 MB</title>" in html
    for part in ('id="verdict" class="verdict passed"', 'id="budget"', 'id="treemap"', 'id="legend"', 'id="baseline"',
                 'id="runtime"', 'id="metadata"'):  # fmt: skip
        assert part in html
    assert html.count('<rect class="kind"') == 4
    assert html.count('<rect class="entry"') == 4
    assert '<tr class="grew"><td>libpython</td><td>library</td><td>grew</td>' in html
    assert '<tr class="shrank"><td>&lt;email&gt;</td>' in html
    assert "<td>1.23 s</td>" not in html
    assert '<td class="n">1.23 s</td>' in html
    assert '<td class="n">55.00 MB</td>' in html
    assert "<tr><td>label x</td><td>&lt;b&gt;&amp;</td></tr>" in html


def test_nothing_in_the_page_is_fetched_when_it_is_viewed() -> None:
    html = page(REPORT, AUDIT, None, ["a <failure>"])
    assert not re.search(r"(?:src|href)\s*=|url\(|@import|https?:|<script", html)


def test_names_are_escaped_and_cut_to_their_box() -> None:
    html = page(REPORT, None, None, [])
    assert "<email>" not in html
    assert 'data-name="&lt;email&gt;"' in html
    assert "a_package_with_a_very_long_name</text>" not in html
    assert re.search(r'<text class="entry" [^>]*>(a_package_with_a_very_long_name)+[a-z_]*…</text>', html)
    assert f'fill="{COLOURS["library"]}"' in html
    assert f'fill="{OTHER}"' in html  # a kind without a colour of its own


def test_the_verdict_lists_each_failure() -> None:
    html = page(REPORT, None, None, ["scratch_image_budget: over", "shell: /bin/<sh>"])
    assert '<div id="verdict" class="verdict failed">2 gates failed:<ul><li>scratch_image_budget: over</li>' in html
    assert "<li>shell: /bin/&lt;sh&gt;</li>" in html
    prescribed = page(REPORT, None, None, ["scratch_image_budget: over\n  1. add &quot;tls&quot;"])
    assert "<li>scratch_image_budget: over<br>  1. add &amp;quot;tls&amp;quot;</li>" in prescribed  # its levers


def test_the_budget_bar_marks_the_limit_the_warning_and_the_baseline() -> None:
    diff = diff_of(REPORT.size, REPORT.contributors, BASELINE)
    html = page(REPORT, None, diff, [])
    assert '<line class="limit"' in html
    assert '<line class="warn"' in html
    assert '<line class="baseline"' in html
    assert ">budget 9.00 MB</text>" in html
    assert ">warn 8.00 MB</text>" in html
    assert ">baseline 4.80 MB</text>" in html
    assert 'fill="#3c8d3c"' in html  # under the warning level: green
    bare = page(replace(REPORT, budget=Budget(9_000_000)), None, None, [])
    assert '<line class="warn"' not in bare
    assert '<line class="baseline"' not in bare
    assert '<h2>Against the baseline</h2>\n<p id="baseline">No baseline: pass --scratch-image-baseline PATH' in bare
    assert 'fill="#e0a31b"' in page(replace(REPORT, size=8_500_000), None, None, [])  # past the warning level
    assert 'fill="#c0392b"' in page(replace(REPORT, size=9_500_000), None, None, [])  # over the budget


def test_what_was_not_measured_says_so() -> None:
    html = page(replace(REPORT, startup_seconds=None, memory=None), None, None, [])
    assert html.count("not measured (no container ran)") == 2
    assert '<p id="metadata">Not known.</p>' in html


def test_write_makes_the_folders(tmp_path: Path) -> None:
    write(tmp_path / "a" / "b" / "c.html", "<p>é</p>")
    write(tmp_path / "a" / "b" / "c.html", "<p>è</p>")
    assert (tmp_path / "a" / "b" / "c.html").read_text(encoding="utf-8") == "<p>è</p>"


def test_the_bar_and_the_baseline_label_on_either_side_of_each_other() -> None:
    grew = page(REPORT, None, diff_of(REPORT.size, REPORT.contributors, BASELINE), [])
    assert re.search(r'<text class="measured" x="[0-9.]+" y="22" text-anchor="start">size 5.00 MB</text>', grew)
    assert re.search(r'<text class="baseline" x="[0-9.]+" y="22" text-anchor="end">baseline 4.80 MB</text>', grew)
    larger = {"size": 5_200_000, "breakdown": {}}
    shrank = page(REPORT, None, diff_of(REPORT.size, REPORT.contributors, larger), [])
    assert re.search(r'<text class="measured" x="[0-9.]+" y="22" text-anchor="end">size 5.00 MB</text>', shrank)
    assert re.search(r'<text class="baseline" x="[0-9.]+" y="22" text-anchor="start">baseline 5.20 MB</text>', shrank)


GOLDEN = Path(__file__).with_name("golden")
UPDATE = "SCRATCH_IMAGE_UPDATE_GOLDEN"
MANY = [
    Contributor("library", "libpython", 1_280_000),
    Contributor("staticx", "libc", 606_000),
    Contributor("stdlib", "unicodedata", 284_000),
    Contributor("stdlib", "base_library.zip", 217_000),
    Contributor("package", "gunicorn", 193_000),
    Contributor("package", "falcon", 152_000),
    Contributor("loader", "StaticX loader", 96_000),
    Contributor("file", "/etc/passwd-with-a-name-too-long-for-its-box", 40_000),
    Contributor("stdlib", "email", 30_000),
    Contributor("stdlib", "json", 9_000),
    Contributor("staticx", "libz", 8_000),
    Contributor("odd", "thing", 5_000),
    Contributor("stdlib", "tiny", 4_000),
    Contributor("stdlib", "tinier", 3_000),
]
PAGES = {
    "grew.html": (
        replace(REPORT, size=3_000_000, budget=Budget(4_000_000, warn=2_500_000), contributors=MANY),
        AUDIT,
        {"size": 2_900_000, "breakdown": {"library:libpython": 1_200_000, "stdlib:gone": 20_000}},
        [],
    ),
    "shrank.html": (
        replace(REPORT, size=3_000_000, budget=Budget(2_000_000), contributors=MANY, startup_seconds=None, memory=None),
        None,
        {"size": 3_100_000, "breakdown": {"library:libpython": 1_380_000}},
        ["scratch_image_budget: image 3.00 MB > budget 2.00 MB", "shell: the image holds a shell: /bin/sh"],
    ),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_page_is_the_golden_page(name: str) -> None:
    """Every mark, label, colour and coordinate; rerun with SCRATCH_IMAGE_UPDATE_GOLDEN=1 after a change, and look."""
    report, audit, baseline, failures = PAGES[name]
    shown = page(report, audit, diff_of(report.size, report.contributors, baseline), failures)
    if os.environ.get(UPDATE):
        write(GOLDEN / name, shown)
    golden = (GOLDEN / name).read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(golden.splitlines(True), shown.splitlines(True), "golden", "now"))
    assert not diff, f"the page changed; if that is meant, rerun with {UPDATE}=1 and commit golden/{name}:\n{diff}"


def test_the_colour_of_the_bar_at_its_levels() -> None:
    at_limit = page(replace(REPORT, size=9_000_000), None, None, [])
    assert 'fill="#e0a31b"' in at_limit  # at the limit is within it: past the warning level
    assert 'fill="#3c8d3c"' in page(replace(REPORT, size=8_000_000), None, None, [])  # at the warning level


def test_a_baseline_of_the_same_size_puts_the_bars_label_right() -> None:
    same = page(REPORT, None, diff_of(REPORT.size, REPORT.contributors, {"size": REPORT.size, "breakdown": {}}), [])
    assert re.search(r'<text class="measured" x="[0-9.]+" y="22" text-anchor="start">', same)
    assert re.search(r'<text class="baseline" x="[0-9.]+" y="22" text-anchor="end">', same)


def test_a_mark_in_the_left_half_is_labelled_to_its_right() -> None:
    over = page(replace(REPORT, size=9_500_000, budget=Budget(4_000_000)), None, None, [])
    assert '<line class="limit" x1="472.2"' in over  # 20 px + 4 MB of 1160 px for 9.5 MB and 8 % more
    assert '<text class="limit" x="476.2" y="78" text-anchor="start">budget 4.00 MB</text>' in over


@pytest.mark.parametrize(
    ("css", "width", "height", "shown"),
    [("kind", 73, 37, True), ("kind", 72, 37, False), ("kind", 73, 36, False), ("entry", 30, 16, True),
     ("entry", 29.9, 16, False), ("entry", 30, 15.9, False)],
)  # fmt: skip
def test_a_label_only_where_it_can_be_read(css: str, width: float, height: float, shown: bool) -> None:
    assert bool(_label(Box("stdlib", "", 1, 0, 0, width, height), "x", css, 12)) is shown


@pytest.mark.parametrize(
    ("width", "text", "shown"),
    [(6 + CHAR * 5, "abcde", "abcde"), (6 + CHAR * 5, "abcdef", "abcd…"), (30, "abcdef", "ab…")],
)
def test_a_label_is_cut_to_its_box(width: float, text: str, shown: str) -> None:
    (label,) = _label(Box("stdlib", "x", 1, 0, 0, width, 20), text, "entry", 12)
    assert label.endswith(f">{shown}</text>")


def test_the_size_goes_under_the_name_when_two_lines_fit() -> None:
    assert len(_label(Box("stdlib", "x", 1, 0, 0, 100, 30), "x", "entry", 12, "9 B")) == 2
    assert len(_label(Box("stdlib", "x", 1, 0, 0, 100, 29.9), "x", "entry", 12, "9 B")) == 1
    assert len(_label(Box("stdlib", "x", 1, 0, 0, 6 + CHAR * 5, 40), "x", "entry", 12, "123456")) == 1


def test_the_legend_adds_each_kinds_bytes() -> None:
    tiny = replace(REPORT, contributors=[Contributor("stdlib", "a", 5), Contributor("stdlib", "b", 2)])
    assert "</i>stdlib 7 B</span></p>" in page(tiny, None, None, [])


def test_a_diff_with_no_change() -> None:
    diff = diff_of(
        REPORT.size, REPORT.contributors, {"size": REPORT.size, "breakdown": breakdown_of(REPORT.contributors)}
    )
    html = page(REPORT, None, diff, [])
    assert '<div id="baseline"><p>5.00 MB → 5.00 MB (+0 B, +0.0%)</p><p>No entry changed.</p></div>' in html

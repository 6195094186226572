"""The HTML page, as text: its parts, its marks, its escaping, and nothing to fetch (Chromium renders it in
tests/integration/test_reports.py)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from pytest_scratchimage.audit import Audit
from pytest_scratchimage.breakdown import Contributor
from pytest_scratchimage.budget import Budget
from pytest_scratchimage.diff import diff_of
from pytest_scratchimage.htmlreport import COLOURS, OTHER, page, write
from pytest_scratchimage.report import SizeReport

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
    assert "No baseline: pass --scratch-image-baseline PATH" in bare
    assert 'fill="#e0a31b"' in page(replace(REPORT, size=8_500_000), None, None, [])  # past the warning level
    assert 'fill="#c0392b"' in page(replace(REPORT, size=9_500_000), None, None, [])  # over the budget


def test_what_was_not_measured_says_so() -> None:
    html = page(replace(REPORT, startup_seconds=None, memory=None), None, None, [])
    assert html.count("not measured (no container ran)") == 2
    assert '<p id="metadata">Not known.</p>' in html


def test_write_makes_the_folders(tmp_path: Path) -> None:
    write(tmp_path / "a" / "b.html", "<p>é</p>")
    assert (tmp_path / "a" / "b.html").read_text(encoding="utf-8") == "<p>é</p>"


def test_the_bar_and_the_baseline_label_on_either_side_of_each_other() -> None:
    grew = page(REPORT, None, diff_of(REPORT.size, REPORT.contributors, BASELINE), [])
    assert re.search(r'<text class="measured" x="[0-9.]+" y="22" text-anchor="start">size 5.00 MB</text>', grew)
    assert re.search(r'<text class="baseline" x="[0-9.]+" y="22" text-anchor="end">baseline 4.80 MB</text>', grew)
    larger = {"size": 5_200_000, "breakdown": {}}
    shrank = page(REPORT, None, diff_of(REPORT.size, REPORT.contributors, larger), [])
    assert re.search(r'<text class="measured" x="[0-9.]+" y="22" text-anchor="end">size 5.00 MB</text>', shrank)
    assert re.search(r'<text class="baseline" x="[0-9.]+" y="22" text-anchor="start">baseline 5.20 MB</text>', shrank)

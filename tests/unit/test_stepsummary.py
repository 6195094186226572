"""The Markdown step summary: its section, its tables, and where it goes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pytest_scratchimage.breakdown import Contributor
from pytest_scratchimage.budget import Budget
from pytest_scratchimage.diff import diff_of
from pytest_scratchimage.report import SizeReport
from pytest_scratchimage.stepsummary import VARIABLE, append, cell, markdown

REPORT = SizeReport(
    tag="app:1",
    size=5_000_000,
    compressed=4_900_000,
    budget=Budget(9_000_000),
    cached=True,
    contributors=[Contributor("library", "libpython", 3_000_000), Contributor("stdlib", "a|b", 1_000_000)],
    startup_seconds=1.234,
    memory=55_000_000,
)


def test_the_section_of_a_green_session() -> None:
    assert markdown(REPORT, None, [], ["tagged app:tested"]) == (
        "## Scratch image `app:1`: passed\n"
        "\n"
        "| | |\n"
        "| --- | --- |\n"
        "| size | 5.00 MB (5,000,000 bytes); compressed 4.90 MB |\n"
        "| budget | 9.00 MB of size: headroom 4.00 MB |\n"
        "| start | 1.23 s from docker run to the first HTTP answer |\n"
        "| memory | 55.00 MB after warm-up |\n"
        "\n"
        "- tagged app:tested\n"
        "\n"
        "### Largest contributors\n"
        "\n"
        "| entry | kind | bytes | share |\n"
        "| --- | --- | ---: | ---: |\n"
        "| libpython | library | 3.00 MB | 60.0% |\n"
        "| a\\|b | stdlib | 1.00 MB | 20.0% |\n"
        "\n"
    )


def test_a_red_session_lists_its_failures_and_its_overage() -> None:
    over = replace(REPORT, size=9_500_000, startup_seconds=None, memory=None)
    text = markdown(over, None, ["scratch_image_budget: over", "shell: /bin/sh"])
    assert text.startswith("## Scratch image `app:1`: 2 gates failed\n")
    assert "| budget | 9.00 MB of size: **over by 500.00 KB** |\n" in text
    assert "| start | not measured from docker run to the first HTTP answer |\n" in text
    assert "| memory | not measured after warm-up |\n" in text
    assert "- :x: scratch_image_budget: over\n- :x: shell: /bin/sh\n" in text
    prescribed = markdown(over, None, ["scratch_image_budget: over\n  the first 1 lever fit it:\n  1. tls | x"])
    assert "- :x: scratch_image_budget: over\n  - the first 1 lever fit it:\n  - 1. tls \\| x\n" in prescribed


def test_the_largest_ten_contributors() -> None:
    many = replace(REPORT, contributors=[Contributor("stdlib", f"m{i}", 100 - i) for i in range(12)])
    text = markdown(many, None, [])
    assert "| m9 |" in text
    assert "| m10 |" not in text


def test_the_baseline_table() -> None:
    baseline = {"size": 4_800_000, "breakdown": {"library:libpython": 2_700_000, "stdlib:a|b": 1_000_000, "x:y": 9}}
    text = markdown(REPORT, diff_of(REPORT.size, REPORT.contributors, baseline), [])
    assert text.endswith(
        "### Against the baseline: 4.80 MB → 5.00 MB (+200.00 KB, +4.2%)\n"
        "\n"
        "| entry | kind | | before | after | change |\n"
        "| --- | --- | --- | ---: | ---: | ---: |\n"
        "| libpython | library | grew | 2.70 MB | 3.00 MB | +300.00 KB |\n"
        "| y | x | gone | 9 B | 0 B | -9 B |\n"
        "\n"
    )
    unchanged = {"size": 5_000_000, "breakdown": {"library:libpython": 3_000_000, "stdlib:a|b": 1_000_000}}
    same = markdown(REPORT, diff_of(REPORT.size, REPORT.contributors, unchanged), [])
    assert same.endswith("(+0 B, +0.0%)\n\nNo entry changed.\n\n")


def test_a_long_baseline_table_counts_what_it_leaves_out() -> None:
    now = [Contributor("stdlib", f"m{i}", 1000 + i) for i in range(12)]
    diff = diff_of(20_000, now, {"size": 10_000, "breakdown": {}})
    text = markdown(replace(REPORT, contributors=now), diff, [])
    assert text.endswith("| m2 | stdlib | new | 0 B | 1.00 KB | +1.00 KB |\n\nand 2 more entries changed\n\n")


def test_cells_are_one_line_with_their_pipes_escaped() -> None:
    assert cell("a|b\nc") == "a\\|b c"


def test_the_section_is_appended_where_ci_says(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("before\n")
    assert append({VARIABLE: str(summary)}, "## one\n") is None
    assert append({VARIABLE: str(summary)}, "## two\n") is None
    assert summary.read_text() == "before\n## one\n## two\n"
    assert append({}, "nothing") is None
    assert append({VARIABLE: ""}, "nothing") is None
    assert append({VARIABLE: str(tmp_path)}, "x") == (
        f"GITHUB_STEP_SUMMARY {tmp_path}: the step summary could not be written (Is a directory)"
    )


def test_exactly_at_the_budget_is_headroom_of_nothing() -> None:
    text = markdown(replace(REPORT, size=9_000_000), None, [])
    assert "| budget | 9.00 MB of size: headroom 0 B |\n" in text
    assert "| budget | 9.00 MB of size: **over by 1 B** |\n" in markdown(replace(REPORT, size=9_000_001), None, [])

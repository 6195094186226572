"""The size report: its lines, its JSON round trip, and the baseline's growth gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_scratchimage.advice import Lever
from pytest_scratchimage.breakdown import Contributor
from pytest_scratchimage.budget import Budget, Growth
from pytest_scratchimage.options import Options
from pytest_scratchimage.report import SizeReport, baseline_of, gate, growth_failure

CONTRIBUTORS = [
    Contributor("library", "libpython", 2_600_000, 9_000_000),
    Contributor("package", "falcon", 200_000, 1_000_000, 60_000),
]


def report(size: int = 8_123_456, **changes: object) -> SizeReport:
    facts: dict[str, object] = {
        "tag": "scratch:abc",
        "size": size,
        "compressed": 7_000_000,
        "budget": Budget(9_000_000),
        "cached": False,
        "seconds": {"freeze": 31.04, "staticize": 4.5},
        "contributors": CONTRIBUTORS,
    }
    return SizeReport(**(facts | changes))  # type: ignore[arg-type]


def test_lines_within_budget() -> None:
    assert report().lines() == [
        "image    scratch:abc",
        "size     8.12 MB (8,123,456 bytes, the engine's Size); compressed 7.00 MB",
        "budget   9.00 MB of size: headroom 876.54 KB",
        "build    freeze 31.0 s, staticize 4.5 s; image 0.0 s",
        "largest  libpython 2.60 MB, falcon 200.00 KB",
        "unpacked 10.00 MB written out by StaticX at every start",
        "unused   never used by the recorded run: falcon 60.00 KB; 60.00 KB in all",
    ]
    assert report().breach is None


def test_lines_over_budget_and_from_the_cache() -> None:
    over = report(9_400_000, cached=True)
    assert over.lines()[2] == "budget   9.00 MB of size: OVER by 400.00 KB"
    assert over.lines()[3] == "build    cached binary (its cold build: freeze 31.0 s, staticize 4.5 s); image 0.0 s"
    assert over.breach is not None
    assert "+400.00 KB" in over.breach


def test_a_compressed_budget_measures_the_compressed_size() -> None:
    assert report(budget=Budget(6_000_000, "compressed")).breach is not None
    assert report(budget=Budget(7_000_000, "compressed")).breach is None


def test_startup_and_memory_are_lines_when_known() -> None:
    lines = report(startup_seconds=0.4321, memory=41_000_000).lines()
    assert lines[-2:] == ["start    first HTTP answer 0.43 s after docker run", "memory   41.00 MB after warm-up"]


def test_the_report_survives_a_json_round_trip() -> None:
    original = report(budget=Budget(9_000_000, "compressed", 8_000_000), startup_seconds=0.5, levers=LEVERS)
    assert SizeReport.from_dict(original.to_dict()) == original


LEVERS = [Lever('add "tls" to scratch_image_trim', 1_700_000, True, "safe by the record: no TLS")]


def test_the_gate_names_the_levers_under_the_breach_and_the_warning() -> None:
    over = report(10_000_000, levers=LEVERS)
    failures, _ = gate(over, Growth(), Options())
    assert failures[0].splitlines()[1:] == [
        "  the first 1 lever fit it (estimated from the breakdown):",
        '  1. add "tls" to scratch_image_trim: -1.70 MB → 8.30 MB; safe by the record: no TLS',
    ]
    _, notes = gate(report(8_500_000, budget=Budget(9_000_000, warn=8_000_000), levers=LEVERS), Growth(), Options())
    assert (
        notes[0].splitlines()[2]
        == '  1. add "tls" to scratch_image_trim: -1.70 MB → 6.80 MB; safe by the record: no TLS'
    )


@pytest.mark.parametrize(
    ("limit", "grown", "fails"),
    [(Growth(percent=5), 400_000, False), (Growth(percent=5), 500_000, True), (Growth(size=100_000), 100_001, True)],
)
def test_growth_over_the_limit_fails(limit: Growth, grown: int, fails: bool) -> None:
    baseline = baseline_of(report(8_000_000))
    assert (growth_failure(report(8_000_000 + grown), baseline, limit) is not None) is fails


def test_a_growth_failure_names_what_grew() -> None:
    baseline = baseline_of(report(8_000_000))
    bigger = report(8_600_000, contributors=[Contributor("library", "libpython", 3_100_000), *CONTRIBUTORS[1:]])
    assert growth_failure(bigger, baseline, Growth(percent=5)) == (
        "image grew 8.00 MB → 8.60 MB (+600.00 KB, +7.5%) > 5%; grew most: libpython +500.00 KB"
    )


def test_the_gate_fails_over_budget_notes_the_warning_and_writes_the_report(tmp_path: Path) -> None:
    over = report(9_500_000, budget=Budget(9_000_000, warn=8_000_000))
    failures, notes = gate(over, Growth(percent=5), Options(report=tmp_path / "out" / "r.json"))
    assert failures == [f"scratch_image_budget: {over.breach}"]
    assert notes == [f"report written to {tmp_path / 'out' / 'r.json'}"]
    assert SizeReport.from_dict(json.loads((tmp_path / "out" / "r.json").read_text())) == over
    warned = report(8_500_000, budget=Budget(9_000_000, warn=8_000_000))
    assert gate(warned, Growth(percent=5), Options()) == ([], [f"scratch_image_budget_warn: {warned.warning}"])


def test_the_gate_writes_then_compares_the_baseline(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    writes = Options(baseline=baseline, update_baseline=True)
    assert gate(report(8_000_000), Growth(percent=5), writes)[1] == [f"baseline written to {baseline}"]
    compares = Options(baseline=baseline)
    assert gate(report(8_100_000), Growth(percent=5), compares) == ([], [])
    failures, _ = gate(report(9_000_000), Growth(percent=5), compares)
    assert failures[0].startswith("scratch_image_max_growth: image grew 8.00 MB → 9.00 MB")


def test_a_baseline_gone_since_the_start_fails_and_says_so(tmp_path: Path) -> None:
    failures, _ = gate(report(), Growth(percent=5), Options(baseline=tmp_path / "missing.json"))
    assert len(failures) == 1
    assert failures[0].startswith(f"--scratch-image-baseline {tmp_path / 'missing.json'}: unreadable (")


def test_a_report_that_cannot_be_written_is_a_failure_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    failures, notes = gate(report(), Growth(percent=5), Options(report=tmp_path / "a-file" / "r.json"))
    assert failures == [
        f"--scratch-image-report {tmp_path / 'a-file' / 'r.json'}: the report could not be written (File exists)"
    ]
    assert notes == []


def test_headroom_at_exactly_the_budget_and_the_cache_line() -> None:
    lines = report(9_000_000, cache="/root/.cache/pytest-scratchimage (the cache plugin is off)").lines()
    assert lines[2] == "budget   9.00 MB of size: headroom 0 B"
    assert lines[-1] == "cache    /root/.cache/pytest-scratchimage (the cache plugin is off)"


@pytest.mark.parametrize(
    ("mine", "theirs", "merged"),
    [
        ({"startup_seconds": 1.2, "memory": 50}, {"startup_seconds": 0.9, "memory": 60}, (1.2, 60, False)),
        ({"startup_seconds": None, "memory": None}, {"startup_seconds": 0.9, "memory": 60}, (0.9, 60, False)),
        ({"startup_seconds": 0.9, "memory": 60}, {"startup_seconds": None, "memory": None}, (0.9, 60, False)),
        ({"cached": True}, {"cached": True}, (None, None, True)),
        ({"cached": True}, {"cached": False}, (None, None, False)),
    ],
)
def test_workers_reports_merge_into_the_worst_start_and_memory(
    mine: dict[str, Any], theirs: dict[str, Any], merged: tuple[object, object, bool]
) -> None:
    result = report(**mine).merge(report(**theirs))
    assert (result.startup_seconds, result.memory, result.cached) == merged
    assert result.size == report().size


def test_a_baseline_keeps_the_sizes_and_the_breakdown() -> None:
    assert baseline_of(report()) == {
        "size": 8_123_456,
        "compressed": 7_000_000,
        "breakdown": {"library:libpython": 2_600_000, "package:falcon": 200_000},
    }


def test_growth_at_the_limit_passes_and_one_byte_more_fails() -> None:
    baseline = baseline_of(report(8_000_000))
    assert growth_failure(report(8_400_000), baseline, Growth(percent=5)) is None
    assert growth_failure(report(8_400_001), baseline, Growth(percent=5)) is not None
    assert growth_failure(report(8_000_001), baseline, Growth(size=1)) is None
    assert growth_failure(report(8_000_002), baseline, Growth(size=1)) is not None


def test_a_growth_failure_lists_the_five_that_grew_most_largest_first() -> None:
    before = [Contributor("stdlib", f"m{i}", 100_000) for i in range(7)] + [Contributor("package", "gone", 50_000)]
    baseline = baseline_of(report(8_000_000, contributors=before))
    after = [Contributor("stdlib", f"m{i}", 100_000 + 1_000 * i) for i in range(7)]
    after.append(Contributor("package", "new", 3_500))
    message = growth_failure(report(9_000_000, contributors=after), baseline, Growth(percent=5))
    assert message == (
        "image grew 8.00 MB → 9.00 MB (+1.00 MB, +12.5%) > 5%; "
        "grew most: m6 +6.00 KB, m5 +5.00 KB, m4 +4.00 KB, new +3.50 KB, m3 +3.00 KB"
    )


def test_a_growth_failure_without_a_breakdown_says_only_how_much() -> None:
    message = growth_failure(report(9_000_000, contributors=[]), {"size": 8_000_000}, Growth(size=100_000))
    assert message == "image grew 8.00 MB → 9.00 MB (+1.00 MB, +12.5%) > 100.00 KB"


def test_the_gate_writes_the_report_and_the_baseline_together_as_indented_json(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    written = tmp_path / "out" / "r.json", tmp_path / "deep" / "er" / "b.json"
    options = Options(report=written[0], baseline=written[1], update_baseline=True)
    failures, notes = gate(report(), Growth(percent=5), options)
    assert failures == []
    assert notes == [f"report written to {written[0]}", f"baseline written to {written[1]}"]
    text = written[1].read_text()
    assert text == json.dumps(baseline_of(report()), indent=2) + "\n"


def test_a_growth_failure_counts_bytes_exactly_and_lists_only_what_grew() -> None:
    baseline = {"size": 1_000, "breakdown": {"library:a": 10, "library:gone": 0, "library:shrank": 7}}
    now = [Contributor("library", "a", 11), Contributor("library", "b", 5), Contributor("library", "shrank", 6)]
    message = growth_failure(report(2_000, contributors=now), baseline, Growth(size=1))
    assert message is not None
    assert message.endswith("; grew most: b +5 B, a +1 B")


def test_the_unused_line_names_the_five_largest_and_the_total() -> None:
    contributors = [Contributor("stdlib", f"m{i}", 100_000, 300_000, 10_000 * i) for i in range(8)]
    lines = report(contributors=contributors).lines()
    assert lines[-1] == (
        "unused   never used by the recorded run: m7 70.00 KB, m6 60.00 KB, m5 50.00 KB, m4 40.00 KB, "
        "m3 30.00 KB, …; 280.00 KB in all"
    )
    assert report(contributors=contributors[:1]).lines()[-1] == (
        "unused   nothing: the recorded run used every module, library and data file the image holds"
    )
    assert not [line for line in report(contributors=[]).lines() if line.startswith(("unused", "unpacked"))]


def test_without_a_record_the_unused_share_is_not_known() -> None:
    assert report(recorded=False).lines()[-1] == "unused   not known: scratch_image_record is false"


def test_for_an_image_built_elsewhere_the_unused_share_is_not_known() -> None:
    assert report(used="myapp:1.2", recorded=False).lines()[-1] == (
        "unused   not known: the image was built elsewhere, its app never recorded"
    )

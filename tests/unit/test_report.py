"""The size report's lines: size, budget and the headroom left, or how far over."""

from __future__ import annotations

from pytest_scratchimage.report import SizeReport


def test_lines_within_budget() -> None:
    report = SizeReport("scratch:abc", 8_123_456, 9_000_000, cached=False, seconds={"freeze": 31.04, "staticize": 4.5})
    assert report.lines() == [
        "image    scratch:abc",
        "size     8.12 MB (8,123,456 bytes, the engine's Size)",
        "budget   9.00 MB, headroom 876.54 KB",
        "build    freeze 31.0 s, staticize 4.5 s",
    ]
    assert report.breach is None


def test_lines_over_budget() -> None:
    report = SizeReport("scratch:abc", 9_400_000, 9_000_000, cached=True)
    assert report.lines()[2] == "budget   9.00 MB, OVER by 400.00 KB"
    assert report.lines()[3] == "build    cached binary; no stage ran"
    assert report.breach is not None
    assert "+400.00 KB" in report.breach


def test_exactly_on_budget_has_zero_headroom() -> None:
    assert SizeReport("t", 9_000_000, 9_000_000, cached=True).lines()[2] == "budget   9.00 MB, headroom 0 B"


def test_ready_time_is_a_line_when_known() -> None:
    report = SizeReport("t", 1, 9_000_000, cached=True, ready_seconds=0.4321)
    assert report.lines()[-1] == "start    first HTTP answer 0.43 s after start"
    assert len(SizeReport("t", 1, 9_000_000, cached=True).lines()) == 4

"""What learning the optimisation level says, its pure parts (the records: tests/integration/test_optimize.py)."""

from __future__ import annotations

import pytest

from pytest_scratchimage.optimize import Level, difference, last_error, why_not
from pytest_scratchimage.record import Probe, Record

LOG = """\
[2026-12-02 15:00:00 +0000] [7] [INFO] Starting gunicorn 27.0.1
Traceback (most recent call last):
  File "/app/greeter.py", line 12, in <module>
    BANNER = "banner: " + __doc__
TypeError: can only concatenate str (not "NoneType") to str
[2026-12-02 15:00:00 +0000] [7] [INFO] Shutting down: Master
"""


def answered(*statuses: tuple[str, int]) -> Record:
    return Record(probes=tuple(Probe("GET", path, status, 0) for path, status in statuses))


@pytest.mark.parametrize(
    ("log", "line"),
    [
        (LOG, 'TypeError: can only concatenate str (not "NoneType") to str'),
        ("x\nyaml.scanner.ScannerError: mapping values\n", "yaml.scanner.ScannerError: mapping values"),
        ("KeyError\nlater words\n", "KeyError"),
        ("SystemExit: 2\n", "SystemExit: 2"),
        ("first\nno error here\n\n", "no error here"),
        ("", ""),
    ],
)
def test_the_last_error_of_a_log(log: str, line: str) -> None:
    assert last_error(log) == line


def test_the_last_error_is_cut_at_200_characters() -> None:
    assert last_error("ValueError: " + "x" * 500) == ("ValueError: " + "x" * 500)[:200]


def test_the_same_answers_are_no_difference() -> None:
    assert difference(answered(("/", 200), ("/x", 404)), answered(("/", 200), ("/x", 404)), 2) is None


def test_another_status_is_a_difference_in_words() -> None:
    optimized, plain = answered(("/", 200), ("/hello", 404)), answered(("/", 200), ("/hello", 200))
    assert difference(optimized, plain, 2) == "GET /hello answers 404 under -OO, 200 without -O"
    assert difference(optimized, plain, 1) == "GET /hello answers 404 under -O, 200 without -O"


def test_a_probe_only_one_run_made_is_no_difference() -> None:  # a link followed in one run only
    assert difference(answered(("/", 200)), answered(("/", 200), ("/static/a.css", 200)), 2) is None


@pytest.mark.parametrize(
    ("level", "why"),
    [
        (1, "the app reads docstrings at run time (TypeError: x)"),
        (0, "the app relies on asserts or __debug__ at run time (TypeError: x)"),
    ],
)
def test_why_a_level_below(level: int, why: str) -> None:
    assert why_not(level, "TypeError: x") == why


def test_a_level_in_words() -> None:
    assert str(Level(2)) == "optimize 2"
    assert str(Level(1, "the app reads docstrings at run time (…)")) == (
        "optimize 1: the app reads docstrings at run time (…)"
    )


def test_a_probe_that_fails_without_o_too_is_no_difference() -> None:
    # prometheus_client's ASGI app asserts an HTTP scope: the WebSocket handshake is 500, or 403 under -O
    optimized, plain = answered(("/", 200), ("/ws", 403)), answered(("/", 200), ("/ws", 500))
    assert difference(optimized, plain, 2) is None
    assert difference(answered(("/", 200)), answered(("/", 400)), 2) is None
    assert difference(answered(("/", 500)), answered(("/", 399)), 2) == "GET / answers 500 under -OO, 399 without -O"

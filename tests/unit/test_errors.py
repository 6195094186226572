"""Errors for people: the headline alone, or the headline and the log's tail, indented."""

from __future__ import annotations

from pytest_scratchimage.errors import TAIL_LINES, ScratchImageError, indent_tail, tail


def test_an_error_without_a_log_is_its_headline() -> None:
    error = ScratchImageError("run: it failed")
    assert (str(error), error.headline, error.log) == ("run: it failed", "run: it failed", "")
    assert str(ScratchImageError("run: it failed", "  \n ")) == "run: it failed"


def test_an_error_with_a_log_shows_its_tail_indented() -> None:
    error = ScratchImageError("freeze: PyInstaller exited", "one\ntwo\n")
    assert str(error) == "freeze: PyInstaller exited\n  | one\n  | two"
    assert error.log == "one\ntwo\n"


def test_the_tail_is_the_last_thirty_lines() -> None:
    log = "\n".join(f"line {i}" for i in range(100)) + "\n\n"
    assert TAIL_LINES == 30
    assert tail(log).splitlines() == [f"line {i}" for i in range(70, 100)]
    assert tail(log, 2) == "line 98\nline 99"
    assert indent_tail("a\nb\nc", 2) == "  | b\n  | c"

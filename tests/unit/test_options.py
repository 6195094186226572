"""The command-line options: declared once, read into ``Options``, checked before anything is built."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_scratchimage.options import (
    FLAG,
    FLAGS,
    Flag,
    OptionError,
    Options,
    check_baseline,
    check_writable,
    file_problem,
    folder_problem,
)


def test_the_flags_are_pinned() -> None:
    assert FLAG == "--scratch-image"
    assert [(flag.option, flag.dest, flag.metavar) for flag in FLAGS] == [
        ("--scratch-image", "enabled", None),
        ("--scratch-image-rebuild", "rebuild", None),
        ("--scratch-image-keep", "keep", None),
        ("--scratch-image-baseline", "baseline", "PATH"),
        ("--scratch-image-update-baseline", "update_baseline", None),
        ("--scratch-image-report", "report", "PATH"),
    ]
    assert all(flag.help for flag in FLAGS)
    assert Flag("x", "help").metavar is None


def test_options_are_read_by_their_dest() -> None:
    values = {"enabled": True, "rebuild": 0, "keep": 1, "baseline": "b.json", "update_baseline": None, "report": ""}
    assert Options.read(values.__getitem__) == Options(
        enabled=True, rebuild=False, keep=True, baseline=Path("b.json"), update_baseline=False, report=None
    )
    assert Options() == Options(False, False, False, None, False, None)


def test_updating_a_baseline_needs_its_path_even_when_off() -> None:
    with pytest.raises(OptionError, match=r"^--scratch-image-update-baseline needs --scratch-image-baseline PATH$"):
        Options(update_baseline=True).check()


def test_paths_are_not_checked_when_the_plugin_is_off(tmp_path: Path) -> None:
    Options(report=tmp_path, baseline=tmp_path / "missing.json").check()


def test_paths_are_checked_when_on(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match=r"^--scratch-image-report .* is a folder; name a file in it$"):
        Options(enabled=True, report=tmp_path).check()
    with pytest.raises(OptionError, match=r"^--scratch-image-baseline .*missing.json does not exist; write it with"):
        Options(enabled=True, baseline=tmp_path / "missing.json").check()
    with pytest.raises(OptionError, match=r"^--scratch-image-baseline .* is a folder; name a file in it$"):
        Options(enabled=True, baseline=tmp_path, update_baseline=True).check()
    Options(
        enabled=True, report=tmp_path / "new" / "r.json", baseline=tmp_path / "b.json", update_baseline=True
    ).check()


def test_file_problems(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    assert file_problem(tmp_path / "new.json") is None
    assert file_problem(tmp_path / "a-file") is None
    assert file_problem(tmp_path / "deep" / "er" / "new.json") is None
    assert file_problem(tmp_path) == "is a folder; name a file in it"
    assert file_problem(tmp_path / "a-file" / "x.json") == f"cannot be made: {tmp_path / 'a-file'} is a file"


def test_an_unwritable_folder_or_file_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "read-only.json").write_text("{}")
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # as for anyone but root on 0500 folders
    assert folder_problem(tmp_path / "sub") == f"cannot be written: {tmp_path} is not writable"
    assert file_problem(tmp_path / "read-only.json") == "is not writable"


def test_folder_problems(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    assert folder_problem(tmp_path) is None
    assert folder_problem(tmp_path / "new" / "cache") is None
    assert folder_problem(tmp_path / "a-file") == f"cannot be made: {tmp_path / 'a-file'} is a file"
    assert folder_problem(tmp_path / "a-file" / "cache") == f"cannot be made: {tmp_path / 'a-file'} is a file"
    assert folder_problem(Path("/proc/1/nothing")) is not None


def test_check_writable_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match=f"^--opt {tmp_path} is a folder; name a file in it$"):
        check_writable("--opt", tmp_path)
    check_writable("--opt", tmp_path / "x.json")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "is unreadable (Expecting value: line 1 column 1 (char 0)); write it with"),
        ("[1, 2]", "is not a baseline (no size in it); write it with"),
        ('{"size": "big"}', "is not a baseline (no size in it); write it with"),
    ],
)
def test_a_baseline_must_be_one(tmp_path: Path, text: str, problem: str) -> None:
    baseline = tmp_path / "b.json"
    baseline.write_text(text)
    with pytest.raises(OptionError) as info:
        check_baseline(baseline)
    assert str(info.value).startswith(f"--scratch-image-baseline {baseline} {problem} --scratch-image-update-baseline")


def test_a_baseline_with_a_size_is_one(tmp_path: Path) -> None:
    (tmp_path / "b.json").write_text('{"size": 1}')
    check_baseline(tmp_path / "b.json")

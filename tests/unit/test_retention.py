"""The binary cache's retention: builds unused for a month go when another is made; held ones stay."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from filelock import FileLock

from pytest_scratchimage.retention import UNUSED_DAYS, Pruned, prune, used

NOW = 2_000_000_000.0
DAY = 24 * 3600


def entry(cache: Path, name: str, days_unused: float, size: int = 1000) -> Path:
    folder = cache / name
    (folder / "dist").mkdir(parents=True)
    (folder / "app").write_bytes(b"x" * size)
    (folder / "dist" / "app").write_bytes(b"y" * size)
    os.utime(folder, (NOW - days_unused * DAY, NOW - days_unused * DAY))
    return folder


def test_builds_unused_for_longer_than_the_days_go_and_the_rest_stay(tmp_path: Path) -> None:
    old = entry(tmp_path, "0" * 20, UNUSED_DAYS + 1)
    failed = entry(tmp_path, "1" * 20 + ".building-4242", UNUSED_DAYS + 1, size=10)
    recent = entry(tmp_path, "2" * 20, UNUSED_DAYS - 1)
    assert prune(tmp_path, NOW, keep=tmp_path / ("3" * 20)) == Pruned(2, 2020)
    assert not old.exists()
    assert not failed.exists()
    assert recent.exists()


def test_the_build_just_made_and_what_is_no_build_stay_however_old(tmp_path: Path) -> None:
    made = entry(tmp_path, "a" * 20, 400)
    others = [entry(tmp_path, name, 400) for name in ("notes", "A" * 20, "a" * 19, "a" * 20 + ".old")]
    (tmp_path / ("b" * 20)).write_text("a file, not a build")
    os.utime(tmp_path / ("b" * 20), (NOW - 400 * DAY, NOW - 400 * DAY))
    assert prune(tmp_path, NOW, keep=made) == Pruned(0, 0)
    assert made.exists()
    assert all(folder.exists() for folder in others)
    assert (tmp_path / ("b" * 20)).exists()


def test_a_build_another_session_holds_stays(tmp_path: Path) -> None:
    held = entry(tmp_path, "c" * 20, 400)
    with FileLock(str(tmp_path / f"{'c' * 20}.lock")):
        assert prune(tmp_path, NOW, keep=tmp_path / "none") == Pruned(0, 0)
    assert held.exists()
    assert prune(tmp_path, NOW, keep=tmp_path / "none").builds == 1


def test_a_use_makes_a_build_recent(tmp_path: Path) -> None:
    folder = entry(tmp_path, "d" * 20, 400)
    used(folder)
    assert abs(folder.stat().st_mtime - time.time()) < 60
    assert prune(tmp_path, time.time(), keep=tmp_path / "none") == Pruned(0, 0)


def test_a_cache_that_cannot_be_written_is_left_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Read-only file system")

    folder = entry(tmp_path, "e" * 20, 400)
    monkeypatch.setattr(os, "utime", refuse)
    monkeypatch.setattr(shutil, "rmtree", refuse)
    used(folder)
    assert prune(tmp_path, NOW, keep=tmp_path / "none") == Pruned(0, 0)
    monkeypatch.undo()
    assert folder.stat().st_mtime == NOW - 400 * DAY
    assert prune(tmp_path, NOW, keep=tmp_path / "none").builds == 1  # and its lock was given back


def test_a_missing_cache_prunes_nothing(tmp_path: Path) -> None:
    assert prune(tmp_path / "gone", NOW, keep=tmp_path / "gone" / ("f" * 20)) == Pruned(0, 0)


def test_a_month_is_thirty_days_to_the_second(tmp_path: Path) -> None:
    just_over = entry(tmp_path, "1" * 20, 30 + 100 / DAY)
    exactly = entry(tmp_path, "2" * 20, 30)
    just_under = entry(tmp_path, "3" * 20, 30 - 100 / DAY)
    assert prune(tmp_path, NOW, keep=tmp_path / "none").builds == 1
    assert not just_over.exists()
    assert exactly.exists()
    assert just_under.exists()

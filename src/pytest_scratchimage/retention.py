"""Retention: what the binary cache keeps. A build is used when a session reads it or makes it; builds unused
for ``UNUSED_DAYS`` are removed when a session uses the cache, so a cache kept across CI runs does not grow
with every change of the dependencies. A build that another session holds stays, and so does a read-only cache.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

UNUSED_DAYS = 30
_ENTRY = re.compile(r"(?P<key>[0-9a-f]{20})(\.building-\d+)?")  # a build, or a failed one kept for its log
_DAY = 24 * 3600


@dataclass(frozen=True)  # mutation: equivalent
class Pruned:
    builds: int
    size: int  # bytes of the files removed


def used(entry: Path) -> None:
    """Mark a cached build as used now (its folder's mtime); in a read-only cache it stays as it was."""
    with contextlib.suppress(OSError):
        os.utime(entry)


def prune(cache: Path, now: float, keep: Path, days: int = UNUSED_DAYS) -> Pruned:
    """Remove the builds in ``cache`` last used more than ``days`` before ``now``, but ``keep`` and any that
    another session holds (its key's lock)."""
    builds = size = 0
    for entry, key in _stale(cache, now - days * _DAY, keep):
        lock = FileLock(str(cache / f"{key}.lock"))
        try:
            lock.acquire(timeout=0)  # mutation: equivalent (a wait, then the same skip)
        except (Timeout, OSError):
            continue
        try:
            weight = _weight(entry)
            shutil.rmtree(entry)
        except OSError:
            continue
        finally:
            lock.release()
        builds, size = builds + 1, size + weight
    return Pruned(builds, size)


def _stale(cache: Path, before: float, keep: Path) -> list[tuple[Path, str]]:
    """The builds (and failed builds' folders) last used before ``before``, each with its key."""
    try:
        entries = [(path, match["key"]) for path in cache.iterdir() if (match := _ENTRY.fullmatch(path.name))]
        return [(p, key) for p, key in entries if p != keep and p.is_dir() and p.stat().st_mtime < before]
    except OSError:
        return []


def _weight(folder: Path) -> int:
    return sum(path.lstat().st_size for path in folder.rglob("*") if not path.is_dir())

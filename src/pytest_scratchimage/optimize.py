"""The optimisation level, learnt by recording: the highest of Python's -O levels at which the app works.

The frozen app is compiled at one level: 2 (``-OO``) drops asserts and docstrings, the smallest image;
1 (``-O``) drops asserts only. Some apps read their docstrings at run time (PLY, docopt, a ``__doc__``
built into a string) and die without them. ``auto`` records the app under ``-OO``, as it will be frozen,
and once more without ``-O`` to compare the answers; when it fails, or a probe answers another status,
the level steps down to the highest one that works and answers alike, and the build says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import ScratchImageError
from .record import Record
from .recording import AppFailed, Recording, record

_FLAGS = {0: "without -O", 1: "under -O", 2: "under -OO"}
_ERROR = re.compile(r"^(?:[\w.]+\.)?\w*(?:Error|Exception|Exit)\b(?::.*)?$")


@dataclass(frozen=True)
class Level:
    """The level the app is frozen at, and why when it is not the highest or was not learnt."""

    level: int
    why: str = ""

    def __str__(self) -> str:
        return f"optimize {self.level}" + (f": {self.why}" if self.why else "")


def last_error(log: str) -> str:
    """The last exception line of a log (``TypeError: …``), else its last line."""
    lines = [line.strip() for line in log.strip().splitlines() if line.strip()]
    errors = [line for line in lines if _ERROR.match(line)]
    return (errors or lines or [""])[-1][:200]


def answers(recorded: Record) -> dict[tuple[str, str], int]:
    """Each probe's status, by method and path."""
    return {(probe.method, probe.path): probe.status for probe in recorded.probes}


def difference(optimized: Record, plain: Record, level: int) -> str | None:
    """The first probe that answers another status at ``level`` than without -O, in words; else None.

    Only a probe that worked without -O counts: one that fails either way (an HTTP-only app refusing the
    record's WebSocket handshake, by an assert or without it) says nothing the app needs from -O's leftovers.
    """
    mine = answers(optimized)
    for (method, path), status in answers(plain).items():
        if status < 400 and mine.get((method, path), status) != status:
            return f"{method} {path} answers {mine[(method, path)]} {_FLAGS[level]}, {status} without -O"
    return None


def why_not(level: int, reason: str) -> str:
    """Why the app is frozen at ``level`` rather than the one above it."""
    needs = "reads docstrings at run time" if level == 1 else "relies on asserts or __debug__ at run time"
    return f"the app {needs} ({reason})"


def learn(recording: Recording, folder: Path, chosen: int | None) -> tuple[Record, Level]:
    """The record at the level the app is frozen at: ``chosen`` (a setting of 0, 1 or 2), or learnt (None)."""
    if chosen is not None:
        return _at(recording, folder, chosen, chosen_by_setting=True), Level(chosen)
    try:
        frozen = _at(recording, folder, 2)
    except AppFailed as failure:
        return _below(recording, folder, reason(failure))
    try:
        plain = _at(recording, folder, 0)
    except AppFailed:  # it works as it will be frozen: only the comparison could not be made
        return frozen, Level(2)
    found = difference(frozen, plain, 2)
    if found is None:
        return frozen, Level(2)
    try:
        once = _at(recording, folder, 1)
    except AppFailed as failure:
        return plain, Level(0, why_not(0, reason(failure)))
    still = difference(once, plain, 1)
    return (once, Level(1, why_not(1, found))) if still is None else (plain, Level(0, why_not(0, still)))


def reason(failure: ScratchImageError) -> str:
    return last_error(failure.log) or failure.headline


def _below(recording: Recording, folder: Path, failed: str) -> tuple[Record, Level]:
    """After the app failed under -OO: -O, else none (whose failure is the app's own, told as such)."""
    try:
        return _at(recording, folder, 1), Level(1, why_not(1, failed))
    except AppFailed as failure:
        return _at(recording, folder, 0), Level(0, why_not(0, reason(failure)))


def _at(recording: Recording, folder: Path, level: int, chosen_by_setting: bool = False) -> Record:
    try:
        return record(replace(recording, optimize=level), folder / f"record-O{level}")
    except AppFailed as failure:
        if not chosen_by_setting or level == 0:
            raise
        try:  # would it work without -O? Then that is the fix to name
            record(replace(recording, optimize=0), folder / "record-O0")
        except ScratchImageError:
            raise failure from None
        needs = "reads docstrings" if level == 2 else "relies on asserts"
        headline = re.sub(r"; (?:the app's|its) log follows$", "", failure.headline)
        raise AppFailed(
            f"{headline} at scratch_image_optimize = {level}, and works without -O: it {needs} at run time; "
            "set scratch_image_optimize = auto (or 0); its log follows",
            failure.log,
        ) from None

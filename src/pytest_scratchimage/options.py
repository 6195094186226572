"""The command-line options, declared once, read into a frozen ``Options`` and checked before anything is built."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

FLAG = "--scratch-image"


class Flag(NamedTuple):
    """One command-line option: ``--scratch-image-<name>``; ``metavar`` for one that takes a value."""

    name: str
    help: str
    metavar: str | None = None

    @property
    def option(self) -> str:
        return f"{FLAG}-{self.name}" if self.name else FLAG

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_") or "enabled"


FLAGS: tuple[Flag, ...] = (
    Flag("", "build, run and probe the scratch image (default: its tests skip)"),
    Flag("rebuild", "rebuild the binary even when the cache holds it"),
    Flag("keep", "leave the container running after the session, and say how to reach and remove it"),
    Flag("baseline", "fail when the image grew over this JSON baseline (see scratch_image_max_growth)", "PATH"),
    Flag("update-baseline", "write the baseline to --scratch-image-baseline instead of comparing"),
    Flag("report", "write the image's facts as JSON to PATH", "PATH"),
)


class OptionError(ValueError):
    """A command-line option that cannot work; the message names it and says what to do."""


class Options(NamedTuple):
    """What the command line asked for."""

    enabled: bool = False
    rebuild: bool = False
    keep: bool = False
    baseline: Path | None = None
    update_baseline: bool = False
    report: Path | None = None

    @classmethod
    def read(cls, value: Callable[[str], Any]) -> Options:
        """From each option's value by its ``Flag.dest`` (pytest's ``config.getoption``)."""

        def path(dest: str) -> Path | None:
            return Path(value(dest)) if value(dest) else None

        return cls(
            enabled=bool(value("enabled")),
            rebuild=bool(value("rebuild")),
            keep=bool(value("keep")),
            baseline=path("baseline"),
            update_baseline=bool(value("update_baseline")),
            report=path("report"),
        )

    def check(self) -> None:
        """Refuse, before anything is built, what would only fail at the end of the session."""
        if self.update_baseline and self.baseline is None:
            raise OptionError(f"{FLAG}-update-baseline needs {FLAG}-baseline PATH")
        if not self.enabled:
            return
        if self.report is not None:
            check_writable(f"{FLAG}-report", self.report)
        if self.baseline is not None and self.update_baseline:
            check_writable(f"{FLAG}-baseline", self.baseline)
        elif self.baseline is not None:
            check_baseline(self.baseline)


def file_problem(path: Path) -> str | None:
    """Why a file cannot be written at ``path`` (its folders made as needed), or None when it can."""
    if path.is_dir():
        return "is a folder; name a file in it"
    if path.exists():
        return None if os.access(path, os.W_OK) else "is not writable"
    return folder_problem(path.parent)


def folder_problem(path: Path) -> str | None:
    """Why files cannot be written in the folder ``path`` (made as needed), or None when they can."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"cannot be made: {existing} is a file"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot be written: {existing} is not writable"
    return None


def check_writable(option: str, path: Path) -> None:
    problem = file_problem(path)
    if problem is not None:
        raise OptionError(f"{option} {path} {problem}")


def check_baseline(path: Path) -> None:
    fix = f"write it with {FLAG}-update-baseline"
    try:
        recorded = json.loads(path.read_text())
    except FileNotFoundError:
        raise OptionError(f"{FLAG}-baseline {path} does not exist; {fix}") from None
    except (OSError, ValueError) as error:
        raise OptionError(f"{FLAG}-baseline {path} is unreadable ({error}); {fix}") from None
    if not isinstance(recorded, dict) or not isinstance(recorded.get("size"), int):
        raise OptionError(f"{FLAG}-baseline {path} is not a baseline (no size in it); {fix}")

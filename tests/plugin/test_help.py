"""A golden test of ``pytest --help``: the plugin's options and ini settings as users read them."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).with_name("help.txt")
UPDATE = "SCRATCH_IMAGE_UPDATE_GOLDEN"


def plugin_help(lines: list[str]) -> str:
    """The option group and the ini entries of the plugin, from the whole ``--help`` text."""
    start = lines.index("frozen, static, FROM scratch image of a WSGI or ASGI app:")
    group = lines[start : lines.index("", start)]
    first = next(i for i, line in enumerate(lines) if line.startswith("  scratch_image_"))
    last = max(i for i, line in enumerate(lines) if line.startswith("  scratch_image_"))
    ini = lines[first : next(i for i in range(last + 1, len(lines)) if not lines[i].startswith(" " * 20))]
    return "\n".join([*group, "", *ini]) + "\n"


def test_help_is_the_golden_text(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    shown = plugin_help(pytester.runpytest("--help").outlines)
    if os.environ.get(UPDATE):
        GOLDEN.write_text(shown)
    diff = "".join(difflib.unified_diff(GOLDEN.read_text().splitlines(True), shown.splitlines(True), "golden", "now"))
    assert not diff, f"--help changed; if that is meant, rerun with {UPDATE}=1 and commit {GOLDEN.name}:\n{diff}"

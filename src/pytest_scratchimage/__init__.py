"""pytest-scratchimage: build, run and probe the frozen, static, ``FROM scratch`` image of a WSGI or ASGI app.

The names below load on first use: pytest imports this package with the plugin, and a project that does
not build an image should not pay for the docker SDK and requests.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import pytest

pytest.register_assert_rewrite("pytest_scratchimage.assertions")

if TYPE_CHECKING:
    from .assertions import assert_no_shell, assert_runs_as, assert_size_within, assert_stops_gracefully
    from .errors import ScratchImageError
    from .image import ScratchImage
    from .inspect import FileEntry
    from .run import ScratchContainer
    from .running import ScratchImageBudgetWarning
    from .session import ScratchSession
    from .sizes import format_size, parse_size

_HOMES = {
    "FileEntry": "inspect",
    "ScratchContainer": "run",
    "ScratchImage": "image",
    "ScratchImageBudgetWarning": "running",
    "ScratchImageError": "errors",
    "ScratchSession": "session",
    "assert_no_shell": "assertions",
    "assert_runs_as": "assertions",
    "assert_size_within": "assertions",
    "assert_stops_gracefully": "assertions",
    "format_size": "sizes",
    "parse_size": "sizes",
}
__all__ = [
    "FileEntry",
    "ScratchContainer",
    "ScratchImage",
    "ScratchImageBudgetWarning",
    "ScratchImageError",
    "ScratchSession",
    "assert_no_shell",
    "assert_runs_as",
    "assert_size_within",
    "assert_stops_gracefully",
    "format_size",
    "parse_size",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)

"""pytest-scratchimage: build, run and probe the frozen, static, ``FROM scratch`` image of a WSGI app."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("pytest_scratchimage.assertions")

from .assertions import (  # noqa: E402
    assert_no_shell,
    assert_runs_as,
    assert_size_within,
    assert_stops_gracefully,
)
from .errors import ScratchImageError  # noqa: E402
from .image import ScratchImage  # noqa: E402
from .inspect import FileEntry  # noqa: E402
from .run import ScratchContainer  # noqa: E402
from .session import ScratchSession  # noqa: E402
from .sizes import format_size, parse_size  # noqa: E402

__all__ = [
    "FileEntry",
    "ScratchContainer",
    "ScratchImage",
    "ScratchImageError",
    "ScratchSession",
    "assert_no_shell",
    "assert_runs_as",
    "assert_size_within",
    "assert_stops_gracefully",
    "format_size",
    "parse_size",
]

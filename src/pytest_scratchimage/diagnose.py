"""Failures that teach: read a frozen app's log and name the setting that fixes what it shows.

PyInstaller sees only literal imports; modules imported by name, package metadata read through
``importlib.metadata`` and data files opened from a package's folder are not collected unless asked.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# What code that reads a docstring raises once -OO made it None: concatenated, split, formatted, measured.
_NONE_DOC = (
    r"TypeError: (?:can only concatenate str \(not \"NoneType\"\) to str"
    r"|unsupported operand type\(s\) for \+: 'NoneType' and 'str'"
    r"|object of type 'NoneType' has no len\(\)|expected string or bytes-like object, got 'NoneType')"
    r"|AttributeError: 'NoneType' object has no attribute '(?:split|splitlines|strip|format|replace|lower|startswith)'"
)
_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(r"ModuleNotFoundError: No module named '(?P<name>[\w.]+)'"),
        lambda m: (
            f"add {m['name']} to scratch_image_hidden_imports (it is imported by name, out of PyInstaller's sight)"
        ),
    ),
    (
        re.compile(r"PackageNotFoundError: (?:No package metadata was found for )?(?P<name>[\w.-]+)"),
        lambda m: f"add {m['name']} to scratch_image_copy_metadata (importlib.metadata reads it at run time)",
    ),
    (
        re.compile(r"TemplateNotFound: (?P<name>\S+)"),
        lambda m: f"add the package holding template {m['name']} to scratch_image_collect_data",
    ),
    (
        re.compile(r"No such file or directory: '/tmp/_MEI\w+/(?P<package>\w+)/(?P<path>[^']+)'"),
        lambda m: f"add {m['package']} to scratch_image_collect_data (its file {m['path']} was not collected)",
    ),
    (
        re.compile(_NONE_DOC),
        lambda m: (
            "if that None is a docstring (optimize 2, -OO, drops them), set scratch_image_optimize = 1, "
            "or auto with the code path among scratch_image_probe_paths"
        ),
    ),
)


def hints(log: str) -> list[str]:
    """One fix per distinct problem the log shows, in the order they first appear."""
    found: dict[str, int] = {}
    for pattern, advice in _RULES:
        for match in pattern.finditer(log):
            found.setdefault(advice(match), match.start())
    return sorted(found, key=found.__getitem__)

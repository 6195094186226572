"""Byte sizes as people write them: ``9MB`` is 9,000,000 bytes, as ``docker image ls`` prints."""

from __future__ import annotations

import re

UNITS = {
    "": 1,
    "B": 1,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "KIB": 1024,
    "MIB": 1024**2,
    "GIB": 1024**3,
}
METRICS = ("size", "compressed")  # what a size budget limits: the engine's image Size, or the gzipped layers
ACCEPTED = "a size such as 9MB, 8.5MB, 9000KB, 8MiB or 9000000 (bytes)"
_SIZE = r"(?P<number>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>[A-Za-z]*)"  # compiled on first use, cached by re


def parse_size(text: str) -> int:
    """Return the bytes in ``text``; raise ``ValueError`` naming the accepted form."""
    match = re.fullmatch(_SIZE, text.strip())
    unit = match and UNITS.get(match["unit"].upper())
    if not match or unit is None:
        raise ValueError(f"{text!r} is not {ACCEPTED}")
    size = round(float(match["number"]) * unit)
    if size <= 0:
        raise ValueError(f"{text!r} is not a positive size")
    return size


def format_size(size: int) -> str:
    """``8_123_456`` → ``8.12 MB``: decimal units, as the budget is written."""
    for unit, factor in (("GB", 1000**3), ("MB", 1000**2), ("KB", 1000)):
        if abs(size) >= factor * 0.9995:  # 999,999 B is 1.00 MB, not 1000.00 KB
            return f"{size / factor:.2f} {unit}"
    return f"{size} B"

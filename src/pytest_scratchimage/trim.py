"""Trims: named, opt-in levers that leave out parts of Python a plain-HTTP API behind a proxy rarely needs.

Each is a setting (``scratch_image_trim``), off by default, because each can break an app that does
need the part; an app that breaks at start is caught by the readiness probe, one that breaks on a
request by the app's own probes. Sizes are what each saved on the fixture app (see the README).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

HOOKS = Path(__file__).parent / "hooks"

# The codecs a web API meets: UTF-8/16/32, Latin-1, ASCII, IDNA, and those Python itself relies on.
KEPT_CODECS = frozenset(
    {
        "aliases", "utf_8", "utf_8_sig", "latin_1", "ascii", "idna", "raw_unicode_escape", "unicode_escape",
        "utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be", "charmap", "cp437",
        "iso8859_1", "base64_codec", "hex_codec", "punycode", "undefined",
    }
)  # fmt: skip


class Trim(NamedTuple):
    """One lever: what ``scratch_image_trim`` names (``schema.TRIMS``) leaves out."""

    excludes: Callable[[], tuple[str, ...]]  # called at build time: listing them can take a while
    runtime_hooks: tuple[Path, ...] = ()


def unused_codecs() -> tuple[str, ...]:
    import encodings
    import pkgutil

    return tuple(
        sorted(f"encodings.{m.name}" for m in pkgutil.iter_modules(encodings.__path__) if m.name not in KEPT_CODECS)
    )


LEVERS = {
    # No TLS: OpenSSL (libssl, libcrypto), _ssl and _hashlib left out, ssl replaced by a stub that refuses
    # TLS; hashlib falls back to its built-in hashes (-1.7 MB).
    "tls": Trim(lambda: ("ssl", "_ssl", "_hashlib"), (HOOKS / "ssl_stub.py",)),
    # Only the UTF, Latin-1, ASCII and IDNA codecs: the CJK and legacy code pages left out (-0.3 MB).
    "codecs": Trim(unused_codecs),
    # No bz2 or lzma, and so none of their libraries: zlib stays.
    "compression": Trim(lambda: ("bz2", "_bz2", "lzma", "_lzma")),
    # What the recording never saw loaded: its excludes come from the record (record.unused_modules).
    "unused": Trim(lambda: ()),
}


def excludes(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(module for name in names for module in LEVERS[name].excludes())


def runtime_hooks(names: tuple[str, ...]) -> tuple[Path, ...]:
    return tuple(hook for name in names for hook in LEVERS[name].runtime_hooks)

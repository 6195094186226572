"""The levers that would bring an image under its budget: trims not yet on, excludes, each weighed.

Two pure steps. At build time ``levers`` weighs each lever the settings leave unpulled on the breakdown's
entries (what it would leave out: its share of the compressed archive, as the breakdown shares it out) and
says from the record whether it is safe: the modules, files and TLS connections the recorded run used.
They are ordered safe first, largest first, and each saving is counted without what an earlier lever
already leaves out: the savings of the first few add up. At the gate ``advise`` says which of them bring
the image under a limit, one line each: the setting to add, the saving, the resulting size, safe or risk.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from typing import TYPE_CHECKING, Any

from .sizes import format_size
from .trim import KEPT_CODECS

if TYPE_CHECKING:
    from .breakdown import Entry
    from .record import Record

Weigh = Callable[[Sequence["Entry"]], int]  # the share of the image's bytes of some entries
CODE = frozenset({"py", "pyc", "pyi", "so"})  # imported from where they lie: the record sees no data read
# xz's 8 MiB window finds far more in a package's text data (translations repeat the same messages in
# every language, .po beside .mo) than the breakdown's zlib weighing does: Django's *.mo and *.po weighed
# 2.39 MB and took 1.52 MB off the real image. Exclude patterns' savings are scaled by that measured ratio.
TEXT_DATA = 0.65
MIN_SAVING = 50_000  # smaller exclude patterns and packages are not worth a line
SHOWN = 6
# Libraries that make HTTPS calls: loaded, they say the app may open TLS on a request the probes did not make.
TLS_CLIENTS = ("urllib3", "httpx", "httpcore", "aiohttp", "requests", "botocore", "smtplib", "imaplib", "poplib")
# Modules that hash passwords with hashlib.pbkdf2_hmac or scrypt, which only OpenSSL provides.
OPENSSL_HASHERS = ("django.contrib.auth.hashers", "passlib")
TLS_MODULES = frozenset({"ssl", "_ssl", "_hashlib"})
COMPRESSION_MODULES = frozenset({"bz2", "_bz2", "lzma", "_lzma"})


@dataclass(frozen=True)
class Lever:
    """One setting that would shrink the image: ``add "tls" to scratch_image_trim``, and what it saves."""

    setting: str
    saving: int  # bytes of the image, without what the levers before it already leave out
    safe: bool
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"setting": self.setting, "saving": self.saving, "safe": self.safe, "why": self.why}


# --- which entries each lever leaves out -------------------------------------------------------------


def _library(entry: Entry, *stems: str) -> bool:
    return entry.kind == "binary" and entry.group[0] == "library" and entry.group[1] in stems


def tls_entries(entry: Entry) -> bool:
    return (entry.kind in {"module", "binary"} and entry.group[1] in TLS_MODULES) or _library(
        entry, "libssl", "libcrypto"
    )


def codec_entries(entry: Entry) -> bool:
    if entry.kind == "module" and entry.name.startswith("encodings."):
        return entry.name.removeprefix("encodings.") not in KEPT_CODECS
    return entry.kind == "binary" and (entry.group[1].startswith("_codecs_") or entry.group[1] == "_multibytecodec")


def compression_entries(entry: Entry) -> bool:
    return (entry.kind in {"module", "binary"} and entry.group[1] in COMPRESSION_MODULES) or _library(
        entry, "libbz2", "liblzma"
    )


def unused_entries(entry: Entry) -> bool:
    """What the ``unused`` trim leaves out: the modules no recorded run loaded, and the libraries only they need."""
    return entry.kind in {"module", "binary"} and not entry.used


# --- safety by the record ----------------------------------------------------------------------------


def tls_safety(record: Record | None) -> tuple[bool, str]:
    if record is None:
        return False, "not recorded: scratch_image_record is false"
    if record.tls:
        return False, f"a recorded run opened a TLS connection ({', '.join(sorted(record.tls)[:2])})"
    used = record.used()
    clients = [name for name in TLS_CLIENTS if name in used]
    if clients:
        return False, f"no recorded run opened TLS, but {clients[0]} is loaded: a request not probed may call HTTPS"
    hashers = [name for name in OPENSSL_HASHERS if name in used]
    if hashers:
        return False, f"no recorded run opened TLS, but {hashers[0]} is loaded: its pbkdf2_hmac needs OpenSSL"
    return True, "safe by the record: no recorded run opened a TLS connection"


def modules_safety(record: Record | None, left_out: Callable[[str], bool], what: str) -> tuple[bool, str]:
    if record is None:
        return False, "not recorded: scratch_image_record is false"
    used = sorted(name for name in record.used() if left_out(name))
    if used:
        return False, f"the recorded run used {used[0]}"
    return True, f"safe by the record: no recorded run used {what}"


def _left_out_codec(name: str) -> bool:
    codec = name.removeprefix("encodings.")
    return (name.startswith("encodings.") and codec not in KEPT_CODECS) or name.startswith("_codecs_")


# --- the levers --------------------------------------------------------------------------------------


def exclude_patterns(entries: Iterable[Entry]) -> dict[str, list[Entry]]:
    """Data files grouped by package and extension (``django/*.mo``), where no recorded run opened any."""
    groups: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        if entry.kind == "data" and "/" in entry.name and ".dist-info/" not in entry.name:
            suffix = entry.name.rpartition("/")[2].rpartition(".")[2]
            if re.fullmatch(r"[A-Za-z0-9]{1,8}", suffix) and suffix not in CODE:
                groups[f"{entry.name.split('/')[0]}/*.{suffix}"].append(entry)
    return {pattern: group for pattern, group in groups.items() if not any(e.used for e in group)}


def _top(entry: Entry) -> str | None:
    """The installed top-level package an entry belongs to: its modules, extensions and data, and the
    libraries its wheel bundles (``psycopg_binary.libs/libcrypto-3a0647ea.so.3``)."""
    if entry.group[0] == "package":
        return entry.group[1]
    if entry.kind == "binary" and ".libs/" in entry.name:
        return entry.name.partition(".libs/")[0]
    return None


def unimported_packages(entries: Iterable[Entry]) -> dict[str, list[Entry]]:
    """Packages none of whose modules, libraries or files a recorded run used: what a framework's hook took
    in. PyInstaller's Django hook takes every database backend, and so every driver installed beside it:
    psycopg with the OpenSSL of its own that its wheel bundles, redis-py."""
    groups: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        if (top := _top(entry)) is not None:
            groups[top].append(entry)
    return {
        top: group
        for top, group in groups.items()
        if any(e.kind == "module" for e in group) and not any(e.used for e in group)
    }


def _among(group: Iterable[Entry]) -> Callable[[Entry], bool]:
    names = {entry.name for entry in group}
    return lambda entry: entry.name in names


def levers(
    entries: Sequence[Entry],
    weigh: Weigh,
    record: Record | None,
    trim: Iterable[str],
    exclude_files: Iterable[str] = (),
) -> list[Lever]:
    """Every lever the settings leave unpulled, safe first and largest first, each saving counted once."""
    on = set(trim)
    excluded = tuple(exclude_files)
    live = [entry for entry in entries if not any(fnmatch(entry.name, pattern) for pattern in excluded)]
    proposals: list[tuple[str, Callable[[Entry], bool], bool, str]] = []
    if "tls" not in on:
        proposals.append(('add "tls" to scratch_image_trim', tls_entries, *tls_safety(record)))
    if "codecs" not in on:
        safety = modules_safety(record, _left_out_codec, "a codec it leaves out")
        proposals.append(('add "codecs" to scratch_image_trim', codec_entries, *safety))
    if "compression" not in on:
        safety = modules_safety(record, lambda name: name in COMPRESSION_MODULES, "bz2 or lzma")
        proposals.append(('add "compression" to scratch_image_trim', compression_entries, *safety))
    if "unused" not in on and record is not None:
        why = "only what the probes reached was recorded: another request may import more"
        proposals.append(('add "unused" to scratch_image_trim', unused_entries, False, why))
    if record is not None:
        for top, group in unimported_packages(live).items():
            modules = sum(entry.kind == "module" for entry in group)
            why = f"safe by the record: no recorded run imported any of its {modules} modules"
            proposals.append((f'add "{top}" to scratch_image_excludes', _among(group), True, why))
    for pattern, group in exclude_patterns(live).items():
        why = f"safe by the record: no recorded run opened one of its {len(group)} files"
        proposals.append((f'add "{pattern}" to scratch_image_exclude_files', _among(group), True, why))
    return _ordered(live, weigh, proposals)


def _ordered(
    entries: Sequence[Entry], weigh: Weigh, proposals: list[tuple[str, Callable[[Entry], bool], bool, str]]
) -> list[Lever]:
    alone = {setting: weigh([e for e in entries if chosen(e)]) for setting, chosen, _, _ in proposals}
    proposals.sort(key=lambda proposal: (not proposal[2], -alone[proposal[0]]))
    found, gone = [], set()
    for setting, chosen, safe, why in proposals:
        mine = [entry for entry in entries if chosen(entry) and id(entry) not in gone]
        saving = round(weigh(mine) * (TEXT_DATA if setting.endswith("exclude_files") else 1))
        gone |= {id(entry) for entry in mine}
        if saving >= MIN_SAVING or not setting.endswith(("exclude_files", "excludes")):
            found.append(Lever(setting, saving, safe, why))
    return [lever for lever in found if lever.saving > 0]


# --- at the gate -------------------------------------------------------------------------------------


def fitting(levers: Sequence[Lever], measured: int, limit: int) -> int | None:
    """How many of the first levers bring ``measured`` to ``limit`` or under; None when all do not."""
    left = measured
    for count, lever in enumerate(levers, 1):
        left -= lever.saving
        if left <= limit:
            return count
    return None


def advise(levers: Sequence[Lever], measured: int, limit: int) -> list[str]:
    """The lines that follow a breach: the levers that fit it under ``limit``, or all when even they do not."""
    if not levers:
        return []
    count = fitting(levers, measured, limit)
    shown = levers[:count] if count is not None else levers[:SHOWN]
    if count is None:
        total = sum(lever.saving for lever in levers)
        lines = [
            f"  even every lever does not fit it: together they save about {format_size(total)}, "
            f"to {format_size(measured - total)}; raise the budget or leave out more (scratch_image_excludes)"
        ]
    else:
        lines = [f"  the first {count} lever{'s' if count > 1 else ''} fit it (estimated from the breakdown):"]
    left = measured
    for number, lever in enumerate(shown, 1):
        left -= lever.saving
        lines.append(
            f"  {number}. {lever.setting}: -{format_size(lever.saving)} → {format_size(left)}; "
            + ("" if lever.safe else "risk: ")
            + lever.why
        )
    return lines

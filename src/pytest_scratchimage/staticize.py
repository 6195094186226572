"""Staticize: StaticX wraps the frozen binary with its libraries and glibc's loader, so it runs FROM scratch.

StaticX puts the frozen program and every library it needs in one tar, in an ELF section of its
loader, which unpacks it at every start. StaticX compresses that tar with Python's lzma: one xz stream,
one block, one thread, with a CRC32 of the whole. We ask StaticX for the tar stored as it is (its own
``--no-compress`` option) and compress the section ourselves with the filters StaticX would use
(its BCJ filter for this machine, LZMA2 preset 6), in one block per CPU (``xz -T0``) and without the
integrity check: StaticX's loader decodes such streams as well, each start skips the CRC32 of the
16 MB it unpacks (the fixture app: the loader's CPU 0.407 -> 0.363 s), and the build compresses on
every core. The image's layer is held against its sha256 digest by the engine and any registry anyway.
This post-processes StaticX's output through its documented option and ``objcopy --update-section``;
StaticX itself is neither changed nor copied.
"""

from __future__ import annotations

import lzma
import math
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ScratchImageError
from .tools import python_module, run_tool, tool_env

# Whether the archive is xz-compressed, by scratch_image_compression (see freeze.ZLIB_LEVELS).
XZ = {"xz": True, "zlib": True, "zlib-only": False}
SECTION = ".staticx.archive"
STATICX_OPTIONS = ("--strip", "--no-compress")
MAX_BLOCKS = 4
PRESET = 6  # StaticX's: its loader's decoder takes dictionaries up to 8 MiB, preset 6's size
# xz's option for each BCJ filter StaticX may choose (staticx.archive.get_xz_filters)
XZ_OPTIONS = {
    lzma.FILTER_X86: "--x86",
    lzma.FILTER_ARM: "--arm",
    lzma.FILTER_ARMTHUMB: "--armthumb",
    lzma.FILTER_POWERPC: "--powerpc",
    lzma.FILTER_IA64: "--ia64",
    lzma.FILTER_SPARC: "--sparc",
}


def recipe(xz: bool) -> str:
    """What this stage makes of a frozen program, for the build's cache key: a change here rebuilds."""
    compressed = f"xz --check=none, BCJ + LZMA2 preset {PRESET}, up to {MAX_BLOCKS} blocks" if xz else "stored"
    return f"staticx {' '.join(STATICX_OPTIONS)}; {SECTION} {compressed}"


@dataclass(frozen=True)
class Static:
    """StaticX's output, and the tar its loader unpacks at every start (for the breakdown: not decoded again)."""

    binary: Path
    tar: bytes = field(repr=False)


def staticize(frozen: Path, output: Path, xz: bool = True) -> Static:
    """Run StaticX (with strip) on ``frozen``; the log stays in ``staticize.log`` beside ``output``.

    Without ``xz`` the archive stays stored: StaticX's loader has nothing to decode at each start.
    """
    partial = output.with_name(output.name + ".partial")
    command = python_module("staticx", *STATICX_OPTIONS, frozen, partial)
    run_tool("staticize", "StaticX", command, output.with_name("staticize.log"), tool_env())
    tar = staticx_archive(partial)
    if xz:
        packed = output.with_name("archive.xz")
        packed.write_bytes(compress(tar, staticx_filters()))
        update_section(partial, packed)
        packed.unlink()
    partial.chmod(0o755)  # StaticX writes 0700: the image's non-root user must run it
    partial.replace(output)
    return Static(output, tar)


def staticx_archive(binary: Path) -> bytes:
    """The content of StaticX's archive section: its tar, xz-compressed or not."""
    from elftools.elf.elffile import ELFFile

    with binary.open("rb") as stream:
        section = ELFFile(stream).get_section_by_name(SECTION)
        if section is None:
            raise ValueError(f"{binary} has no {SECTION} section: it is not a StaticX binary")
        return bytes(section.data())


def staticx_filters() -> list[dict[str, Any]]:
    """The xz filters StaticX compresses with: its BCJ filter for this machine, then LZMA2."""
    from staticx.archive import get_xz_filters  # type: ignore[import-untyped]

    lzma2 = {"id": lzma.FILTER_LZMA2, "preset": PRESET}
    return [lzma2 if f["id"] == lzma.FILTER_LZMA2 else {"id": f["id"]} for f in get_xz_filters()]


def block_size(size: int, cpus: int) -> int:
    """xz's block size for ``size`` bytes: one block per CPU, each compressed on its own core, at most
    MAX_BLOCKS: each block starts with an empty dictionary (the fixture app's image: +29 KB at 2 blocks,
    +63 KB at 4, +133 KB at 8)."""
    return max(1, math.ceil(size / min(max(1, cpus), MAX_BLOCKS)))


def xz_command(filters: Sequence[Mapping[str, Any]], size: int) -> list[str]:
    """``xz`` compressing stdin to stdout with ``filters``, in blocks of ``size`` bytes, without a check."""
    bcj = [XZ_OPTIONS[f["id"]] for f in filters if f["id"] != lzma.FILTER_LZMA2]
    return ["xz", "--compress", "--stdout", "--quiet", "--threads=0", f"--block-size={size}", "--check=none",
            *bcj, f"--lzma2=preset={PRESET}"]  # fmt: skip


def compress(tar: bytes, filters: Sequence[Mapping[str, Any]]) -> bytes:
    """The tar as an xz stream StaticX's loader decodes: by ``xz`` on every core, else by Python in one block."""
    if shutil.which("xz") is None:
        return lzma.compress(tar, format=lzma.FORMAT_XZ, check=lzma.CHECK_NONE, filters=list(filters))
    command = xz_command(filters, block_size(len(tar), os.cpu_count() or 1))
    done = subprocess.run(command, input=tar, capture_output=True, check=False)
    if done.returncode != 0:
        failure = f"staticize: {' '.join(command)} exited with code {done.returncode}; its output follows"
        raise ScratchImageError(failure, done.stderr.decode(errors="replace"))
    return done.stdout


def update_section(binary: Path, content: Path) -> None:
    """Replace StaticX's archive section with ``content``, as StaticX adds it: with objcopy."""
    command = ["objcopy", "--update-section", f"{SECTION}={content}", str(binary)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ScratchImageError(
            f"staticize: objcopy --update-section exited with code {done.returncode}; install binutils 2.26 or later",
            done.stderr,
        )

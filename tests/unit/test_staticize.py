"""Our xz step after StaticX: the stream its loader decodes, on every core, without the integrity check."""

from __future__ import annotations

import lzma
import os
import platform
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_scratchimage.errors import ScratchImageError
from pytest_scratchimage.staticize import (
    MAX_BLOCKS,
    PRESET,
    block_size,
    compress,
    recipe,
    staticx_filters,
    update_section,
    xz_command,
)

TAR = b"".join(f"line {n} of a tar that is not one\n".encode() for n in range(40_000))
X86 = [{"id": lzma.FILTER_X86}, {"id": lzma.FILTER_LZMA2, "preset": PRESET}]


def stream_check(stream: bytes) -> int:
    """The check type an xz stream's header declares (0: none, 1: CRC32)."""
    assert stream.startswith(b"\xfd7zXZ\x00")
    return stream[7] & 0x0F


def xz_blocks(stream: bytes, tmp_path: Path) -> int:
    path = tmp_path / "stream.xz"
    path.write_bytes(stream)
    listing = subprocess.run(["xz", "--robot", "--list", str(path)], capture_output=True, text=True, check=True)
    return int(next(line for line in listing.stdout.splitlines() if line.startswith("file")).split("\t")[2])


@pytest.mark.parametrize(("cpus", "expected"), [(1, 1000), (2, 500), (3, 334), (MAX_BLOCKS, 250), (64, 250), (0, 1000)])
def test_one_block_per_cpu_up_to_a_few(cpus: int, expected: int) -> None:
    assert MAX_BLOCKS == 4
    assert block_size(1000, cpus) == expected


def test_the_xz_command_has_staticx_filters_no_check_and_every_core() -> None:
    command = xz_command(X86, 4096)
    assert command[0] == "xz"
    assert {"--compress", "--stdout", "--threads=0", "--block-size=4096", "--check=none", "--x86"} <= set(command)
    assert command[-1] == "--lzma2=preset=6"


@pytest.mark.skipif(platform.machine() != "x86_64", reason="StaticX's filters differ by machine")
def test_staticx_filters_on_this_machine_are_bcj_then_lzma2_at_its_preset() -> None:
    assert staticx_filters() == X86


@pytest.mark.skipif(shutil.which("xz") is None, reason="xz (xz-utils) is not installed")
def test_xz_compresses_in_blocks_without_a_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    stream = compress(TAR, X86)
    assert lzma.decompress(stream) == TAR
    assert stream_check(stream) == 0
    assert xz_blocks(stream, tmp_path) == 2


def test_without_xz_python_compresses_in_one_block_without_a_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    stream = compress(TAR, X86)
    assert lzma.decompress(stream) == TAR
    assert stream_check(stream) == 0
    assert stream_check(lzma.compress(b"", check=lzma.CHECK_CRC32)) == 1  # what StaticX writes


def test_an_objcopy_failure_is_one_line_naming_the_stage(tmp_path: Path) -> None:
    (tmp_path / "app").write_bytes(b"not an ELF file")
    (tmp_path / "archive.xz").write_bytes(b"")
    with pytest.raises(ScratchImageError) as failure:
        update_section(tmp_path / "app", tmp_path / "archive.xz")
    assert failure.value.headline.startswith("staticize: objcopy --update-section exited with code 1;")


def test_the_recipe_for_the_cache_key_says_how_the_archive_is_packed() -> None:
    assert recipe(xz=True) == (
        "staticx --strip --no-compress; .staticx.archive xz --check=none, BCJ + LZMA2 preset 6, up to 4 blocks"
    )
    assert recipe(xz=False) == "staticx --strip --no-compress; .staticx.archive stored"

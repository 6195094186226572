"""Make collected binaries acceptable to StaticX, which refuses any DT_RUNPATH (StaticX issue 188).

Interpreters built by pyenv (and many others) give libpython and every extension module a RUNPATH
that points at the build's own lib folder. StaticX supplies every library itself, so such a path
is useless in the image; ``$ORIGIN``-relative entries still matter (wheels' ``.libs`` folders) and
are kept as DT_RPATH, which StaticX accepts. The interpreter's files are never touched: copies are.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile

TocEntry = tuple[str, str, str]


def read_runpath(path: Path) -> str | None:
    """The DT_RUNPATH of an ELF file, or None when it has none or is no ELF file."""
    try:
        with path.open("rb") as stream:
            for section in ELFFile(stream).iter_sections():
                if isinstance(section, DynamicSection):
                    for tag in section.iter_tags("DT_RUNPATH"):
                        return str(tag.runpath)  # type: ignore[attr-defined]  # set per tag kind
    except (ELFError, OSError):
        return None
    return None


def portable_rpath(runpath: str) -> str:
    """Keep the entries relative to the binary itself; drop absolute ones, which mean the build host."""
    return ":".join(entry for entry in runpath.split(":") if entry.startswith("$ORIGIN"))


def patched_copy(source: Path, runpath: str, into: Path) -> Path:
    """A copy of ``source`` without RUNPATH, in a folder named by the source's path (names collide)."""
    folder = into / hashlib.sha256(str(source).encode()).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / source.name
    shutil.copy2(source, copy)
    copy.chmod(0o755)
    rpath = portable_rpath(runpath)
    command = ["patchelf", "--force-rpath", "--set-rpath", rpath] if rpath else ["patchelf", "--remove-rpath"]
    subprocess.run([*command, str(copy)], check=True, capture_output=True)
    return copy


def portable_binaries(toc: Iterable[TocEntry], into: str | Path) -> list[TocEntry]:
    """A PyInstaller TOC with every binary that has a RUNPATH replaced by a patched copy."""
    result = []
    for name, source, typecode in toc:
        runpath = read_runpath(Path(source)) if typecode in {"BINARY", "EXTENSION"} else None
        if runpath is not None:
            source = str(patched_copy(Path(source), runpath, Path(into)))
        result.append((name, source, typecode))
    return result

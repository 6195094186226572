"""What the image's bytes are: read from StaticX's archive and PyInstaller's archives inside the binary.

The binary is StaticX's loader followed by one tar (xz-compressed unless the build says otherwise)
of the frozen program and the libraries it needs (glibc among them). Inside the program, PyInstaller's
archive lists every entry, and its PYZ every Python module. xz compresses the whole at once, so no entry
has a compressed size of its own: each group of entries is compressed alone to weigh it, and the weights
share out the archive's real compressed size. Bytes are therefore estimates; they add up to the binary's
size. A stored tar needs no estimate: each group weighs what it stores.
"""

from __future__ import annotations

import io
import lzma
import re
import sys
import tarfile
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .sizes import format_size

STATICX_SECTION = ".staticx.archive"
XZ_MAGIC = b"\xfd7zXZ\x00"


@dataclass(frozen=True)
class Contributor:
    """A part of the image and its bytes: ``libpython 1.28 MB``."""

    kind: str  # "package", "stdlib", "library" (collected by PyInstaller), "staticx" (added by StaticX), "loader"
    name: str
    bytes: int

    def __str__(self) -> str:
        return f"{self.name} {format_size(self.bytes)}"


def staticx_archive(binary: Path) -> bytes:
    from elftools.elf.elffile import ELFFile

    with binary.open("rb") as stream:
        section = ELFFile(stream).get_section_by_name(STATICX_SECTION)
        if section is None:
            raise ValueError(f"{binary} has no {STATICX_SECTION} section: it is not a StaticX binary")
        return bytes(section.data())


def module_group(module: str) -> tuple[str, str]:
    """``falcon.app`` → ("package", "falcon"); ``email.parser`` → ("stdlib", "email")."""
    top = module.split(".")[0]
    return ("stdlib" if top in sys.stdlib_module_names else "package"), top


def entry_group(name: str, typecode: str) -> tuple[str, str]:
    """The group of one entry of PyInstaller's archive, by its name and type."""
    filename = name.rsplit("/", 1)[-1]
    if "lib-dynload/" in name:
        return "stdlib", filename.split(".")[0]
    if name == "base_library.zip":
        return "stdlib", "base_library.zip"
    if filename.startswith("libpython"):
        return "library", "libpython"
    if ".cpython-" in filename or filename.endswith(".abi3.so"):
        return module_group(name.replace("/", ".").split(".cpython-")[0])
    if typecode in {"b", "x"} or ".so" in filename:
        return "library", re.sub(r"\.so(\.\d+)*$", "", filename)
    if ".dist-info/" in name or ".egg-info/" in name:
        return "package", re.split(r"-\d", name.split("/")[0])[0].lower().replace("-", "_")
    if typecode in {"s", "m", "M"}:
        return "loader", "PyInstaller bootstrap"
    return module_group(name.replace("/", "."))


def frozen_groups(frozen: Path) -> Iterator[tuple[tuple[str, str], bytes]]:
    """(group, stored bytes) for the bootloader and every entry of a PyInstaller onefile."""
    from PyInstaller.archive.readers import CArchiveReader

    archive = CArchiveReader(str(frozen))
    data = frozen.read_bytes()
    start = len(data) - len(archive.raw_pkg_data())  # the archive ends the file; the bootloader precedes it
    yield ("loader", "PyInstaller bootloader"), data[:start]
    for name, (offset, length, _, _, typecode) in archive.toc.items():
        if typecode == "z":
            pyz = archive.open_embedded_archive(name)
            for module, (_, module_offset, module_length) in pyz.toc.items():
                base = start + offset + module_offset
                yield module_group(module), data[base : base + module_length]
        else:
            yield entry_group(name, typecode), data[start + offset : start + offset + length]


def breakdown(binary: Path, frozen: Path) -> list[Contributor]:
    """Contributors to ``binary`` (StaticX output of ``frozen``), largest first."""
    payload = staticx_archive(binary)
    groups: dict[tuple[str, str], list[bytes]] = defaultdict(list)
    xz = payload.startswith(XZ_MAGIC)
    with tarfile.open(fileobj=io.BytesIO(lzma.decompress(payload) if xz else payload), mode="r:") as tar:
        for member in tar:
            stream = tar.extractfile(member) if member.isfile() else None
            if stream is None or member.name.endswith(frozen.name):
                continue
            groups[("staticx", re.sub(r"\.so(\.\d+)*$", "", member.name.rsplit("/", 1)[-1]))].append(stream.read())
    for group, chunk in frozen_groups(frozen):
        groups[group].append(chunk)
    # zlib weighs ten times faster than xz, and only the ratios between groups are used
    weigh = (lambda data: len(zlib.compress(data, 6))) if xz else len
    weights = {group: weigh(b"".join(chunks)) for group, chunks in groups.items()}
    scale = len(payload) / sum(weights.values())
    contributors = [Contributor(kind, name, round(w * scale)) for (kind, name), w in weights.items()]
    contributors.append(Contributor("loader", "StaticX loader", binary.stat().st_size - len(payload)))
    return sorted(contributors, key=lambda c: c.bytes, reverse=True)

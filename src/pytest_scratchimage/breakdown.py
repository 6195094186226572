"""What the image's bytes are: read from StaticX's archive and PyInstaller's archives inside the binary.

The binary is StaticX's loader followed by one tar (xz-compressed unless the build says otherwise)
of the frozen program and the libraries it needs (glibc among them). Inside the program, PyInstaller's
archive lists every entry, and its PYZ every Python module. xz compresses the whole at once, so no entry
has a compressed size of its own: each group of entries is compressed alone to weigh it, and the weights
share out the archive's real compressed size. Bytes are therefore estimates; they add up to the binary's
size. A stored tar needs no estimate: each group weighs what it stores. ``unpacked`` is exact: the bytes
a group takes in the tar, which StaticX decodes and writes out at every start.

Given the record of the app's run on the host, each entry is used or not: a module the app loaded, an
extension module it imported and the libraries those need, a data file it read. ``unused`` is the share
of a group's bytes that no recorded run used: dead weight, estimated the same way.
"""

from __future__ import annotations

import io
import lzma
import re
import sys
import tarfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .sizes import format_size
from .staticize import staticx_archive

if TYPE_CHECKING:
    from .record import Needs, Record

XZ_MAGIC = b"\xfd7zXZ\x00"
EXTENSION = re.compile(r"\.(?:cpython-[^./]+|abi3)\.so$")  # what ends an extension module's file name
Group = tuple[str, str]


@dataclass(frozen=True)
class Contributor:
    """A part of the image and its bytes: ``libpython 1.28 MB``."""

    kind: str  # "package", "stdlib", "library" (collected by PyInstaller), "staticx" (added by StaticX), "loader"
    name: str
    bytes: int  # its share of the image
    unpacked: int = 0  # what it takes in StaticX's archive: what every start decodes and writes out
    unused: int = 0  # the share of ``bytes`` that no recorded run used

    def __str__(self) -> str:
        return f"{self.name} {format_size(self.bytes)}"


@dataclass(frozen=True)
class Entry:
    """One stored piece of the binary, as the breakdown weighs it."""

    group: Group
    data: bytes
    used: bool = True
    name: str = ""  # the module, or the entry's path in the archive
    kind: str = ""  # "module", "binary" (an extension module or a library), "data"; "" for the rest


def module_group(module: str) -> Group:
    """``falcon.app`` → ("package", "falcon"); ``email.parser`` → ("stdlib", "email")."""
    top = module.split(".")[0]
    return ("stdlib" if top in sys.stdlib_module_names else "package"), top


def entry_group(name: str, typecode: str) -> Group:
    """The group of one entry of PyInstaller's archive, by its name and type."""
    filename = name.rpartition("/")[2]
    if name == "base_library.zip":
        return "stdlib", "base_library.zip"
    if filename.startswith("libpython"):
        return "library", "libpython"
    if _is_extension(name):
        return module_group(extension_module(name))
    if ".dist-info/" in name or ".egg-info/" in name:
        return "package", distribution(name)
    if typecode == "x":  # a data file goes with the package that holds it
        return module_group(name.split("/")[0])
    if typecode == "b":
        return "library", re.sub(r"\.so(\.\d+)*$", "", filename)
    if typecode in {"s", "m", "M"}:
        return "loader", "PyInstaller bootstrap"
    return module_group(name)


def extension_module(name: str) -> str:
    """The module an extension entry is: ``lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so`` → ``_ssl``."""
    stem = EXTENSION.split(name)[0]
    return stem.rpartition("/")[2] if "lib-dynload/" in name else stem.replace("/", ".")


def distribution(name: str) -> str:
    """The distribution whose metadata ``name`` is: ``Flask_Login-0.6.3.dist-info/RECORD`` → ``flask_login``.

    An egg-info folder made by ``setup.py develop`` has no version: ``my-pkg.egg-info/PKG-INFO`` → ``my_pkg``.
    """
    folder = name.partition("/")[0]
    return re.split(r"-\d|\.(?:dist|egg)-info$", folder)[0].lower().replace("-", "_")


class Usage:
    """Which entries of the frozen archive the app used on the host; without a record, every one."""

    def __init__(self, recorded: Record | None = None, learnt: Needs | None = None) -> None:
        self.recorded = recorded
        self.modules = (recorded.used() | recorded.started) if recorded else set()
        datas = learnt.datas if learnt else ()
        self.files = {f"{dest}/{Path(source).name}".removeprefix("./") for source, dest in datas}
        self.metadata = {name.lower().replace("-", "_") for name in (learnt.metadata if learnt else ())}

    def module(self, name: str) -> bool:
        return self.recorded is None or name in self.modules

    def data(self, name: str) -> bool:
        """A data file the record asked for, alone or in a folder; metadata of a distribution it read."""
        if self.recorded is None:
            return True
        if ".dist-info/" in name or ".egg-info/" in name:
            return distribution(name) in self.metadata
        return name in self.files or any(name.startswith(folder + "/") for folder in self.files)

    def libraries(self, binaries: dict[str, bytes]) -> set[str]:
        """The shared libraries that libpython, a used extension module or another used library needs."""
        if self.recorded is None:
            return set(binaries)
        by_file = {name.rpartition("/")[2]: name for name in binaries}
        live = [name for name in binaries if "libpython" in name or self._used_extension(name)]
        seen = set(live)
        while live:
            for needed in _needed(binaries[live.pop()]):
                if needed in by_file and by_file[needed] not in seen:
                    seen.add(by_file[needed])
                    live.append(by_file[needed])
        return seen

    def _used_extension(self, name: str) -> bool:
        return _is_extension(name) and self.module(extension_module(name))


def _is_extension(name: str) -> bool:
    return EXTENSION.search(name) is not None


def _needed(elf: bytes) -> list[str]:
    """The libraries an ELF file names as DT_NEEDED."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile

    try:
        sections = list(ELFFile(io.BytesIO(elf)).iter_sections())
    except ELFError:
        return []
    return [
        str(tag.needed)  # type: ignore[attr-defined]  # set per tag kind
        for section in sections
        if isinstance(section, DynamicSection)
        for tag in section.iter_tags("DT_NEEDED")
    ]


def frozen_entries(frozen: Path, usage: Usage) -> Iterator[Entry]:
    """The bootloader and every entry of a PyInstaller onefile, as stored, each used or not."""
    from PyInstaller.archive.readers import CArchiveReader

    archive = CArchiveReader(str(frozen))
    data = frozen.read_bytes()
    start = archive_offset(data, archive.raw_pkg_data())
    yield Entry(("loader", "PyInstaller bootloader"), data[:start])
    live = usage.libraries({name: archive.extract(name) for name, toc in archive.toc.items() if toc[4] == "b"})
    for name, (offset, length, _, _, typecode) in archive.toc.items():
        stored = data[start + offset : start + offset + length]
        if typecode == "z":
            pyz = archive.open_embedded_archive(name)
            for module, (_, module_offset, module_length) in pyz.toc.items():
                base = start + offset + module_offset
                chunk = data[base : base + module_length]
                yield Entry(module_group(module), chunk, usage.module(module), module, "module")
        elif typecode == "b":
            yield Entry(entry_group(name, typecode), stored, name in live, name, "binary")
        elif typecode == "x" and name != "base_library.zip":  # the base library starts every frozen app
            yield Entry(entry_group(name, typecode), stored, usage.data(name), name, "data")
        else:
            yield Entry(entry_group(name, typecode), stored, name=name)


def archive_offset(data: bytes, archive: bytes) -> int:
    """Where PyInstaller's archive starts in its onefile ``data``: what precedes it is the bootloader.

    The archive need not end the file: on Linux PyInstaller 6 adds it as an ELF section, and the
    section-header table follows it.
    """
    return data.find(archive)  # found: the reader read it from this very file


def staticx_entries(tar_bytes: bytes, frozen_name: str) -> Iterator[Entry]:
    """The libraries StaticX added (glibc, its loader): all of them needed by whatever runs."""
    with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:") as tar:
        for member in tar:
            stream = tar.extractfile(member) if member.isfile() else None
            if stream is not None and not member.name.endswith(frozen_name):
                group = ("staticx", re.sub(r"\.so(\.\d+)*$", "", member.name.rpartition("/")[2]))
                yield Entry(group, stream.read(), name=member.name)


@dataclass(frozen=True)
class Analysis:
    """The breakdown, with the entries it weighed and how: what the advisor weighs its levers with."""

    contributors: list[Contributor]
    entries: list[Entry]
    weigh: Callable[[Sequence[Entry]], int]  # the share of the image's bytes of some entries


def breakdown(
    binary: Path,
    frozen: Path,
    recorded: Record | None = None,
    learnt: Needs | None = None,
    tar: bytes | None = None,
) -> list[Contributor]:
    """Contributors to ``binary`` (StaticX output of ``frozen``), largest first.

    ``tar`` is StaticX's archive uncompressed, when the build has it at hand: it is not decoded again.
    """
    return analyse(binary, frozen, recorded, learnt, tar).contributors


def analyse(
    binary: Path,
    frozen: Path,
    recorded: Record | None = None,
    learnt: Needs | None = None,
    tar: bytes | None = None,
) -> Analysis:
    """The breakdown of ``binary``, and its entries with the weighing that shares out the archive's bytes."""
    payload = staticx_archive(binary)
    xz = payload.startswith(XZ_MAGIC)
    if tar is None:
        tar = lzma.decompress(payload) if xz else payload
    entries = [*staticx_entries(tar, frozen.name), *frozen_entries(frozen, Usage(recorded, learnt))]
    groups: dict[Group, list[Entry]] = defaultdict(list)
    for entry in entries:
        groups[entry.group].append(entry)
    # Only the ratios between groups are used: zlib at level 1 weighs 25 times faster than xz, and shares out
    # the fixture app's archive as closely as level 6 does (2.6 % of its bytes misplaced, against 2.5 %).
    weigh: Callable[[bytes], int] = (lambda data: len(zlib.compress(data, 1))) if xz else len
    weights = {group: weigh(b"".join(e.data for e in entries)) for group, entries in groups.items()}
    scale = len(payload) / sum(weights.values())
    contributors = []
    for (kind, name), members in groups.items():
        unused = b"".join(e.data for e in members if not e.used)
        share = round(weights[(kind, name)] * scale)
        dead = min(share, round(weigh(unused) * scale)) if unused else 0
        contributors.append(Contributor(kind, name, share, sum(len(e.data) for e in members), dead))
    loader = binary.stat().st_size - len(payload)
    contributors.append(Contributor("loader", "StaticX loader", loader, loader))

    def weighed(some: Sequence[Entry]) -> int:
        return round(weigh(b"".join(e.data for e in some)) * scale) if some else 0

    return Analysis(sorted(contributors, key=lambda c: c.bytes, reverse=True), entries, weighed)

"""The breakdown's readers on small archives made by StaticX's and PyInstaller's own writers.

A onefile is PyInstaller's bootloader with a CArchive (a PYZ inside it) added as an ELF section, as
PyInstaller 6 makes one on Linux; a StaticX binary is StaticX's bootloader with its tar, xz-compressed or
stored, added the same way.
"""

from __future__ import annotations

import dataclasses
import io
import marshal
import os
import shutil
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

from pytest_scratchimage.breakdown import Contributor, Entry, Usage, analyse, breakdown
from pytest_scratchimage.breakdown import frozen_entries as read_frozen
from pytest_scratchimage.record import Needs, Record
from pytest_scratchimage.staticize import SECTION

MODULES = {"falcon": "__init__.py", "falcon.app": "app.py", "json": "__init__.py"}
DATA = {"demo/data.txt": b"some data\n" * 200, "demo/unread.txt": b"never read\n" * 50}
LIBRARIES = {"libz.so.1": b"zlib bytes " * 300, "libmpdec.so.3": b"mpdec bytes " * 200}
BASE_LIBRARY = b"PK base library " * 40


def pyinstaller_run() -> Path:
    """PyInstaller's bootloader: an ELF file that names libz.so.1 (among others) as DT_NEEDED."""
    import PyInstaller

    return Path(PyInstaller.__file__).parent / "bootloader" / str(PyInstaller.PLATFORM) / "run"


def add_section(binary: Path, name: str, content: Path) -> None:
    if shutil.which("objcopy") is None:
        pytest.skip("objcopy (binutils) is not installed: PyInstaller and StaticX need it too")
    subprocess.run(["objcopy", "--add-section", f"{name}={content}", str(binary)], check=True)


def write_pyz(path: Path, folder: Path) -> None:
    from PyInstaller.archive.writers import ZlibArchiveWriter

    entries, code = [], {}
    for module, filename in MODULES.items():
        entries.append((module, str(folder / filename), "PYMODULE"))
        code[module] = compile(f"NAME = {module!r}\n", filename, "exec")
    ZlibArchiveWriter(str(path), entries, code)


@pytest.fixture(scope="module")
def onefile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A onefile: the bootstrap script, a PYZ, libpython and two libraries, the base library, two data files."""
    from PyInstaller.archive.writers import CArchiveWriter

    folder = tmp_path_factory.mktemp("onefile")
    (folder / "bootstrap.py").write_text("import sys\n")
    write_pyz(folder / "PYZ.pyz", folder)
    files = {"libpython3.11.so.1.0": pyinstaller_run().read_bytes(), **LIBRARIES, "base_library.zip": BASE_LIBRARY}
    for name, content in (files | DATA).items():
        (folder / name.replace("/", "_")).write_bytes(content)
    entries = [
        ("pyiboot01_bootstrap", str(folder / "bootstrap.py"), True, "s"),
        ("PYZ.pyz", str(folder / "PYZ.pyz"), False, "z"),
        *((name, str(folder / name), True, "b") for name in ("libpython3.11.so.1.0", *LIBRARIES)),
        ("base_library.zip", str(folder / "base_library.zip"), False, "x"),
        *((name, str(folder / name.replace("/", "_")), False, "x") for name in DATA),
    ]
    CArchiveWriter(str(folder / "archive"), entries, "libpython3.11.so.1.0")
    binary = folder / "app"
    shutil.copyfile(pyinstaller_run(), binary)
    add_section(binary, "pydata", folder / "archive")
    return binary


def facts(entries: list[Entry]) -> list[tuple[str, tuple[str, str], str, bool]]:
    return [(entry.name, entry.group, entry.kind, entry.used) for entry in entries]


def test_each_entry_and_module_is_read_where_the_archives_hold_it(onefile: Path) -> None:
    """The section-header table follows PyInstaller's archive: it does not end the file."""
    loader, *stored = read_frozen(onefile, Usage())
    assert loader == Entry(("loader", "PyInstaller bootloader"), onefile.read_bytes()[: len(loader.data)])
    assert onefile.read_bytes()[len(loader.data) :].startswith(onefile.with_name("archive").read_bytes())
    assert facts(stored) == [
        ("pyiboot01_bootstrap", ("loader", "PyInstaller bootstrap"), "", True),
        ("falcon", ("package", "falcon"), "module", True),
        ("falcon.app", ("package", "falcon"), "module", True),
        ("json", ("stdlib", "json"), "module", True),
        ("libpython3.11.so.1.0", ("library", "libpython"), "binary", True),
        ("libz.so.1", ("library", "libz"), "binary", True),
        ("libmpdec.so.3", ("library", "libmpdec"), "binary", True),
        ("base_library.zip", ("stdlib", "base_library.zip"), "", True),
        ("demo/data.txt", ("package", "demo"), "data", True),
        ("demo/unread.txt", ("package", "demo"), "data", True),
    ]
    bootstrap, *modules = stored[:4]
    assert marshal.loads(zlib.decompress(bootstrap.data)).co_filename == "pyiboot01_bootstrap.py"
    for module in modules:  # each module as the PYZ stores it: its code, compressed alone
        assert marshal.loads(zlib.decompress(module.data)).co_consts[0] == module.name
    libraries = [pyinstaller_run().read_bytes(), *LIBRARIES.values()]
    assert [zlib.decompress(entry.data) for entry in stored[4:7]] == libraries
    assert all(len(entry.data) < len(zlib.decompress(entry.data)) for entry in stored[4:7])  # as stored: compressed
    assert [entry.data for entry in stored[7:]] == [BASE_LIBRARY, *DATA.values()]


def test_a_record_says_which_entries_the_app_used(onefile: Path) -> None:
    """The base library and the bootstrap are used by every start; libz because libpython names it."""
    usage = Usage(Record(modules={"falcon": "", "falcon.app": ""}), Needs(datas=(("/src/demo/data.txt", "demo"),)))
    used = {entry.name: entry.used for entry in read_frozen(onefile, usage)}
    assert used == {
        "": True,
        "pyiboot01_bootstrap": True,
        "falcon": True,
        "falcon.app": True,
        "json": False,
        "libpython3.11.so.1.0": True,
        "libz.so.1": True,
        "libmpdec.so.3": False,
        "base_library.zip": True,
        "demo/data.txt": True,
        "demo/unread.txt": False,
    }


def staticx_tar(frozen: Path, libraries: dict[str, bytes], xz: bool) -> bytes:
    """StaticX's archive as StaticX writes it: the program, its link, the libraries, the interpreter's link."""
    from staticx.archive import SxArchive  # type: ignore[import-untyped]

    stream = io.BytesIO()
    with SxArchive(stream, "w", compress=xz) as archive:
        archive.add_program(str(frozen), frozen.name)
        for name, content in libraries.items():
            with tempfile.TemporaryFile() as file:  # as StaticX adds a library: a patched copy of it
                file.write(content)
                file.seek(0)
                archive.add_fileobj(name, file)
        archive.add_interp_symlink("/lib64/ld-linux-x86-64.so.2")
    return stream.getvalue()


GLIBC = {"libc.so.6": os.urandom(20_000), "ld-linux-x86-64.so.2": b"\0" * 20_000}


def archive_of(binary: Path) -> Path:
    return binary.with_name("archive")


def is_xz(binary: Path) -> bool:
    return archive_of(binary).read_bytes().startswith(b"\xfd7zXZ\x00")


def staticx_binary(folder: Path, frozen: Path, xz: bool) -> Path:
    from staticx.assets import locate_asset  # type: ignore[import-untyped]

    archive, binary = folder / "archive", folder / "app"
    archive.write_bytes(staticx_tar(frozen, GLIBC, xz))
    with locate_asset("bootloader", debug=False) as loader:
        binary.write_bytes(loader.read())
    add_section(binary, SECTION, archive)
    return binary


@pytest.fixture(scope="module", params=[True, False], ids=["xz", "stored"])
def staticx(request: pytest.FixtureRequest, onefile: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The onefile as StaticX makes it: xz-compressed (its default) or stored."""
    return staticx_binary(tmp_path_factory.mktemp("staticx"), onefile, request.param)


def test_staticx_adds_its_libraries_but_neither_the_program_nor_links(onefile: Path) -> None:
    from pytest_scratchimage.breakdown import staticx_entries

    tar = staticx_tar(onefile, {"lib/libc.so.6": b"libc", "libnss_dns.so.2": b"nss"}, xz=False)
    assert list(staticx_entries(tar, onefile.name)) == [
        Entry(("staticx", "libc"), b"libc", name="lib/libc.so.6"),
        Entry(("staticx", "libnss_dns"), b"nss", name="libnss_dns.so.2"),
    ]
    assert list(staticx_entries(staticx_tar(onefile, {}, xz=False), onefile.name)) == []


def test_the_groups_share_out_the_whole_binary_largest_first(staticx: Path, onefile: Path) -> None:
    contributors = breakdown(staticx, onefile)
    assert [c.bytes for c in contributors] == sorted((c.bytes for c in contributors), reverse=True)
    assert abs(sum(c.bytes for c in contributors) - staticx.stat().st_size) <= len(contributors)  # each rounded
    loader = staticx.stat().st_size - len(archive_of(staticx).read_bytes())  # what precedes its archive's section
    assert Contributor("loader", "StaticX loader", loader, loader) in contributors


def test_stored_each_group_weighs_what_it_stores_compressed_what_it_compresses_to(staticx: Path, onefile: Path) -> None:
    """20,000 random bytes against as many zeros: alike stored, 50 times heavier compressed."""
    shares = {c.name: c for c in breakdown(staticx, onefile)}
    assert shares["libc"].unpacked == shares["ld-linux-x86-64"].unpacked == 20_000
    ratio = shares["libc"].bytes / shares["ld-linux-x86-64"].bytes
    assert ratio > 50 if is_xz(staticx) else 0.99 < ratio < 1.01


def test_the_share_no_run_used(staticx: Path, onefile: Path) -> None:
    record = Record(modules={"falcon": ""})
    contributors = {c.name: c for c in breakdown(staticx, onefile, record, Needs(datas=(("data.txt", "demo"),)))}
    assert contributors["json"].unused == contributors["json"].bytes > 0  # none of it used
    assert contributors["libmpdec"].unused == contributors["libmpdec"].bytes > 0
    assert contributors["libz"].unused == contributors["libpython"].unused == contributors["libc"].unused == 0
    assert 0 < contributors["falcon"].unused < contributors["falcon"].bytes  # falcon.app was not loaded
    assert 0 < contributors["demo"].unused < contributors["demo"].bytes  # demo/unread.txt was not read
    assert all(c.unused == 0 for c in breakdown(staticx, onefile))  # without a record, all of it


def test_the_analysis_weighs_any_entries_as_it_weighed_the_groups(staticx: Path, onefile: Path) -> None:
    analysis = analyse(staticx, onefile)
    shares = {(c.kind, c.name): c.bytes for c in analysis.contributors}
    for group in (("package", "demo"), ("library", "libz"), ("staticx", "libc")):
        assert analysis.weigh([e for e in analysis.entries if e.group == group]) == shares[group]
    assert analysis.weigh([]) == 0


def test_the_tar_at_hand_is_read_instead_of_the_binarys(staticx: Path, onefile: Path) -> None:
    tar = staticx_tar(onefile, {"libother.so.1": b"other"}, xz=False)
    names = {c.name for c in breakdown(staticx, onefile, tar=tar)}
    assert "libother" in names
    assert "libc" not in names


def test_the_breakdown_is_made_of_values(staticx: Path, onefile: Path) -> None:
    """Contributors and entries can be kept in sets; nothing changes an analysis once made."""
    analysis = analyse(staticx, onefile)
    assert len({*analysis.contributors, *analysis.entries}) == len(analysis.contributors) + len(analysis.entries)
    with pytest.raises(dataclasses.FrozenInstanceError):
        analysis.entries = []  # type: ignore[misc]

"""The PyInstaller spec file: valid Python whose Analysis asks for exactly what the settings say."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from pytest_scratchimage.freeze import (
    COMPILE_ENV,
    ZLIB_LEVELS,
    FreezeSpec,
    bootloader_libraries,
    ldd_paths,
    without_bootloader_libraries,
)
from pytest_scratchimage.launcher import GUNICORN_HIDDEN_IMPORTS
from pytest_scratchimage.schema import COMPRESSIONS
from pytest_scratchimage.staticize import XZ


@pytest.fixture
def spec(tmp_path: Path) -> FreezeSpec:
    return FreezeSpec(
        app="random_api:app",
        launcher=tmp_path / "launcher.py",
        pathex=(tmp_path / "app", tmp_path / "lib"),
        hidden_imports=("falcon.app", "gunicorn.glogging"),
        excludes=("tkinter", "unittest"),
        collect_data=("certifi",),
        copy_metadata=("falcon",),
    )


def _call_keywords(source: str, function: str) -> dict[str, Any]:
    """The literal keyword arguments of the one call of ``function`` in ``source``."""
    calls = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == function
    ]
    assert len(calls) == 1, f"{function} is called {len(calls)} times"
    return {
        k.arg: ast.literal_eval(k.value)
        for k in calls[0].keywords
        if k.arg and isinstance(k.value, ast.Constant | ast.List)
    }


def test_render_is_valid_python(spec: FreezeSpec, tmp_path: Path) -> None:
    compile(spec.render(tmp_path / "work"), "app.spec", "exec")


def test_analysis_has_the_gunicorn_and_configured_hidden_imports(spec: FreezeSpec, tmp_path: Path) -> None:
    analysis = _call_keywords(spec.render(tmp_path), "Analysis")
    assert analysis["hiddenimports"] == sorted({*GUNICORN_HIDDEN_IMPORTS, "falcon.app"})
    assert set(GUNICORN_HIDDEN_IMPORTS) <= set(analysis["hiddenimports"])


def test_analysis_settings(spec: FreezeSpec, tmp_path: Path) -> None:
    analysis = _call_keywords(spec.render(tmp_path), "Analysis")
    assert analysis["excludes"] == ["tkinter", "unittest"]
    assert analysis["pathex"] == [str(tmp_path / "app"), str(tmp_path / "lib")]
    assert analysis["optimize"] == 2


def test_the_launcher_is_the_script(spec: FreezeSpec, tmp_path: Path) -> None:
    tree = ast.parse(spec.render(tmp_path))
    analysis = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func) == "Analysis")
    assert ast.literal_eval(analysis.args[0]) == [str(tmp_path / "launcher.py")]


def test_exe_is_stripped_onefile_without_upx(spec: FreezeSpec, tmp_path: Path) -> None:
    exe = _call_keywords(spec.render(tmp_path), "EXE")
    assert exe == {"name": "app", "strip": True, "upx": False, "console": True}


def test_binaries_and_dependencies_pass_through_portable_binaries(spec: FreezeSpec, tmp_path: Path) -> None:
    source = spec.render(tmp_path / "work")
    patched = repr(str(tmp_path / "work" / "patched"))
    assert "from pytest_scratchimage.runpath import portable_binaries\n" in source
    assert "from pytest_scratchimage.freeze import without_bootloader_libraries\n" in source
    assert f"a.binaries = portable_binaries(without_bootloader_libraries(kept(a.binaries)), {patched})\n" in source
    dependencies = "pyz.dependencies = portable_binaries(without_bootloader_libraries(pyz.dependencies), "
    assert f"{dependencies}{patched})\n" in source


def test_the_compile_environment_is_in_the_spec_so_in_the_cache_key(spec: FreezeSpec, tmp_path: Path) -> None:
    assert COMPILE_ENV == {"PYTHONNODEBUGRANGES": "1"}
    header = spec.render(tmp_path).splitlines()[1]
    assert header == "# PyInstaller compiles the modules with {'PYTHONNODEBUGRANGES': '1'} (freeze.COMPILE_ENV)."


def test_ldd_paths_are_read_by_library_name() -> None:
    output = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x00007f47a8f34000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f47a8d4d000)
\tlibgone.so.2 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f47a8f6c000)
"""
    assert ldd_paths(output) == {
        "libz.so.1": Path("/lib/x86_64-linux-gnu/libz.so.1"),
        "libc.so.6": Path("/lib/x86_64-linux-gnu/libc.so.6"),
    }


def test_the_bootloaders_libraries_are_what_ldd_finds_for_it() -> None:
    libraries = bootloader_libraries()
    assert "libz.so.1" in libraries  # PyInstaller's Linux bootloader links zlib
    assert all(path.is_absolute() for path in libraries.values())


def test_a_copy_of_a_bootloader_library_is_dropped_and_a_different_file_kept(tmp_path: Path) -> None:
    system, same, other = tmp_path / "system", tmp_path / "same", tmp_path / "other"
    system.write_bytes(b"zlib 1.2.13")
    same.write_bytes(b"zlib 1.2.13")
    other.write_bytes(b"zlib 1.3.1")
    kept = ("lib-dynload/zlib.so", str(other), "EXTENSION")
    toc = [("libz.so.1", str(same), "BINARY"), kept]
    assert without_bootloader_libraries(toc, {"libz.so.1": system}) == [kept]
    assert without_bootloader_libraries([("libz.so.1", str(other), "BINARY")], {"libz.so.1": system}) == [
        ("libz.so.1", str(other), "BINARY")
    ]


def test_data_and_metadata_are_collected(spec: FreezeSpec, tmp_path: Path) -> None:
    source = spec.render(tmp_path)
    assert "for package in ['certifi']:\n    datas += collect_data_files(package)\n" in source
    assert "for distribution in ['falcon']:\n    datas += copy_metadata(distribution)\n" in source


def test_paths_with_quotes_stay_valid_python(tmp_path: Path) -> None:
    odd = tmp_path / 'it\'s "here"'
    spec = FreezeSpec(app="a:b", launcher=odd / "launcher.py", pathex=(odd,))
    source = spec.render(odd)
    compile(source, "app.spec", "exec")
    assert _call_keywords(source, "Analysis")["pathex"] == [str(odd)]


def test_every_compression_tells_pyinstaller_and_staticx_what_to_do() -> None:
    assert set(ZLIB_LEVELS) == set(XZ) == set(COMPRESSIONS)
    assert (ZLIB_LEVELS["xz"], XZ["xz"]) == ("0", True)  # raw entries: xz packs the whole
    assert (ZLIB_LEVELS["zlib-only"], XZ["zlib-only"]) == ("9", False)  # zlib alone: once, and hard

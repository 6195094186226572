"""The breakdown's groups and what the record says of each archive entry."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from pytest_scratchimage.breakdown import (
    Contributor,
    Usage,
    _needed,
    distribution,
    entry_group,
    extension_module,
    module_group,
)
from pytest_scratchimage.record import Needs, Record


@pytest.mark.parametrize(
    ("module", "group"),
    [
        ("falcon.app", ("package", "falcon")),
        ("falcon", ("package", "falcon")),
        ("email.parser", ("stdlib", "email")),
        ("json", ("stdlib", "json")),
        ("random_api", ("package", "random_api")),
    ],
)
def test_module_group(module: str, group: tuple[str, str]) -> None:
    assert module_group(module) == group


@pytest.mark.parametrize(
    ("name", "typecode", "group"),
    [
        ("lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so", "b", ("stdlib", "_ssl")),
        ("base_library.zip", "x", ("stdlib", "base_library.zip")),
        ("libpython3.11.so.1.0", "b", ("library", "libpython")),
        ("falcon/cyutil/uri.cpython-311-x86_64-linux-gnu.so", "b", ("package", "falcon")),
        ("_cffi_backend.cpython-311-x86_64-linux-gnu.so", "b", ("package", "_cffi_backend")),
        ("brotlicffi/_brotlicffi.abi3.so", "b", ("package", "brotlicffi")),
        ("libssl.so.3", "b", ("library", "libssl")),
        ("libcrypto.so.3", "b", ("library", "libcrypto")),
        ("libz.so.1.2.13", "b", ("library", "libz")),
        ("pillow.libs/libjpeg-0b3f6ff4.so.62.4.0", "b", ("library", "libjpeg-0b3f6ff4")),
        ("falcon-4.4.0.dist-info/METADATA", "x", ("package", "falcon")),
        ("Flask_Login-0.6.3.dist-info/RECORD", "x", ("package", "flask_login")),
        ("django/conf/locale/af/LC_MESSAGES/django.po", "x", ("package", "django")),
        ("hello/templates/index.html", "x", ("package", "hello")),
        ("certifi/cacert.pem", "x", ("package", "certifi")),
        ("pyiboot01_bootstrap", "s", ("loader", "PyInstaller bootstrap")),
        ("pyimod01_archive", "m", ("loader", "PyInstaller bootstrap")),
        ("struct", "M", ("loader", "PyInstaller bootstrap")),
        ("pyi_rth_inspect", "s", ("loader", "PyInstaller bootstrap")),
        ("pyi-python-flag Py_GIL_DISABLED", "o", ("package", "pyi-python-flag Py_GIL_DISABLED")),
        ("my-pkg-1.0.egg-info/PKG-INFO", "x", ("package", "my_pkg")),
        ("my_pkg-1.0.dist-info/METADATA", "x", ("package", "my_pkg")),
        ("my-pkg.egg-info/PKG-INFO", "x", ("package", "my_pkg")),
        ("pkg/__pycache__/mod.cpython-311.pyc", "x", ("package", "pkg")),
        ("socketio/static/x.socket.js", "x", ("package", "socketio")),
        ("json", "x", ("stdlib", "json")),
    ],
)
def test_entry_group(name: str, typecode: str, group: tuple[str, str]) -> None:
    assert entry_group(name, typecode) == group


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so", "_ssl"),
        ("falcon/cyutil/uri.cpython-311-x86_64-linux-gnu.so", "falcon.cyutil.uri"),
        ("brotlicffi/_brotlicffi.abi3.so", "brotlicffi._brotlicffi"),
    ],
)
def test_extension_module(name: str, module: str) -> None:
    assert extension_module(name) == module


@pytest.mark.parametrize(
    ("name", "distribution_name"),
    [
        ("falcon-4.4.0.dist-info/METADATA", "falcon"),
        ("Flask_Login-0.6.3.dist-info/RECORD", "flask_login"),
        ("my-pkg-1.0.egg-info/PKG-INFO", "my_pkg"),
        ("my-pkg.egg-info/PKG-INFO", "my_pkg"),
        ("My.Pkg.dist-info/METADATA", "my.pkg"),
    ],
)
def test_distribution(name: str, distribution_name: str) -> None:
    assert distribution(name) == distribution_name


def test_without_a_record_everything_is_used() -> None:
    usage = Usage()
    assert usage.module("decimal")
    assert usage.data("shop/static/app.css")
    assert usage.libraries({"libssl.so.3": b"", "libz.so.1": b""}) == {"libssl.so.3", "libz.so.1"}


def test_modules_are_used_when_held_started_or_read() -> None:
    record = Record(started=frozenset({"encodings"}), modules={"falcon": "/site/falcon/__init__.py"})
    usage = Usage(record)
    assert usage.module("falcon")
    assert usage.module("encodings")
    assert not usage.module("decimal")


def test_data_is_used_when_the_record_asked_for_it_or_its_folder() -> None:
    datas = (("/site/shop/static", "shop"), ("/site/shop/templates/index.html", "shop/templates"), ("/app/a.toml", "."))
    usage = Usage(Record(), Needs(datas=datas, metadata=("Flask-Login", "my-pkg")))
    assert usage.data("a.toml")
    assert usage.data("my_pkg-1.0.egg-info/PKG-INFO")
    assert usage.data("shop/static/app.css")
    assert usage.data("shop/static/img/logo.png")
    assert usage.data("shop/templates/index.html")
    assert not usage.data("shop/templates/other.html")
    assert not usage.data("shop/statics.css")
    assert usage.data("Flask_Login-0.6.3.dist-info/METADATA")
    assert not usage.data("falcon-4.4.0.dist-info/METADATA")


def test_a_library_is_used_when_libpython_or_a_used_extension_needs_it() -> None:
    usage = Usage(Record(modules={"_ssl": ""}))
    binaries = {
        "libpython3.11.so.1.0": b"",
        "lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so": b"",
        "lib-dynload/_decimal.cpython-311-x86_64-linux-gnu.so": b"",
        "libmpdec.so.3": b"",
    }
    live = usage.libraries(binaries)
    assert "libpython3.11.so.1.0" in live
    assert "lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so" in live
    assert "lib-dynload/_decimal.cpython-311-x86_64-linux-gnu.so" not in live
    assert "libmpdec.so.3" not in live  # no used ELF file names it (these are not ELF files at all)


def test_a_library_is_found_by_its_file_name_wherever_it_is_collected() -> None:
    """DT_NEEDED names a file; PyInstaller may collect it into a folder (``pillow.libs/``)."""
    import PyInstaller

    run = Path(str(PyInstaller.__file__)).parent / "bootloader" / str(PyInstaller.PLATFORM) / "run"
    assert "libz.so.1" in _needed(run.read_bytes())
    binaries = {"libpython3.11.so.1.0": run.read_bytes(), "pkg.libs/libz.so.1": b"", "pkg.libs/libzz.so.1": b""}
    assert Usage(Record()).libraries(binaries) == {"libpython3.11.so.1.0", "pkg.libs/libz.so.1"}


def test_a_contributor_reads_as_its_name_and_size() -> None:
    assert str(Contributor("library", "libpython", 1_280_000, 4_000_000, 0)) == "libpython 1.28 MB"
    assert Contributor("library", "libz", 1) == Contributor("library", "libz", 1, 0, 0)


def test_a_library_is_live_through_the_extension_that_names_it() -> None:
    lib_dynload = Path(str(sysconfig.get_config_var("DESTSHARED")))
    ssl = next(lib_dynload.glob("_ssl.cpython-*.so"))
    needed = set(_needed(ssl.read_bytes()))
    if not needed & {"libssl.so.3", "libssl.so.1.1"}:
        pytest.skip(f"{ssl.name} names {sorted(needed)}: no OpenSSL library to follow")
    binaries = {f"lib-dynload/{ssl.name}": ssl.read_bytes()} | {name: b"" for name in (*needed, "libffi.so.8")}
    assert Usage(Record(modules={"_ssl": ""})).libraries(binaries) == {f"lib-dynload/{ssl.name}", *needed}
    assert Usage(Record(modules={"json": ""})).libraries(binaries) == set()
    assert _needed(b"not an ELF file") == []

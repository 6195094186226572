"""The SBOM of a binary, and the files scanners read, from its inventory (no build, no engine)."""

from __future__ import annotations

import importlib.metadata
import io
import json
import tarfile
from pathlib import Path

import falcon
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from pytest_scratchimage import sbom
from pytest_scratchimage.image import ImageSpec
from pytest_scratchimage.sbom import Distribution, Inventory, Library

INVENTORY = Inventory(
    python="3.11.7",
    python_origin="built from source at /root/.pyenv/versions/3.11.7",
    distributions=(Distribution("falcon", "4.4.0", "Apache-2.0"), Distribution("gunicorn", "27.0.1", "MIT")),
    libraries=(
        Library("libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "libc6", "2.36-9+deb12u14", "glibc", "amd64"),
        Library("libm.so.6", "/lib/x86_64-linux-gnu/libm.so.6", "libc6", "2.36-9+deb12u14", "glibc", "amd64"),
        Library("libpython3.11.so.1.0", "/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0", note="pyenv's"),
    ),
    tools=(Distribution("pyinstaller", "6.22.3", "GPL-2.0-or-later"), Distribution("gunicorn", "27.0.1", "MIT")),
    os_release={"ID": "debian", "VERSION_ID": "12", "PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)"},
)


def test_the_sbom_validates_against_the_cyclonedx_schema_and_names_each_part() -> None:
    text = sbom.cyclonedx(INVENTORY)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    purls = [c.get("purl", c["name"]) for c in json.loads(text)["components"]]
    assert "pkg:pypi/falcon@4.4.0" in purls
    assert "pkg:pypi/pyinstaller@6.22.3" in purls
    assert "pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12" in purls
    assert "pkg:generic/cpython@3.11.7" in purls
    assert "libpython3.11.so.1.0" in purls
    assert purls.count("pkg:pypi/gunicorn@27.0.1") == 1  # frozen in and a tool: once


def test_the_scanner_files_are_one_entry_per_distribution_and_debian_package() -> None:
    files = sbom.scanner_files(INVENTORY, "{}")
    metadata = files["usr/lib/python3/dist-packages/falcon-4.4.0.dist-info/METADATA"].decode()
    assert "Name: falcon\nVersion: 4.4.0\nLicense: Apache-2.0\n" in metadata
    status = files["var/lib/dpkg/status.d/libc6"].decode()
    assert "Package: libc6\n" in status
    assert "Version: 2.36-9+deb12u14\n" in status
    assert "Source: glibc\n" in status
    assert [p for p in files if p.startswith("var/")] == ["var/lib/dpkg/status.d/libc6"]  # libm: the same package
    assert 'VERSION_ID="12"' in files["etc/os-release"].decode()
    assert files[sbom.IN_IMAGE] == b"{}"


def test_no_debian_package_inside_means_no_release_files() -> None:
    python_only = Inventory("3.11.7", "", INVENTORY.distributions, INVENTORY.libraries[2:], (), INVENTORY.os_release)
    assert not any(path.startswith(("etc/", "var/")) for path in sbom.scanner_files(python_only, "{}"))


def test_the_scanner_files_are_roots_read_only_members_of_the_image(tmp_path: Path) -> None:
    binary = tmp_path / "app"
    binary.write_bytes(b"\x7fELF")
    rootfs = ImageSpec(binary, 65535, 8000, files=sbom.scanner_files(INVENTORY, "{}")).rootfs()
    with tarfile.open(fileobj=io.BytesIO(rootfs)) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert members["var/lib/dpkg"].isdir()
    assert members["var/lib/dpkg/status.d/libc6"].isfile()
    extra = [m for name, m in members.items() if name not in {"app", "tmp"}]
    assert all((m.uid, m.gid, m.mode) == (0, 0, 0o555 if m.isdir() else 0o444) for m in extra)
    names = list(members)
    assert names.index("var/lib/dpkg/status.d") < names.index("var/lib/dpkg/status.d/libc6")


@pytest.mark.parametrize(
    ("paths", "seen"),
    [
        (["/app", "/tmp", "/etc/passwd"], "scanners see no packages in this image"),
        (["/app", "/usr/lib/python3/dist-packages/a-1.dist-info/METADATA"], "1 Python distributions, 0 Debian"),
        (["/var/lib/dpkg/status"], "0 Python distributions, 1 Debian package files, 0 SBOMs"),
        (["/usr/share/sbom/app.cdx.json"], "0 Debian package files, 1 SBOMs"),
    ],
)
def test_what_scanners_see_from_the_paths_alone(paths: list[str], seen: str) -> None:
    assert seen in sbom.scanner_view(paths)


def test_the_inventory_of_shipped_files_finds_their_distribution_and_library_packages() -> None:
    metadata_only = str(importlib.metadata.distribution("flask")._path / "METADATA")  # type: ignore[attr-defined]
    shipped = [falcon.__file__, metadata_only, "/lib/x86_64-linux-gnu/libc.so.6"]
    found = sbom.take(shipped, ["app", "libc.so.6"])
    assert [d.name for d in found.distributions] == ["falcon"]  # flask's metadata alone: none of its code
    assert Distribution("falcon", falcon.__version__, "Apache-2.0") in found.distributions
    libc = next(lib for lib in found.libraries if lib.name == "libc.so.6")
    if not libc.package:
        pytest.skip("dpkg does not own libc here: not a Debian machine")
    assert (libc.package, libc.source) == ("libc6", "glibc")
    assert libc.version
    assert Inventory.from_dict(json.loads(json.dumps(found.to_dict()))) == found

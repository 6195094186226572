"""SBOM: what the binary holds, told to scanners, which read no PyInstaller archive.

At build time the inventory is taken from what the build knows: the distributions whose files
PyInstaller froze in (``shipped.json``), the interpreter, each shared library in PyInstaller's archive or
StaticX's, with the Debian package that installed it (``dpkg -S``), and the tools that made the binary.
It is written as CycloneDX JSON (``cyclonedx-python-lib``, imported only here) and as the files trivy
and syft read in an image, as Google's distroless images ship them: a ``*.dist-info/METADATA`` per
distribution, a ``var/lib/dpkg/status.d/<package>`` per Debian package, ``etc/os-release`` and
``etc/debian_version``. Nothing here re-reads the binary: the code inside it is not verified against this.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import sysconfig
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SBOM = "sbom.cdx.json"  # beside the cached binary, and in the image at IN_IMAGE
INVENTORY = "inventory.json"  # beside it: what the image's scanner files are made from
IN_IMAGE = "usr/share/sbom/app.cdx.json"
DIST_PACKAGES = "usr/lib/python3/dist-packages"  # where the METADATA stubs go (trivy and syft read any)
STATUS_D = "var/lib/dpkg/status.d"
OS_FILES = ("etc/os-release", "etc/debian_version")
NOTHING = "scanners see no packages in this image"  # the report's warning for an image they find empty
TOOLS = ("pyinstaller", "staticx", "gunicorn", "pytest-scratchimage")


@dataclass(frozen=True)
class Distribution:
    name: str
    version: str
    licence: str = ""


@dataclass(frozen=True)
class Library:
    """A shared library in the binary, and the Debian package that installed it, if one did."""

    name: str  # its file name in the binary
    path: str  # where it was taken from on the build machine
    package: str = ""
    version: str = ""
    source: str = ""  # the source package
    architecture: str = ""
    note: str = ""  # what it is when no package owns it (pyenv's libpython)


@dataclass(frozen=True)
class Inventory:
    python: str  # CPython's version
    python_origin: str  # its prefix, and whether a Debian package owns it
    distributions: tuple[Distribution, ...] = ()
    libraries: tuple[Library, ...] = ()
    tools: tuple[Distribution, ...] = ()
    os_release: Mapping[str, str] = field(default_factory=dict)  # the build machine's etc/os-release

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Inventory:
        return cls(
            data["python"],
            data["python_origin"],
            tuple(Distribution(**d) for d in data["distributions"]),
            tuple(Library(**lib) for lib in data["libraries"]),
            tuple(Distribution(**d) for d in data["tools"]),
            dict(data["os_release"]),
        )

    @property
    def packages(self) -> dict[str, Library]:
        """The Debian packages inside, by name (several libraries may come from one)."""
        return {lib.package: lib for lib in self.libraries if lib.package}

    @property
    def distro(self) -> str:
        return f"{self.os_release.get('ID', 'debian')}-{self.os_release.get('VERSION_ID', '')}"


def take(shipped: Iterable[str], binary_names: Iterable[str]) -> Inventory:
    """The inventory of a binary from PyInstaller's sources (``shipped``) and the names of the libraries
    StaticX added (``binary_names``)."""
    shipped = list(shipped)
    owners = _owners()
    # a distribution whose metadata alone is copied (entry points read at the record) ships none of its code
    code = [os.path.realpath(path) for path in shipped if not _is_metadata(path)]
    distributions = {owners[path] for path in code if path in owners}
    libraries = {
        os.path.basename(path): path for path in shipped if _is_library(path) and os.path.realpath(path) not in owners
    }
    libraries |= {name: path for name, path in _staticx_sources(binary_names).items() if name not in libraries}
    return Inventory(
        python=platform.python_version(),
        python_origin=_python_origin(),
        distributions=tuple(sorted(distributions, key=lambda d: d.name.lower())),
        libraries=tuple(_library(name, path) for name, path in sorted(libraries.items())),
        tools=tuple(_distribution(importlib.metadata.distribution(name)) for name in TOOLS),
        os_release=_os_release(Path("/etc/os-release")),
    )


def _owners() -> dict[str, Distribution]:
    """Each installed file's real path, to the distribution that installed it."""
    owners: dict[str, Distribution] = {}
    for found in importlib.metadata.distributions():
        distribution = _distribution(found)
        for file in found.files or ():
            owners[os.path.realpath(str(found.locate_file(file)))] = distribution
    return owners


def _distribution(found: importlib.metadata.Distribution) -> Distribution:
    metadata = found.metadata

    def first(name: str) -> str:
        return str((metadata.get_all(name) or [""])[0]).strip()

    licence = first("License-Expression") or (first("License") if len(first("License")) <= 80 else "")
    if not licence:
        classifiers = metadata.get_all("Classifier") or []
        licence = " AND ".join(c.rsplit(" :: ", 1)[-1] for c in classifiers if c.startswith("License ::"))
    return Distribution(metadata["Name"], found.version, licence)


def _is_metadata(path: str) -> bool:
    return any(part.endswith((".dist-info", ".egg-info")) for part in Path(path).parts)


def _is_library(path: str) -> bool:
    name = os.path.basename(path)
    return ".so" in name and not name.endswith(".py") and (name.startswith(("lib", "ld-")))


def _staticx_sources(names: Iterable[str]) -> dict[str, str]:
    """Where each library StaticX added came from: as ldd resolves PyInstaller's bootloader."""
    from .freeze import bootloader_libraries

    known = {name: str(path) for name, path in bootloader_libraries().items()}
    found: dict[str, str] = {}
    for name in names:
        if not _is_library(name):
            continue
        candidates = [known.get(name, ""), f"/lib/{sysconfig.get_config_var('MULTIARCH')}/{name}", f"/lib64/{name}"]
        path = next((c for c in candidates if c and os.path.exists(c)), "")
        if path:
            found[name] = path
    return found


def _library(name: str, path: str) -> Library:
    package = _dpkg_owner(path)
    if not package:
        origin = "pyenv's build of CPython" if ".pyenv" in path else "no Debian package"
        return Library(name, path, note=f"{origin}: {path}")
    fields = "${Version}\t${source:Package}\t${Architecture}"
    done = subprocess.run(["dpkg-query", "-W", "-f", fields, package], capture_output=True, text=True, check=False)
    version, source, architecture = ([*done.stdout.split("\t"), "", "", ""])[:3]
    return Library(name, path, package.split(":")[0], version, source, architecture)


def _dpkg_owner(path: str) -> str:
    """The package ``dpkg -S`` names for ``path``, tried as given, resolved and across Debian's /usr merge."""
    real = os.path.realpath(path)
    tries = dict.fromkeys([path, real, *(_merged(p) for p in (path, real))])
    for candidate in tries:
        try:
            done = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True, check=False)
        except OSError:  # no dpkg on this machine
            return ""
        if done.returncode == 0 and ": " in done.stdout:
            return done.stdout.split(": ", 1)[0].split(",")[0].strip()
    return ""


def _merged(path: str) -> str:
    return path[len("/usr") :] if path.startswith("/usr/lib/") else "/usr" + path


def _python_origin() -> str:
    library = Path(sysconfig.get_config_var("LIBDIR") or "") / (sysconfig.get_config_var("LDLIBRARY") or "")
    package = _dpkg_owner(str(library)) if library.name else ""
    return f"Debian package {package}" if package else f"built from source at {sys.base_prefix}"


def _os_release(path: Path) -> dict[str, str]:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    pairs = (line.split("=", 1) for line in lines if "=" in line)
    return {key: value.strip().strip('"') for key, value in pairs}


def cyclonedx(inventory: Inventory, name: str = "app") -> str:
    """The inventory as CycloneDX 1.6 JSON."""
    from cyclonedx.contrib.license.factories import LicenseFactory
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    licences = LicenseFactory()

    def component(kind: ComponentType, name: str, version: str, purl: PackageURL | None, **extra: Any) -> Component:
        return Component(type=kind, name=name, version=version or None, purl=purl, bom_ref=str(purl or name), **extra)

    bom = Bom()
    bom.metadata.component = Component(type=ComponentType.APPLICATION, name=name, bom_ref=name)
    for dist in inventory.distributions:
        purl = PackageURL("pypi", name=dist.name.lower(), version=dist.version)
        found = [licences.make_from_string(dist.licence)] if dist.licence else []
        bom.components.add(component(ComponentType.LIBRARY, dist.name, dist.version, purl, licenses=found))
    python = PackageURL("generic", name="cpython", version=inventory.python)
    origin = [Property(name="scratchimage:origin", value=inventory.python_origin)]
    bom.components.add(component(ComponentType.FRAMEWORK, "cpython", inventory.python, python, properties=origin))
    for package, lib in sorted(inventory.packages.items()):
        qualifiers = {"arch": lib.architecture, "distro": inventory.distro}
        purl = PackageURL("deb", "debian", package, lib.version, {k: v for k, v in qualifiers.items() if v})
        files = [Property(name="scratchimage:file", value=f.name) for f in inventory.libraries if f.package == package]
        source = [Property(name="scratchimage:source_package", value=lib.source)] if lib.source else []
        bom.components.add(component(ComponentType.LIBRARY, package, lib.version, purl, properties=[*source, *files]))
    for lib in inventory.libraries:
        if not lib.package:
            note = [Property(name="scratchimage:origin", value=lib.note)]
            bom.components.add(component(ComponentType.LIBRARY, lib.name, "", None, properties=note))
    frozen = {dist.name.lower() for dist in inventory.distributions}  # gunicorn is frozen in: listed once
    for tool in (tool for tool in inventory.tools if tool.name.lower() not in frozen):
        purl = PackageURL("pypi", name=tool.name.lower(), version=tool.version)
        bom.components.add(component(ComponentType.APPLICATION, tool.name, tool.version, purl))
    bom.register_dependency(bom.metadata.component, bom.components)
    return str(JsonV1Dot6(bom).output_as_string())


def scanner_files(inventory: Inventory, sbom: str) -> dict[str, bytes]:
    """The files scanners read, by path in the image: METADATA stubs, dpkg entries, release files, the SBOM."""
    files: dict[str, bytes] = {}
    for dist in inventory.distributions:
        folder = f"{DIST_PACKAGES}/{dist.name.replace('-', '_')}-{dist.version}.dist-info"
        licence = f"License: {dist.licence}\n" if dist.licence else ""
        files[f"{folder}/METADATA"] = (
            f"Metadata-Version: 2.1\nName: {dist.name}\nVersion: {dist.version}\n{licence}".encode()
        )
    for package, lib in sorted(inventory.packages.items()):
        source = f"Source: {lib.source}\n" if lib.source and lib.source != package else ""
        entry = f"Package: {package}\nStatus: install ok installed\n{source}Version: {lib.version}\n"
        files[f"{STATUS_D}/{package}"] = f"{entry}Architecture: {lib.architecture}\n".encode()
    if inventory.packages and inventory.os_release:
        release = "".join(f'{key}="{value}"\n' for key, value in inventory.os_release.items())
        files["etc/os-release"] = release.encode()
        with_version = Path("/etc/debian_version")
        if with_version.is_file():
            files["etc/debian_version"] = with_version.read_bytes()
    files[IN_IMAGE] = sbom.encode()
    return files


def scanner_view(paths: Iterable[str]) -> str:
    """What a scanner finds among an image's ``paths``: the counts of what it reads, or the warning."""
    paths = [path.lstrip("/") for path in paths]
    python = sum(path.endswith((".dist-info/METADATA", ".egg-info/PKG-INFO")) for path in paths)
    debian = sum(path.startswith(f"{STATUS_D}/") or path == "var/lib/dpkg/status" for path in paths)
    sboms = sum(path.endswith((".cdx.json", ".spdx.json")) for path in paths)
    if not python + debian + sboms:
        return f"{NOTHING} (no *.dist-info/METADATA, var/lib/dpkg status nor *.cdx.json in it)"
    return f"{python} Python distributions, {debian} Debian package files, {sboms} SBOMs (what trivy and syft read)"


def copy(folder: Path, target: Path) -> None:
    """The build's SBOM written to ``target`` (scratch_image_sbom)."""
    from .errors import ScratchImageError

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text((folder / SBOM).read_text())
    except OSError as error:
        raise ScratchImageError(
            f"scratch_image_sbom = {str(target)!r}: the SBOM could not be written ({error.strerror}); "
            "name a writable file, or --scratch-image-rebuild a build made before the SBOM was"
        ) from None


def write(folder: Path, inventory: Inventory) -> None:
    """The SBOM and the inventory beside the binary in ``folder``: a cached build has them too."""
    (folder / SBOM).write_text(cyclonedx(inventory))
    (folder / INVENTORY).write_text(json.dumps(inventory.to_dict(), indent=1))


def image_files(folder: Path) -> dict[str, bytes]:
    """The scanner files of the build in ``folder``; none for a build made before the SBOM was."""
    try:
        inventory = Inventory.from_dict(json.loads((folder / INVENTORY).read_text()))
        return scanner_files(inventory, (folder / SBOM).read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return {}

"""Use: an image built elsewhere (``scratch_image_use``), gated like one built here: a tag the engine has, or a
``docker save`` archive.

An archive is loaded under the session's own tag, its manifest's tags replaced by it: loading never moves a tag
of the user's, and removing ours at the end removes the image only when nothing else names it. A tag the engine
has is used as it is and never removed. What the bytes are: the image's files by size; when the entrypoint is
a StaticX or PyInstaller binary, the archives inside it stand for it, read as for a built image.
"""

from __future__ import annotations

import io
import json
import lzma
import posixpath
import struct
import tarfile
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .breakdown import XZ_MAGIC, Contributor, Usage, breakdown, frozen_entries
from .errors import ScratchImageError
from .inspect import FileEntry, layer_file
from .staticize import staticx_archive

if TYPE_CHECKING:
    import docker
    from docker.models.images import Image

DROPPED = frozenset({"manifest.json", "repositories", "index.json", "oci-layout"})  # names, rewritten or left out
STATICX_PROGRAM = ".staticx.prog"  # the symlink in StaticX's archive that names the program it wraps
DEFAULT_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


def retag_archive(source: IO[bytes], tag: str, out: IO[bytes]) -> None:
    """Copy a ``docker save`` archive (plain or compressed) into ``out`` as a plain one naming its image ``tag`` alone.

    Its OCI index goes too: an engine then reads the Docker manifest, and the names in the index with it.
    """
    with tarfile.open(fileobj=source, mode="r|*") as tar, tarfile.open(fileobj=out, mode="w|") as copy:
        manifest = None
        for member in tar:
            if member.name == "manifest.json":
                stream = tar.extractfile(member)
                manifest = json.loads(stream.read()) if stream is not None else None
            elif member.name not in DROPPED:
                copy.addfile(member, tar.extractfile(member) if member.isfile() else None)
        if not isinstance(manifest, list) or len(manifest) != 1:
            images = len(manifest) if isinstance(manifest, list) else "no"
            raise ValueError(f"it holds {images} image manifests; save the one image to gate")
        data = json.dumps([{**manifest[0], "RepoTags": [tag]}]).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        copy.addfile(info, io.BytesIO(data))


def load_archive(client: docker.DockerClient, archive: Path, tag: str) -> Image:
    """Load ``archive`` into the engine under ``tag`` alone; return the image."""
    import docker.errors

    where = f"scratch_image_use = {str(archive)!r}"
    try:
        with archive.open("rb") as source, tempfile.TemporaryFile() as plain:
            retag_archive(source, tag, plain)
            plain.seek(0)
            client.images.load(plain)
        return client.images.get(tag)
    except (tarfile.TarError, ValueError, KeyError, EOFError, lzma.LZMAError) as error:
        raise ScratchImageError(f"use: {where} is not a docker save archive the engine can load: {error}") from None
    except OSError as error:
        raise ScratchImageError(f"use: {where} cannot be read: {error.strerror}") from None
    except docker.errors.APIError as error:
        raise ScratchImageError(f"use: the engine refused to load {where}: {error.explanation}") from None


def find_image(client: docker.DockerClient, reference: str) -> Image:
    import docker.errors

    try:
        return client.images.get(reference)
    except docker.errors.ImageNotFound:
        raise ScratchImageError(
            f"use: scratch_image_use = {reference!r}: the engine has no such image; build, pull or load it first, "
            "or name a docker save archive (.tar)"
        ) from None


def port_of(config: Mapping[str, Any], default: int) -> int:
    """The port the app listens on: the one TCP port the image exposes, else ``scratch_image_port``."""
    ports = [name.split("/")[0] for name in (config.get("ExposedPorts") or {}) if name.endswith("/tcp")]
    return int(ports[0]) if len(ports) == 1 and ports[0].isdigit() else default


def entrypoint_of(config: Mapping[str, Any], paths: Iterable[str]) -> str | None:
    """The path of the program the image starts: its exec-form ENTRYPOINT (else CMD), looked up on its PATH."""
    command = config.get("Entrypoint") or config.get("Cmd") or []
    program = str(command[0]) if command else ""
    if not program or program.startswith("/"):
        return posixpath.normpath(program) if program else None
    environment = dict(line.split("=", 1) for line in config.get("Env") or [] if "=" in line)
    folders = environment["PATH"].split(":") if "PATH" in environment else DEFAULT_PATH
    existing = set(paths)
    return next((f"{folder}/{program}" for folder in folders if f"{folder}/{program}" in existing), None)


def binary_breakdown(binary: Path) -> list[Contributor] | None:
    """What a StaticX or PyInstaller binary holds, as for a built image; None for any other file."""
    from elftools.common.exceptions import ELFError
    from PyInstaller.loader.pyimod01_archive import ArchiveReadError

    unreadable = (ELFError, ArchiveReadError, ValueError, KeyError, OSError, struct.error, tarfile.TarError)
    try:
        payload = staticx_archive(binary)
    except unreadable:
        payload = None
    try:
        if payload is not None:
            return _staticx_breakdown(binary, payload)
        return _pyinstaller_breakdown(binary)
    except unreadable:
        return None


def _staticx_breakdown(binary: Path, payload: bytes) -> list[Contributor]:
    """StaticX's archive holds the program it wraps: take it out, then read both as the build does."""
    data = lzma.decompress(payload) if payload.startswith(XZ_MAGIC) else payload
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar, tempfile.TemporaryDirectory() as folder:
        name = tar.getmember(STATICX_PROGRAM).linkname
        stream = tar.extractfile(name)
        if stream is None:
            raise KeyError(name)
        program = Path(folder) / posixpath.basename(name)
        program.write_bytes(stream.read())
        return breakdown(binary, program)


def _pyinstaller_breakdown(binary: Path) -> list[Contributor]:
    """A PyInstaller onefile alone: each group weighs what it stores (its entries are compressed one by one);
    the archives' tables of contents weigh the rest."""
    weights: dict[tuple[str, str], int] = defaultdict(int)
    for entry in frozen_entries(binary, Usage()):
        weights[entry.group] += len(entry.data)
    weights[("loader", "PyInstaller tables of contents")] = binary.stat().st_size - sum(weights.values())
    contributors = [Contributor(kind, name, size) for (kind, name), size in weights.items()]
    return sorted(contributors, key=lambda c: c.bytes, reverse=True)


def files_breakdown(files: Iterable[FileEntry], inner: Mapping[str, list[Contributor]]) -> list[Contributor]:
    """The image's files by size, largest first; a file ``inner`` reads is replaced by what it holds."""
    found: list[Contributor] = []
    for entry in files:
        if entry.kind == "file":
            found += inner.get(entry.path) or [Contributor("file", entry.path, entry.size)]
    return sorted(found, key=lambda c: (-c.bytes, c.kind, c.name))


def image_breakdown(layers: list[bytes], files: list[FileEntry], config: Mapping[str, Any]) -> list[Contributor]:
    """The breakdown of an image built elsewhere: its files, the entrypoint read inside when it is a frozen binary."""
    entrypoint = entrypoint_of(config, (f.path for f in files if f.kind == "file"))
    content = layer_file((io.BytesIO(layer) for layer in layers), entrypoint) if entrypoint else None
    inner: dict[str, list[Contributor]] = {}
    if entrypoint is not None and content is not None:
        with tempfile.TemporaryDirectory() as folder:
            binary = Path(folder) / posixpath.basename(entrypoint)
            binary.write_bytes(content)
            inner[entrypoint] = binary_breakdown(binary) or []
    return files_breakdown(files, inner)

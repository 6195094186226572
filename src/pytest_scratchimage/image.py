"""Image: ``FROM scratch`` with the one static binary and a /tmp for it to extract into, nothing else."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .breakdown import Contributor
from .errors import ScratchImageError
from .inspect import FileEntry, compressed_size, image_layers, merge_layers, shells

if TYPE_CHECKING:
    import docker

    from .advice import Lever

ENTRYPOINT = "/app"
LAYER = "layer.json"  # beside the cached binary: its layer's digest and gzipped size (known_compressed)


@dataclass(frozen=True)
class ImageSpec:
    """The image's recipe: its root filesystem and configuration follow from it alone."""

    binary: Path
    user: int
    port: int
    labels: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, bytes] = field(default_factory=dict)  # extra read-only files by path (sbom.scanner_files)

    def changes(self) -> list[str]:
        """The image's configuration, as the Dockerfile instructions the engine applies on import."""
        labels = [f"LABEL {json.dumps(key)}={json.dumps(value)}" for key, value in sorted(self.labels.items())]
        return [f"USER {self.user}", f"EXPOSE {self.port}/tcp", f'ENTRYPOINT ["{ENTRYPOINT}"]', *labels]

    def rootfs(self) -> bytes:
        """The whole root filesystem as a tar: the binary, an empty /tmp and the read-only ``files``.

        The tar sets owners and modes: /app root's 0755, /tmp root's 1777, which works both hardened
        (a tmpfs over it) and plain; a 0755 /tmp owned by the app's user was seen to break the hardened run.
        """
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
            tar.addfile(_entry("tmp", tarfile.DIRTYPE, 0o1777))
            binary = _entry(ENTRYPOINT.lstrip("/"), tarfile.REGTYPE, 0o755)
            binary.size = self.binary.stat().st_size
            with self.binary.open("rb") as stream:
                tar.addfile(binary, stream)
            add_files(tar, self.files)
        return buffer.getvalue()


def add_files(tar: tarfile.TarFile, files: Mapping[str, bytes]) -> None:
    """``files`` as root's read-only members (0444, folders 0555), each folder once, before its files."""
    folders = sorted({str(parent) for path in files for parent in Path(path).parents if str(parent) != "."})
    for folder in folders:
        tar.addfile(_entry(folder, tarfile.DIRTYPE, 0o555))
    for path, content in sorted(files.items()):
        member = _entry(path, tarfile.REGTYPE, 0o444)
        member.size = len(content)
        tar.addfile(member, io.BytesIO(content))


def _entry(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.uid, info.gid, info.mtime = kind, mode, 0, 0, 0
    return info


def build_image(client: docker.DockerClient, spec: ImageSpec, tag: str, rootfs: bytes | None = None) -> str:
    """Make the image through the engine's API; return its id. ``rootfs`` is ``spec.rootfs()``, if made already.

    ``FROM scratch`` plus one ``ADD`` of the root filesystem is exactly an import of that tar with the
    configuration applied, and the engine imports in a tenth of the time a build takes (no build steps).
    """
    import docker.errors

    try:
        # The whole reference as the repository: Podman ignores a separate tag (and would name it :latest).
        client.api.import_image_from_data(rootfs or spec.rootfs(), repository=tag, changes=spec.changes())
        return str(client.images.get(tag).id)
    except docker.errors.APIError as error:
        raise ScratchImageError(f"image: the engine refused the image {tag}: {error.explanation}") from None


def known_compressed(memo: Path, rootfs: bytes, layers: list[str]) -> int | None:
    """The gzipped size of the image's one layer, computed once per binary and kept in ``memo``.

    The layer is the root filesystem as sent, byte for byte, when the engine's diff ID of it (``layers``,
    from ``RootFS.Layers``) is that tar's sha256, and only then is the kept figure used; else None, and the
    layers are exported and measured.
    """
    digest = f"sha256:{hashlib.sha256(rootfs).hexdigest()}"
    if layers != [digest]:
        return None
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        kept = json.loads(memo.read_text())
        if kept["diff_id"] == digest:
            return int(kept["compressed"])
    compressed = compressed_size([rootfs])
    with contextlib.suppress(OSError):  # a read-only cache: measured again next time
        partial = memo.with_name(f"{memo.name}.{os.getpid()}")
        partial.write_text(json.dumps({"diff_id": digest, "compressed": compressed}))
        partial.replace(memo)  # whole, even with other processes (xdist workers) at it
    return compressed


@dataclass
class ScratchImage:
    """The built image: what the ``scratch_image`` fixture gives tests."""

    tag: str
    id: str
    size: int  # bytes, exactly the engine's image ``Size``
    user: int
    port: int
    labels: Mapping[str, str]
    client: docker.DockerClient = field(repr=False)
    contributors: list[Contributor] = field(default_factory=list, repr=False)
    levers: list[Lever] = field(default_factory=list, repr=False)  # what would shrink it (advice.levers)
    _layers: list[bytes] | None = field(default=None, repr=False)
    _compressed: int | None = field(default=None, repr=False)

    def layers(self) -> list[bytes]:
        """The image's layer tars, exported once from the engine."""
        if self._layers is None:
            self._layers = image_layers(self.client.images.get(self.id))
        return self._layers

    def files(self) -> list[FileEntry]:
        """Every path in the image (path, mode, owner, size), read from the exported image archive."""
        return merge_layers(io.BytesIO(layer) for layer in self.layers())

    def compressed_size(self) -> int:
        """The gzipped layers' bytes: what a registry stores and a node pulls (computed once)."""
        if self._compressed is None:
            self._compressed = compressed_size(self.layers())
        return self._compressed

    def measure(self, metric: str) -> int:
        """The bytes a budget of ``metric`` (``size`` or ``compressed``) limits."""
        return self.size if metric == "size" else self.compressed_size()

    def breakdown(self) -> list[Contributor]:
        """What the bytes are, largest first: packages, stdlib modules, libraries, loaders (estimates)."""
        return list(self.contributors)

    def shells(self) -> list[str]:
        """Paths of shells (and busybox) in the image's filesystem; a hardened image has none."""
        return shells(self.files())

    @property
    def has_shell(self) -> bool:
        return bool(self.shells())

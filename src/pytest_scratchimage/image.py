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
from .layers import add_files, entry

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
    app_layer: bytes | None = None  # scratch_image_layout = layers: the app's own files, a layer of their own

    def config(self) -> dict[str, object]:
        """The image's configuration as an image config's ``config`` holds it (what ``changes`` apply)."""
        return {
            "User": str(self.user),
            "ExposedPorts": {f"{self.port}/tcp": {}},
            "Entrypoint": [ENTRYPOINT],
            "Labels": dict(sorted(self.labels.items())),
        }

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
            tar.addfile(entry("tmp", tarfile.DIRTYPE, 0o1777))
            binary = entry(ENTRYPOINT.lstrip("/"), tarfile.REGTYPE, 0o755)
            binary.size = self.binary.stat().st_size
            with self.binary.open("rb") as stream:
                tar.addfile(binary, stream)
            add_files(tar, self.files)
        return buffer.getvalue()


def build_image(client: docker.DockerClient, spec: ImageSpec, tag: str, rootfs: bytes | None = None) -> str:
    """Make the image through the engine's API; return its id. ``rootfs`` is ``spec.rootfs()``, if made already.

    ``FROM scratch`` plus one ``ADD`` of the root filesystem is exactly an import of that tar with the
    configuration applied, and the engine imports in a tenth of the time a build takes (no build steps).
    """
    import docker.errors

    rootfs = rootfs or spec.rootfs()
    try:
        if spec.app_layer is not None:
            client.images.load(archive(spec, tag, [rootfs, spec.app_layer]))
        else:
            # The whole reference as the repository: Podman ignores a separate tag (and would name it :latest).
            client.api.import_image_from_data(rootfs, repository=tag, changes=spec.changes())
        return str(client.images.get(tag).id)
    except docker.errors.APIError as error:
        raise ScratchImageError(f"image: the engine refused the image {tag}: {error.explanation}") from None


def archive(spec: ImageSpec, tag: str, layers: list[bytes]) -> bytes:
    """A ``docker load`` archive of ``layers`` in order, configured by ``spec`` and tagged ``tag``.

    Each layer is its tar byte for byte, so its diff ID is that tar's sha256: the runtime's is the same in
    every image of the same binary, which is what lets a registry keep it once and a release push the app's.
    """
    diff_ids = [f"sha256:{hashlib.sha256(layer).hexdigest()}" for layer in layers]
    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
    history = [{"created_by": "pytest-scratchimage: the runtime"}, {"created_by": "pytest-scratchimage: the app"}]
    config = json.dumps(
        {
            "architecture": machine,
            "os": "linux",
            "config": spec.config(),
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history[: len(layers)],
        },
        sort_keys=True,
    ).encode()
    name = f"{hashlib.sha256(config).hexdigest()}.json"
    paths = [f"{diff_id[7:]}/layer.tar" for diff_id in diff_ids]
    manifest = json.dumps([{"Config": name, "RepoTags": [tag], "Layers": paths}]).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path, content in [(name, config), *zip(paths, layers, strict=True), ("manifest.json", manifest)]:
            member = entry(path, tarfile.REGTYPE, 0o644)
            member.size = len(content)
            tar.addfile(member, io.BytesIO(content))
    return buffer.getvalue()


def known_compressed(memo: Path, rootfs: bytes, layers: list[str], app_layer: bytes | None = None) -> int | None:
    """The gzipped size of the image's layers, the runtime's computed once per binary and kept in ``memo``.

    The runtime's layer is the root filesystem as sent, byte for byte, when the engine's diff ID of it
    (``layers``, from ``RootFS.Layers``) is that tar's sha256, and only then is the kept figure used; the
    same holds for the app's layer, which is small and weighed each time. Else None, and the layers are
    exported and measured.
    """
    sent = [rootfs] if app_layer is None else [rootfs, app_layer]
    digest = f"sha256:{hashlib.sha256(rootfs).hexdigest()}"
    if layers != [f"sha256:{hashlib.sha256(layer).hexdigest()}" for layer in sent]:
        return None
    thin = compressed_size([app_layer]) if app_layer is not None else 0
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        kept = json.loads(memo.read_text())
        if kept["diff_id"] == digest:
            return int(kept["compressed"]) + thin
    compressed = compressed_size([rootfs])
    with contextlib.suppress(OSError):  # a read-only cache: measured again next time
        partial = memo.with_name(f"{memo.name}.{os.getpid()}")
        partial.write_text(json.dumps({"diff_id": digest, "compressed": compressed}))
        partial.replace(memo)  # whole, even with other processes (xdist workers) at it
    return compressed + thin


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

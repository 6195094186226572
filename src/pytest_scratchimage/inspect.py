"""Inspect the image as shipped, without running anything inside it.

Files come from the image archive the engine exports, process users from the engine's ``top``.
The one exec is the no-shell proof: an attempt to start a shell, which must fail.
"""

from __future__ import annotations

import gzip
import io
import json
import posixpath
import stat
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docker.models.containers import Container
    from docker.models.images import Image

SHELL_NAMES = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"})

PACKAGE_MANAGERS = ("apt", "apt-get", "dpkg", "apk", "yum", "dnf", "rpm", "pip", "microdnf")


@dataclass(frozen=True)
class FileEntry:
    """One path of the image's root filesystem, as the last layer that touched it left it."""

    path: str
    mode: int
    uid: int
    gid: int
    size: int
    kind: str  # "file", "dir", "symlink", "other"

    @property
    def setid(self) -> bool:
        return bool(self.mode & (stat.S_ISUID | stat.S_ISGID))

    @property
    def world_writable(self) -> bool:
        return self.kind != "symlink" and bool(self.mode & stat.S_IWOTH)

    def __str__(self) -> str:
        return f"{stat.filemode(self.mode | _TYPE_BITS[self.kind])} {self.uid}:{self.gid} {self.size:>10} {self.path}"


def shells(files: Iterable[FileEntry]) -> list[str]:
    """Paths of shells (and busybox) among an image's files."""
    return [f.path for f in files if f.kind != "dir" and f.path.rpartition("/")[2] in SHELL_NAMES]


_TYPE_BITS = {"file": stat.S_IFREG, "dir": stat.S_IFDIR, "symlink": stat.S_IFLNK, "other": 0}


def _kind(member: tarfile.TarInfo) -> str:
    return "file" if member.isfile() else "dir" if member.isdir() else "symlink" if member.issym() else "other"


def layer_entries(layer: IO[bytes]) -> Iterator[tuple[str, FileEntry | None]]:
    """(path, entry) for each member of a layer tar; ``None`` marks an overlay whiteout (a deletion)."""
    with tarfile.open(fileobj=layer, mode="r|*") as tar:
        for member in tar:
            relative = posixpath.normpath(member.name).lstrip("/")
            path = "/" if relative == "." else f"/{relative}"
            folder, _, name = path.rpartition("/")
            if name == ".wh..wh..opq":  # an opaque folder: hides everything lower layers put in it
                yield f"{folder}/", None
                continue
            if name.startswith(".wh."):
                yield f"{folder}/{name[4:]}", None
                continue
            mode = member.mode & 0o7777
            yield path, FileEntry(path, mode, member.uid, member.gid, member.size, _kind(member))


def merge_layers(layers: Iterable[IO[bytes]]) -> list[FileEntry]:
    """The root filesystem that the layers make, in order, whiteouts applied."""
    files: dict[str, FileEntry] = {}
    for layer in layers:
        for path, entry in layer_entries(layer):
            if entry is None:  # "/a/b" deletes b and all below it; "/a/" empties a
                files = {p: e for p, e in files.items() if p != path and not p.startswith(path.rstrip("/") + "/")}
            elif path != "/":
                files[path] = entry
    return sorted(files.values(), key=lambda e: e.path)


def archive_layers(archive: IO[bytes]) -> list[bytes]:
    """The layer tars of an image archive (``docker save`` format), in the manifest's order."""
    members: dict[str, bytes] = {}
    with tarfile.open(fileobj=archive, mode="r|") as tar:
        for member in tar:
            stream = tar.extractfile(member) if member.isfile() else None
            if stream is not None:
                members[member.name] = stream.read()
    manifest = json.loads(members["manifest.json"])[0]
    return [members[name] for name in manifest["Layers"]]


def archive_files(archive: IO[bytes]) -> list[FileEntry]:
    """The files of an image archive: its layers merged in order."""
    return merge_layers(io.BytesIO(layer) for layer in archive_layers(archive))


def compressed_size(layers: list[bytes]) -> int:
    """Bytes a registry stores and a node pulls: each layer gzipped, as ``docker push`` does."""
    return sum(len(gzip.compress(layer, compresslevel=6, mtime=0)) for layer in layers)


def image_layers(image: Image) -> list[bytes]:
    return archive_layers(io.BytesIO(b"".join(image.save(named=False))))


def process_users(container: Container) -> dict[int, int]:
    """PID → numeric UID of every process in the container, from the engine's ``top``.

    Docker runs ps(1) on its host. Podman runs it inside the container, where a scratch image has none:
    its Docker-compatible ``top`` then answers with an empty body, and its own reads /proc instead.
    """
    try:
        top = container.top(ps_args="-o pid,uid,args")
        column = "UID"
    except ValueError:  # the empty body: Podman
        top = libpod_top(container, "pid,user,args")
        column = "USER"  # the number: a scratch image has no /etc/passwd to name it
    pid, uid = top["Titles"].index("PID"), top["Titles"].index(column)
    return {int(row[pid]): int(row[uid]) for row in top["Processes"]}


def libpod_top(container: Container, descriptors: str) -> dict[str, Any]:
    """Podman's own ``top`` (its libpod API), which reads the processes' /proc without running ps."""
    api = container.client.api
    url = f"{api.base_url}/v{api.api_version}/libpod/containers/{container.id}/top"
    response = api.get(url, params={"ps_args": descriptors})
    response.raise_for_status()
    return dict(response.json())


@dataclass(frozen=True)
class ShellProbe:
    """The outcome of trying to start a shell in the running container."""

    shell: str
    exit_code: int | None
    output: str

    @property
    def started(self) -> bool:
        return self.exit_code == 0


def probe_shell(container: Container, shell: str = "/bin/sh") -> ShellProbe:
    """Try ``shell -c 'exit 0'``; in a shell-less image the engine answers 126 or 127."""
    result = container.exec_run([shell, "-c", "exit 0"])
    return ShellProbe(shell, result.exit_code, bytes(result.output).decode(errors="replace").strip())


def layer_file(layers: Iterable[IO[bytes]], path: str) -> bytes | None:
    """The content of the regular file ``path`` in the root filesystem the layers make; None when there is none."""
    found: bytes | None = None
    for layer in layers:
        with tarfile.open(fileobj=layer, mode="r|*") as tar:
            for member in tar:
                name = "/" + posixpath.normpath(member.name).lstrip("/")
                folder, _, base = name.rpartition("/")
                whiteout = base.startswith(".wh.") and (
                    path.startswith(folder + "/") if base == ".wh..wh..opq" else _under(path, f"{folder}/{base[4:]}")
                )
                if whiteout or (name == path and not member.isfile()):
                    found = None
                elif name == path:
                    stream = tar.extractfile(member)
                    found = stream.read() if stream is not None else None
    return found


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith(top + "/")

"""Leave nothing behind: label what a session makes with its owner, and reap what dead owners left.

A session killed with SIGKILL cannot clean up; the next session on the same engine removes its
containers and image tags. An owner is a process on a host, with its start time so that a reused
PID is not taken for the old process. A live owner's things, or another host's, are never touched.

A session that ends need not wait for the engine to remove its containers (the kill, the network's
teardown: 0.15 to 0.3 s): ``remove_detached`` hands the removal to a process of its own, this very file
run by the interpreter without the package (``python -I -S cleanup.py``), which removes the containers,
then the image tag, which the engine keeps while a container uses it. What that process cannot remove,
the next session reaps: its owner has exited by then.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    import docker

LABEL_PREFIX = "io.github.pytest-scratchimage"
OWNER = f"{LABEL_PREFIX}.owner"
SESSION = f"{LABEL_PREFIX}.session"
KEEP = f"{LABEL_PREFIX}.keep"
REPOSITORY = "pytest-scratchimage/"  # the tags sessions make; a tag of the user's on the same image is never removed
_DETACHED: list[subprocess.Popen[bytes]] = []  # the removals handed to processes of their own (remove_detached)


@dataclass(frozen=True)
class Owner:
    host: str
    pid: int
    started: str  # the process's start time in clock ticks after boot, from /proc/<pid>/stat

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.started}"

    @classmethod
    def parse(cls, text: str) -> Owner | None:
        parts = text.rsplit(":", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        return cls(parts[0], int(parts[1]), parts[2])

    @classmethod
    def current(cls) -> Owner:
        return cls(socket.gethostname(), os.getpid(), process_start(os.getpid()) or "")

    def alive(self) -> bool:
        """True unless this is our host and the process is gone (or another took its PID)."""
        if self.host != socket.gethostname():
            return True
        return process_start(self.pid) == self.started


def process_start(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[19]  # field 22, counted after the command name


def orphaned(labels: dict[str, str]) -> bool:
    owner = Owner.parse(labels.get(OWNER, ""))
    return owner is not None and labels.get(KEEP) != "true" and not owner.alive()


def reap(client: docker.DockerClient) -> list[str]:
    """Remove containers and image tags whose owning session died; return what was removed.

    Read from the engine's listings alone (no inspection of each): what another process removes meanwhile,
    a session's detached removal say, is no error.
    """
    import docker.errors

    removed = []
    for container in client.api.containers(all=True, filters={"label": OWNER}):
        if orphaned(container.get("Labels") or {}) and container.get("State") != "removing":  # not under way
            with contextlib.suppress(docker.errors.APIError):  # NotFound, or a conflict: removed meanwhile
                client.api.remove_container(container["Id"], force=True)
                removed.append(f"container {container['Id'][:12]}")
    for image in client.api.images(filters={"label": OWNER}):
        if orphaned(image.get("Labels") or {}):
            for tag in filter(made_by_a_session, image.get("RepoTags") or []):
                with contextlib.suppress(docker.errors.APIError):
                    client.api.remove_image(tag)
                    removed.append(f"image {tag}")
    return removed


def made_by_a_session(tag: str) -> bool:
    """A tag under ``pytest-scratchimage/``, as Docker names it or as Podman does (``docker.io/…``, ``localhost/…``)."""
    return tag.removeprefix("docker.io/").removeprefix("localhost/").startswith(REPOSITORY)


def engine_socket(docker_host: str) -> str | None:
    """The path of the engine's socket on this machine, from a DOCKER_HOST value ("" for the default)."""
    url = urlsplit(docker_host or "unix:///var/run/docker.sock")
    return url.path if url.scheme == "unix" else None


def remove_detached(docker_host: str, api_version: str, containers: Sequence[str], tags: Sequence[str]) -> bool:
    """Remove ``containers`` then the image ``tags`` in a process of its own, which outlives this one.

    False, and nothing done, when the engine is not on this machine's socket: the caller removes them.
    """
    path = engine_socket(docker_host)
    if path is None:
        return False
    command = [sys.executable, "-I", "-S", __file__, path, api_version, ",".join(tags), *containers]
    quiet = subprocess.DEVNULL
    _DETACHED[:] = [process for process in _DETACHED if process.poll() is None]  # reaps those that finished
    try:  # in its own session, so that a Ctrl-C to the terminal does not stop it halfway; in / so that it
        # holds no folder of the session's (a mount the caller means to unmount next, say)
        process = subprocess.Popen(command, stdin=quiet, stdout=quiet, stderr=quiet, cwd="/", start_new_session=True)
    except OSError:
        return False
    _DETACHED.append(process)  # not waited for: kept so that it is not reported as left running
    return True


class _UnixConnection(http.client.HTTPConnection):
    """HTTP to the engine's socket: the standard library alone, in an interpreter started without the package."""

    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=120)
        self.socket_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


def delete(path: str, url: str) -> int:
    """Send one DELETE to the engine at the socket ``path``; its HTTP status."""
    connection = _UnixConnection(path)
    try:
        connection.request("DELETE", url)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def main(arguments: Sequence[str]) -> None:
    """``cleanup.py SOCKET API_VERSION TAG,… CONTAINER_ID…``: the containers, then the tags (none: "")."""
    path, version, tags, *containers = arguments
    for container in containers:
        delete(path, f"/v{version}/containers/{container}?force=1")
    for tag in filter(None, tags.split(",")):  # a docker reference holds no comma
        delete(path, f"/v{version}/images/{quote(tag, safe='/:')}")


if __name__ == "__main__":
    main(sys.argv[1:])

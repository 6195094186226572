"""Leave nothing behind: label what a session makes with its owner, and reap what dead owners left.

A session killed with SIGKILL cannot clean up; the next session on the same engine removes its
containers and image tags. An owner is a process on a host, with its start time so that a reused
PID is not taken for the old process. A live owner's things, or another host's, are never touched.
"""

from __future__ import annotations

import contextlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import docker

LABEL_PREFIX = "io.github.pytest-scratchimage"
OWNER = f"{LABEL_PREFIX}.owner"
SESSION = f"{LABEL_PREFIX}.session"
KEEP = f"{LABEL_PREFIX}.keep"
REPOSITORY = "pytest-scratchimage/"  # the tags sessions make; a tag of the user's on the same image is never removed


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
    """Remove containers and image tags whose owning session died; return what was removed."""
    import docker.errors

    removed = []
    for container in client.containers.list(all=True, filters={"label": OWNER}):
        if orphaned(container.labels):
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)
                removed.append(f"container {container.short_id}")
    for image in client.images.list(filters={"label": OWNER}):
        if orphaned(image.labels):
            for tag in (tag for tag in image.tags if tag.startswith(REPOSITORY)):
                with contextlib.suppress(docker.errors.APIError):
                    client.images.remove(tag)
                    removed.append(f"image {tag}")
    return removed

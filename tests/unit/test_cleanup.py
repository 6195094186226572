"""Leaving nothing behind: the detached removal at a session's end, and the reaper's care with it."""

from __future__ import annotations

import http.server
import socket
import socketserver
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_scratchimage.cleanup import OWNER, Owner, engine_socket, made_by_a_session, main, reap, remove_detached


class Engine(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """An engine's socket that answers every DELETE with 204 and keeps the paths, in order."""

    daemon_threads = True

    def __init__(self, path: str) -> None:
        self.deleted: list[str] = []
        super().__init__(path, Handler)


class Handler(http.server.BaseHTTPRequestHandler):
    server: Engine

    def do_DELETE(self) -> None:
        self.server.deleted.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:  # a socket's path is short: 107 bytes at most
        server = Engine(str(Path(folder) / "engine.sock"))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield server
        finally:
            server.shutdown()
            server.server_close()


DELETES = [
    "/v1.41/containers/c1?force=1",
    "/v1.41/containers/c2?force=1",
    "/v1.41/images/pytest-scratchimage/random-api:0123-4567",
]


@pytest.mark.parametrize(
    ("docker_host", "path"),
    [
        ("", "/var/run/docker.sock"),
        ("unix:///run/user/0/podman/podman.sock", "/run/user/0/podman/podman.sock"),
        ("tcp://127.0.0.1:2375", None),
        ("ssh://me@box", None),
    ],
)
def test_the_engine_socket_is_read_from_docker_host(docker_host: str, path: str | None) -> None:
    assert engine_socket(docker_host) == path


def test_the_containers_go_first_then_the_image_tag(engine: Engine) -> None:
    main([str(engine.server_address), "1.41", "pytest-scratchimage/random-api:0123-4567", "c1", "c2"])
    assert engine.deleted == DELETES


def test_without_an_image_only_the_containers_go(engine: Engine) -> None:
    main([str(engine.server_address), "1.41", "", "c1"])
    assert engine.deleted == DELETES[:1]


def test_a_process_of_its_own_removes_them_after_the_caller_returned(engine: Engine) -> None:
    docker_host = f"unix://{engine.server_address}"
    assert remove_detached(docker_host, "1.41", ["c1", "c2"], ["pytest-scratchimage/random-api:0123-4567"])
    deadline = time.monotonic() + 30
    while len(engine.deleted) < len(DELETES) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert engine.deleted == DELETES


def test_an_engine_elsewhere_is_left_to_the_caller() -> None:
    assert not remove_detached("tcp://127.0.0.1:1", "1.41", ["c1"], ["tag"])


class Api:
    """The engine's listings and removals, as the docker SDK's low-level client has them."""

    def __init__(self, containers: list[dict[str, Any]], images: list[dict[str, Any]]) -> None:
        self.listed, self.listed_images = containers, images
        self.removed: list[str] = []

    def containers(self, **query: Any) -> list[dict[str, Any]]:
        return self.listed

    def images(self, **query: Any) -> list[dict[str, Any]]:
        return self.listed_images

    def remove_container(self, container: str, force: bool) -> None:
        self.removed.append(container)

    def remove_image(self, tag: str) -> None:
        self.removed.append(tag)


def test_the_reaper_removes_what_dead_sessions_left_but_what_is_being_removed() -> None:
    dead = {OWNER: str(Owner(socket.gethostname(), 2**22 + 1, "0"))}  # above Linux's largest PID
    alive = {OWNER: str(Owner.current())}
    containers = [
        {"Id": "a" * 64, "State": "removing", "Labels": dead},
        {"Id": "b" * 64, "State": "exited", "Labels": dead},
        {"Id": "c" * 64, "State": "running", "Labels": alive},
    ]
    images = [
        {"Id": "d", "RepoTags": ["pytest-scratchimage/app:1", "myapp:tested"], "Labels": dead},
        {"Id": "e", "RepoTags": ["pytest-scratchimage/app:2"], "Labels": alive},
    ]
    api = Api(containers, images)
    assert reap(SimpleNamespace(api=api)) == ["container bbbbbbbbbbbb", "image pytest-scratchimage/app:1"]
    assert api.removed == ["b" * 64, "pytest-scratchimage/app:1"]  # the user's own tag stays


@pytest.mark.parametrize(
    ("tag", "ours"),
    [
        ("pytest-scratchimage/random-api:0123-4567", True),
        ("docker.io/pytest-scratchimage/random-api:0123-4567", True),  # as Podman names it
        ("localhost/pytest-scratchimage/use:4567", True),
        ("myapp:tested", False),
        ("docker.io/library/pytest-scratchimage:1", False),
        ("registry.example.com/pytest-scratchimage/app:1", False),
    ],
)
def test_a_session_removes_only_the_tags_sessions_make(tag: str, ours: bool) -> None:
    assert made_by_a_session(tag) is ours

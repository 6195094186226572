"""Which address the engine publishes the app's port on, from DOCKER_HOST; what closing a session removes."""

from __future__ import annotations

import socket
from pathlib import Path
from types import SimpleNamespace

import pytest

from pytest_scratchimage import ScratchImageError, session
from pytest_scratchimage.layers import AppFiles, tar_of
from pytest_scratchimage.run import ScratchContainer
from pytest_scratchimage.session import ScratchSession, content_size, engine_address, layers_line
from pytest_scratchimage.settings import resolve


@pytest.mark.parametrize(
    ("docker_host", "address"),
    [
        ("", "127.0.0.1"),
        ("unix:///var/run/docker.sock", "127.0.0.1"),
        ("unix:///run/user/1000/podman/podman.sock", "127.0.0.1"),
        ("tcp://127.0.0.1:2375", "127.0.0.1"),
        ("tcp://localhost:2376", "127.0.0.1"),
        ("tcp://127.0.0.2:2375", "127.0.0.2"),
        ("tcp://10.1.2.3:2375", "10.1.2.3"),
        ("https://10.1.2.3:2376", "10.1.2.3"),
    ],
)
def test_the_engine_publishes_where_docker_host_reaches_it(docker_host: str, address: str) -> None:
    assert engine_address(docker_host) == address


def test_an_ssh_engine_is_refused_with_the_way_out() -> None:
    with pytest.raises(ScratchImageError, match=r"over ssh:// the app's published port cannot be probed from here"):
        engine_address("ssh://deploy@build-host")


def test_an_engine_host_without_an_address_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def unknown(*_: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    with pytest.raises(ScratchImageError, match=r"'tcp://build-box:2376': build-box has no IPv4 address here"):
        engine_address("tcp://build-box:2376")


class Removals:
    """What a closing session asked the engine, or a detached process, to remove."""

    def __init__(self) -> None:
        self.here: list[str] = []
        self.detached: list[tuple[str, list[str], list[str]]] = []

    def session(self, tmp_path: Path) -> ScratchSession:
        made = ScratchSession(resolve({"app": "api:app"}, tmp_path), tmp_path, lambda message: None)
        removed = self.here
        api = SimpleNamespace(api_version="1.41")
        made._client = SimpleNamespace(api=api, images=SimpleNamespace(remove=removed.append), ping=lambda: True)
        container = SimpleNamespace(id="c1", remove=lambda force: removed.append("c1"))
        made.containers = [ScratchContainer("c1", "http://127.0.0.1:1", 8000, 0.5, "/", container)]
        made._image = SimpleNamespace(tag="p/api:1")  # type: ignore[assignment]
        made._own_tag = "p/api:1"
        return made

    def detach(self, docker_host: str, version: str, containers: list[str], tags: list[str]) -> bool:
        self.detached.append((version, list(containers), list(tags)))
        return True


def test_closing_without_waiting_hands_the_removal_over_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    removals = Removals()
    monkeypatch.setattr(session, "remove_detached", removals.detach)
    closing = removals.session(tmp_path)
    closing.close(wait=False)
    closing.close(wait=False)  # nothing left to remove: no process for nothing
    assert removals.detached == [("1.41", ["c1"], ["p/api:1"])]
    assert removals.here == []


def test_closing_and_waiting_removes_the_containers_then_the_tag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    removals = Removals()
    monkeypatch.setattr(session, "remove_detached", removals.detach)
    removals.session(tmp_path).close()
    assert removals.here == ["c1", "p/api:1"]
    assert removals.detached == []


def test_what_cannot_be_handed_over_is_removed_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    removals = Removals()
    monkeypatch.setattr(session, "remove_detached", lambda *arguments: False)  # an engine over TCP, say
    removals.session(tmp_path).close(wait=False)
    assert removals.here == ["c1", "p/api:1"]


def test_a_kept_session_removes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    removals = Removals()
    monkeypatch.setattr(session, "remove_detached", removals.detach)
    kept = removals.session(tmp_path)
    kept.keep = True
    kept.close(wait=False)
    assert (removals.here, removals.detached) == ([], [])


def test_a_held_image_stays_until_released(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    removals = Removals()
    monkeypatch.setattr(session, "remove_detached", removals.detach)
    held = removals.session(tmp_path)
    held.hold = True
    held.close(wait=False)
    assert removals.detached == [("1.41", ["c1"], [])]  # the containers go; the image waits
    held.release(wait=False)
    assert removals.detached[-1] == ("1.41", [], ["p/api:1"])


def test_cleanup_without_the_engine_says_what_it_left_and_never_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import requests

    def refused(force: bool) -> None:
        raise requests.ConnectionError(ConnectionRefusedError(111, "Connection refused"))

    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:2375")
    said: list[str] = []
    lost = Removals().session(tmp_path)
    lost.progress = said.append
    lost.containers[0].container.remove = refused
    lost.close()
    assert said == [
        "engine: the Docker engine stopped answering at tcp://127.0.0.1:2375 during cleanup (Connection refused); "
        "left container c1 and image tag p/api:1: the next session on this engine removes them"
    ]
    lost.release()  # nothing more to remove, nothing more said
    assert len(said) == 1


def test_a_lost_engine_is_told_before_the_removal_is_handed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import requests

    def refused() -> bool:
        raise requests.ConnectionError(FileNotFoundError(2, "No such file or directory"))

    removals = Removals()
    monkeypatch.setattr(session, "remove_detached", removals.detach)
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    said: list[str] = []
    lost = removals.session(tmp_path)
    lost.progress = said.append
    assert lost._client is not None
    lost._client.ping = refused
    lost.close(wait=False)
    assert removals.detached == []
    assert said == [
        "engine: the Docker engine stopped answering at unix:///var/run/docker.sock during cleanup (No such file or "
        "directory); left container c1 and image tag p/api:1: the next session on this engine removes them"
    ]


class GoneContainer:
    """A container removed from the engine meanwhile: its reload raises NotFound."""

    def reload(self) -> None:
        import docker.errors

        raise docker.errors.NotFound("No such container")


def test_a_container_removed_meanwhile_is_not_audited_as_running() -> None:
    from pytest_scratchimage.run import ScratchContainer
    from pytest_scratchimage.session import _running

    gone = ScratchContainer("c0ffee", "http://127.0.0.1:1", 8000, 1.0, "/", GoneContainer())
    assert _running(gone) is False


def test_the_layers_line_weighs_each_layers_files_not_its_tar() -> None:
    runtime = tar_of({"app": b"\x7fELF" + b"x" * 4_996, "tmp/.keep": b""})
    app = tar_of({"opt/app/shop.pyc": b"p" * 1_600, "opt/app/page.html": b"<p>"})
    assert (content_size(runtime), content_size(app)) == (5_000, 1_603)
    assert len(app) == 10_240  # what the line showed for every app, whatever its size
    files = AppFiles(("shop",), ((Path("shop.py"), "shop.py"),), ((Path("page.html"), "page.html"),))
    line = layers_line(runtime, app, files)
    assert line.startswith("runtime 5.00 KB; app 1.60 KB (1 module, 1 other file), ")
    assert line.endswith(" gzipped: what a release of the app's code alone pushes")

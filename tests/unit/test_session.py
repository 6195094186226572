"""Which address the engine publishes the app's port on, from DOCKER_HOST."""

from __future__ import annotations

import socket

import pytest

from pytest_scratchimage import ScratchImageError
from pytest_scratchimage.session import engine_address


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

"""An engine reached over TCP publishes the app's port on the address DOCKER_HOST names; probes go there.

There is no second machine here: 127.0.0.2 stands in for the engine's host (loopback, yet not 127.0.0.1,
so a probe that went to 127.0.0.1 would find nothing), reached by a relay from a TCP port to the local
engine's socket.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import docker
import pytest

from pytest_scratchimage.cleanup import OWNER

pytestmark = pytest.mark.integration

ENGINE_HOST = "127.0.0.2"


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def tcp_relay(address: str, engine_socket: str) -> Iterator[int]:
    """A TCP port on ``address`` whose connections are carried to the engine's unix socket; closed on exit."""
    server = socket.create_server((address, 0))
    connections: list[socket.socket] = []

    def serve() -> None:
        with contextlib.suppress(OSError):  # the server closed
            while True:
                client, _ = server.accept()
                engine = socket.socket(socket.AF_UNIX)
                engine.connect(engine_socket)
                connections.extend((client, engine))
                for source, sink in ((client, engine), (engine, client)):
                    threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield int(server.getsockname()[1])
    finally:
        server.close()
        for connection in connections:
            connection.close()


@pytest.fixture
def engine_socket() -> str:
    url = urlsplit(os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock")
    if url.scheme != "unix":
        pytest.skip(f"the relay needs the engine's unix socket, not DOCKER_HOST={url.geturl()}")
    return url.path


def test_an_engine_over_tcp_publishes_and_is_probed_at_its_hosts_address(
    pytester: pytest.Pytester,
    built_fixture_app: list[str],
    engine_socket: str,
    engine: docker.DockerClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytester.makepyfile(
        f"""
        def test_probe(scratch_container, scratch_http):
            assert scratch_container.url.startswith("http://{ENGINE_HOST}:")
            assert scratch_http.get("/number").ok
        """
    )
    before = mine(engine)
    with tcp_relay(ENGINE_HOST, engine_socket) as port:
        monkeypatch.setenv("DOCKER_HOST", f"tcp://{ENGINE_HOST}:{port}")
        result = pytester.runpytest("--scratch-image", *built_fixture_app)
    result.assert_outcomes(passed=1)
    assert mine(engine) <= before  # the inner session left nothing: over TCP it removes before it returns


def mine(engine: docker.DockerClient) -> set[str]:
    """The containers this process's sessions own (other sessions may share the engine meanwhile)."""
    listed = engine.api.containers(all=True, filters={"label": OWNER})
    return {str(c["Id"]) for c in listed if f":{os.getpid()}:" in c["Labels"][OWNER]}

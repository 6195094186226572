"""Faults of the engine under a session, survived: each fails the tests that need it with one line, the summary and
the gates still print, the run exits 1 (never 3, pytest's internal error), and cleanup says what it left."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from pytest_scratchimage.cleanup import OWNER, SESSION, Owner
from pytest_scratchimage.plugin import RUNNING

pytestmark = pytest.mark.integration

APPS = Path(__file__).parent.parent / "apps"
SUMMARY = "*= scratch image =*"


def survived(result: pytest.RunResult) -> None:
    """A clean run of failures: exit status 1, no internal error, no traceback through the plugin, the summary."""
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    assert "INTERNALERROR" not in output
    assert not re.search(r"pytest_scratchimage/\w+\.py:\d+", output), output
    result.stdout.fnmatch_lines([SUMMARY, "image    pytest-scratchimage/*"])


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


class Relay:
    """TCP on 127.0.0.1 to the engine's socket, until ``cut``: then the engine is gone, as a killed dockerd is."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        self._listen(0)
        self.address = f"tcp://127.0.0.1:{self.port}"

    def _listen(self, port: int) -> None:
        self.listener = socket.create_server(("127.0.0.1", port))
        self.port = int(self.listener.getsockname()[1])
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # cut
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.path)
            with self.lock:
                self.open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and drop those open: the accept() returns once its socket is shut down."""
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(5)
        with self.lock:
            for connection in self.open:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self.open.clear()

    def restart(self, meanwhile: Callable[[], None]) -> None:
        """Cut, do ``meanwhile`` (remove the containers, as an engine restarted without them), answer again."""
        self.cut()
        meanwhile()
        self._listen(self.port)


class CutEngine:
    """A plugin for the inner session: its ``cut_engine`` fixture cuts the relay; ``restart_engine(id)`` cuts it,
    removes that container, and relays again."""

    def __init__(self, relay: Relay, engine: docker.DockerClient) -> None:
        self.relay = relay
        self.engine = engine

    @pytest.fixture
    def cut_engine(self) -> Callable[[], None]:
        return self.relay.cut

    @pytest.fixture
    def restart_engine(self) -> Callable[[str], None]:
        def restart(container: str) -> None:
            self.relay.restart(lambda: self.engine.containers.get(container).remove(force=True))

        return restart


@pytest.fixture
def leftovers(engine: docker.DockerClient, pytestconfig: pytest.Config) -> Iterator[None]:
    """Removes what the inner sessions (this process, another session than the outer one) left on the engine."""
    yield
    outer = pytestconfig.stash[RUNNING].session
    owner = f"{OWNER}={Owner.current()}"
    for container in engine.containers.list(all=True, filters={"label": owner}, ignore_removed=True):
        if outer is None or container.labels.get(SESSION) != outer.id:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)
    for image in engine.images.list(filters={"label": owner}):
        if outer is None or image.labels.get(SESSION) != outer.id:
            for tag in image.tags:
                with contextlib.suppress(docker.errors.ImageNotFound):
                    engine.images.remove(tag)


@pytest.fixture
def relay(
    built_fixture_app: list[str], engine: docker.DockerClient, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Relay]:
    """DOCKER_HOST for the inner session: a relay to this engine's socket that its test cuts (``engine`` is direct)."""
    path = (os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock").removeprefix("unix://")
    if not Path(path).is_socket():
        pytest.skip(f"the relay needs the engine on a socket of this machine, not {path}")
    relay = Relay(path)
    monkeypatch.setenv("DOCKER_HOST", relay.address)
    yield relay
    relay.cut()


@pytest.mark.usefixtures("leftovers")
def test_the_engine_lost_mid_session_fails_what_needs_it_and_the_summary_prints(
    pytester: pytest.Pytester, relay: Relay, built_fixture_app: list[str], engine: docker.DockerClient
) -> None:
    pytester.makepyfile(
        """
        def test_cuts_then_fails(scratch_http, cut_engine):
            assert scratch_http.get("/number").status_code == 200
            cut_engine()
            assert False, "its report reads the container's log from the engine gone"

        def test_needs_the_engine(scratch_http):
            pass

        def test_needs_nothing():
            pass
        """
    )
    result = pytester.runpytest(
        "--scratch-image", *built_fixture_app, "-p", "no:randomly", plugins=[CutEngine(relay, engine)]
    )
    survived(result)
    result.assert_outcomes(passed=1, failed=2, errors=1)  # the test that cuts it, and the gate left unchecked
    lost = f"engine: the Docker engine stopped answering at {relay.address} during"
    result.stdout.fnmatch_lines(
        [f"{lost} the check that *::test_needs_the_engine could use the container (*); is dockerd running?"]
    )
    result.stdout.fnmatch_lines(
        ["*- scratch container, log tail -*", f"{lost} the reading of the container's log (*); is dockerd running?"]
    )
    result.stdout.fnmatch_lines(
        [
            f"scratch image: {lost} cleanup (*); left container * and image tag pytest-scratchimage/*: "
            "the next session on this engine removes them"
        ]
    )
    result.stdout.fnmatch_lines(  # the gate could not be checked: it fails rather than passes unseen
        [f"FAILED session gate: not checked (no shell, no setid files, the user): {lost} the session gate's audit (*); "
         "is dockerd running?"]
    )  # fmt: skip
    left = re.search(r"left container (\w+) and image tag (\S+):", result.stdout.str())
    assert left is not None
    assert engine.containers.get(left[1]).status == "running"  # left indeed, for the reaper (here: leftovers)
    assert engine.images.get(left[2])


def test_a_container_removed_by_hand_fails_the_next_test_that_needs_it(
    pytester: pytest.Pytester, built_fixture_app: list[str]
) -> None:
    pytester.makepyfile(
        """
        import docker

        def test_removes_then_fails(scratch_container):
            docker.from_env().containers.get(scratch_container.id).remove(force=True)
            assert False, "its report reads the container's log, gone"

        def test_needs_it(scratch_http):
            pass
        """
    )
    result = pytester.runpytest("--scratch-image", *built_fixture_app, "-p", "no:randomly")
    survived(result)
    result.assert_outcomes(failed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["run: the container * was removed during the session (docker rm?) before *::test_needs_it could use it"]
    )
    result.stdout.fnmatch_lines(["*- scratch container, log tail -*", "run: the container * is gone"])


@pytest.fixture
def crash_app(fixture_app_ini: dict[str, str]) -> list[str]:
    """Inner-session options for the app that crashes after its first answer (no gate but its tests fails)."""
    settings = {"app": "crash_app:application", "app_path": str(APPS), "health_path": "/", "record": "false"}
    ini = settings | {"compression": "zlib-only", "budget": "20MB", "env": "CRASH_AFTER_FIRST=1"}
    ini["cache_dir"] = fixture_app_ini["cache_dir"]  # built once, then cached with the fixture app's binaries
    return [arg for name, value in ini.items() for arg in ("-o", f"scratch_image_{name}={value}")]


def test_an_app_that_crashes_after_its_first_answer_fails_the_next_test_that_needs_it(
    pytester: pytest.Pytester, crash_app: list[str]
) -> None:
    pytester.makepyfile(
        """
        import time

        import pytest
        import requests

        def test_crashes_it(scratch_http, scratch_container):
            with pytest.raises(requests.ConnectionError):
                scratch_http.get("/")
            deadline = time.monotonic() + 30
            while scratch_container.status() == "running" and time.monotonic() < deadline:
                time.sleep(0.05)

        def test_needs_it(scratch_http):
            pass

        def test_needs_nothing():
            pass
        """
    )
    result = pytester.runpytest("--scratch-image", *crash_app, "-p", "no:randomly")
    survived(result)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["run: the app exited with code * before *::test_needs_it could use it (it stopped mid-session); its log*"]
    )
    assert "FAILED scratch_image_budget" not in result.stdout.str()  # the tests alone fail the session


@pytest.mark.usefixtures("leftovers")
def test_the_engine_restarted_without_the_container_fails_the_next_test_that_needs_it(
    pytester: pytest.Pytester, relay: Relay, built_fixture_app: list[str], engine: docker.DockerClient
) -> None:
    pytester.makepyfile(
        """
        def test_restarts_the_engine(scratch_container, restart_engine):
            restart_engine(scratch_container.id)

        def test_needs_it(scratch_http):
            pass

        def test_needs_nothing():
            pass
        """
    )
    plugins = [CutEngine(relay, engine)]
    result = pytester.runpytest("--scratch-image", *built_fixture_app, "-p", "no:randomly", plugins=plugins)
    survived(result)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["run: the container * was removed during the session (docker rm?) before *::test_needs_it could use it"]
    )
    assert "left container" not in result.stdout.str()  # the engine answers again: cleanup removed the rest

"""Nothing left behind: on success, Ctrl-C, SIGTERM and SIGKILL; kept on request; shared under xdist."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import docker
import pytest

from pytest_scratchimage import ScratchContainer
from pytest_scratchimage.cleanup import OWNER

pytestmark = pytest.mark.integration

WAITS_WITH_A_CONTAINER = """
    import pathlib, time

    def test_waits(scratch_container):
        pathlib.Path("ready").write_text(scratch_container.id)
        time.sleep(120)
"""


def owned_by(client: docker.DockerClient, pid: int) -> list[str]:
    """Containers and image tags whose owner label names ``pid`` (from the listings: some may be going)."""
    mine = f":{pid}:"
    listed = client.api.containers(all=True, filters={"label": OWNER})
    containers = [str(c["Id"])[:12] for c in listed if mine in c["Labels"][OWNER]]
    listed = client.api.images(filters={"label": OWNER})
    images = [str(tag) for i in listed if mine in i["Labels"][OWNER] for tag in i.get("RepoTags") or []]
    return containers + images


def _sigint_as_usual() -> None:
    """SIGINT acts in the inner session, as Ctrl-C does, even when this suite runs in the background: a shell
    starts a background job with SIGINT ignored, its children inherit that, and Python then keeps it so."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_session(pytester: pytest.Pytester, args: list[str]) -> subprocess.Popen[bytes]:
    """An inner session in its own process, returned once its container is ready."""
    pytester.makepyfile(WAITS_WITH_A_CONTAINER)
    command = [sys.executable, "-m", "pytest", "--scratch-image", *args]
    process: subprocess.Popen[bytes] = pytester.popen(command, stdin=subprocess.DEVNULL, preexec_fn=_sigint_as_usual)
    deadline = time.monotonic() + 120
    while not Path(pytester.path, "ready").exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the inner session never got its container"
        time.sleep(0.2)
    return process


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_session_removes_what_it_made(
    pytester: pytest.Pytester,
    built_fixture_app: list[str],
    engine: docker.DockerClient,
    once_removed: Callable[..., list[str]],
    signum: int,
) -> None:
    process = start_session(pytester, built_fixture_app)
    assert owned_by(engine, process.pid)
    process.send_signal(signum)
    process.communicate(timeout=60)
    assert once_removed(lambda: owned_by(engine, process.pid)) == []


def test_a_session_that_ends_leaves_neither_container_nor_image_though_it_does_not_wait(
    pytester: pytest.Pytester,
    built_fixture_app: list[str],
    engine: docker.DockerClient,
    once_removed: Callable[..., list[str]],
) -> None:
    pytester.makepyfile("def test_probe(scratch_http): assert scratch_http.get('/number').ok")
    command = [sys.executable, "-m", "pytest", "--scratch-image", *built_fixture_app]
    process = pytester.popen(command, stdin=subprocess.DEVNULL)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output.decode(errors="replace")
    assert once_removed(lambda: owned_by(engine, process.pid)) == []


def test_the_next_session_reaps_what_a_killed_one_left_and_spares_live_ones(
    pytester: pytest.Pytester,
    built_fixture_app: list[str],
    engine: docker.DockerClient,
    scratch_container: ScratchContainer,
) -> None:
    killed = start_session(pytester, built_fixture_app)
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=30)
    assert len(owned_by(engine, killed.pid)) == 2  # its container and its image tag

    pytester.makepyfile("def test_built(scratch_image): pass")
    result = pytester.runpytest("--scratch-image", *built_fixture_app)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*removed container *, left by a session that died*"])
    assert owned_by(engine, killed.pid) == []
    assert scratch_container.status() == "running"  # this live session's container was not touched


def test_keep_leaves_the_container_running_and_says_how_to_reach_it(
    pytester: pytest.Pytester, built_fixture_app: list[str], engine: docker.DockerClient
) -> None:
    pytester.makepyfile("def test_probe(scratch_http): assert scratch_http.get('/number').ok")
    result = pytester.runpytest("--scratch-image", "--scratch-image-keep", *built_fixture_app)
    result.assert_outcomes(passed=1)
    line = next(line for line in result.outlines if line.startswith("kept container "))
    container = engine.containers.get(line.split()[2])
    try:
        assert container.status == "running"
        result.stdout.fnmatch_lines(["kept container * at http://127.0.0.1:*", "remove it with: docker rm -f *"])
    finally:
        tag = container.image.tags[0]
        container.remove(force=True)
        engine.images.remove(tag)


def test_under_xdist_each_worker_probes_and_the_controller_reports_once(
    pytester: pytest.Pytester, built_fixture_app: list[str]
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_probe(scratch_http, n):
            assert scratch_http.get("/number").status_code == 200
        """
    )
    result = pytester.runpytest_subprocess("--scratch-image", "-n", "2", *built_fixture_app)
    result.assert_outcomes(passed=4)
    assert result.stdout.str().count("= scratch image =") == 1
    result.stdout.fnmatch_lines(["size     * MB (* bytes, the engine's Size); compressed *"])

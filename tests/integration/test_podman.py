"""Podman's Docker-compatible socket, used as the plugin uses Docker's: where podman is installed.

``scripts/dev test`` installs it. The service is this module's own, on a socket in a temporary folder,
stopped by its PID at the end; the plugin removes what it made there, as on Docker.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

pytestmark = pytest.mark.integration

# A root without CAP_SYS_RESOURCE (a sandboxed CI machine) cannot raise the file and process limits
# Podman asks for by default: runc then refuses every container ("error setting rlimits").
CONTAINERS_CONF = '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n'

PROBES = """
    from pytest_scratchimage import assert_no_shell, assert_runs_as, assert_stops_gracefully

    def test_probes(scratch_http):
        assert scratch_http.get("/number").ok

    def test_hardened(scratch_image, scratch_container):
        assert_runs_as(scratch_container, 65535)
        assert_no_shell(scratch_image, scratch_container)

    def test_stops(scratch_start_container):
        # Podman's stop goes through conmon and its cleanup processes: on a loaded machine a clean stop was
        # seen to take over 5 s once, and over 10 s twice in full runs beside the corpus's builds on the same
        # 2 cores; an app that ignores SIGTERM still fails, at 20 s
        assert_stops_gracefully(scratch_start_container(), within=20)
"""


@pytest.fixture(scope="module")
def podman_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``DOCKER_HOST`` of a Podman API service started for these tests."""
    podman = shutil.which("podman")
    if podman is None:
        pytest.skip("podman is not installed (scripts/dev test installs it)")
    folder = tmp_path_factory.mktemp("podman")
    (folder / "containers.conf").write_text(CONTAINERS_CONF)
    url = f"unix://{folder / 'podman.sock'}"
    environment = os.environ | {"CONTAINERS_CONF": str(folder / "containers.conf")}
    with (folder / "service.log").open("wb") as log:
        command = [podman, "system", "service", "--time=0", url]
        service = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_engine(url, service, folder / "service.log")
        yield url
    finally:
        service.terminate()
        service.wait(timeout=30)


def wait_for_engine(url: str, service: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            docker.DockerClient(base_url=url).ping()
            return
        except docker.errors.DockerException:
            if service.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"podman system service did not answer at {url}; its log:\n{log.read_text()}")
            time.sleep(0.2)


def test_podmans_socket_builds_runs_probes_and_cleans_up(
    pytester: pytest.Pytester,
    built_fixture_app: list[str],
    podman_socket: str,
    monkeypatch: pytest.MonkeyPatch,
    once_removed: Callable[..., list[object]],
) -> None:
    pytester.makepyfile(PROBES)
    monkeypatch.setenv("DOCKER_HOST", podman_socket)
    result = pytester.runpytest("--scratch-image", *built_fixture_app)
    result.assert_outcomes(passed=3)
    podman = docker.DockerClient(base_url=podman_socket)
    assert podman.version()["Components"][0]["Name"] == "Podman Engine"
    assert once_removed(lambda: podman.containers.list(all=True)) == []
    assert once_removed(podman.images.list) == []

"""The fixture app's image, built and probed for real: every point the core promises."""

from __future__ import annotations

import re
import stat
import time
from collections.abc import Callable
from pathlib import Path

import docker
import pytest
import requests

from pytest_scratchimage import (
    ScratchContainer,
    ScratchImage,
    assert_no_shell,
    assert_runs_as,
    assert_size_within,
)
from pytest_scratchimage.settings import Settings

pytestmark = pytest.mark.integration


def test_number_is_within_its_limits(scratch_http: requests.Session) -> None:
    for _ in range(20):
        response = scratch_http.get("/number")
        assert response.status_code == 200
        body = response.json()
        assert body["lowerLimit"] == 0
        assert body["higherLimit"] == 100
        assert body["lowerLimit"] <= body["number"] <= body["higherLimit"]


def test_unknown_path_is_404(scratch_http: requests.Session) -> None:
    assert scratch_http.get("/nothing-here").status_code == 404


@pytest.mark.size_budget("9MB")
def test_default_build_is_under_9mb(scratch_image: ScratchImage) -> None:
    assert_size_within(scratch_image, "9MB")


def test_size_is_the_engines_size(scratch_image: ScratchImage, engine: docker.DockerClient) -> None:
    assert scratch_image.size == engine.images.get(scratch_image.id).attrs["Size"]


def test_every_process_runs_as_65535(scratch_container: ScratchContainer) -> None:
    assert_runs_as(scratch_container, 65535)
    assert len(scratch_container.process_users()) >= 3  # StaticX, gunicorn's arbiter, its workers


def test_no_shell_in_files_nor_by_exec(scratch_image: ScratchImage, scratch_container: ScratchContainer) -> None:
    assert_no_shell(scratch_image, scratch_container)
    probe = scratch_container.probe_shell()
    assert probe.exit_code in {126, 127}, probe


def test_filesystem_is_the_binary_the_app_tmp_and_read_only_scanner_files(
    scratch_image: ScratchImage, scratch_settings: Settings
) -> None:
    files = {f.path: f for f in scratch_image.files()}
    app = {path: f for path, f in files.items() if path.split("/")[1] == "opt"}  # the thin layer
    layered = {"/opt", "/opt/app", "/opt/app/random_api.pyc"} if scratch_settings.layout == "layers" else set()
    assert set(app) == layered
    assert all((f.uid, f.gid, f.mode & 0o7777) in {(0, 0, 0o444), (0, 0, 0o555), (0, 0, 0o755)} for f in app.values())
    scanners = {path: f for path, f in files.items() if path not in {"/app", "/tmp", *app}}
    assert "/usr/share/sbom/app.cdx.json" in scanners
    assert "/var/lib/dpkg/status.d/libc6" in scanners
    assert all(path.split("/")[1] in {"usr", "var", "etc"} for path in scanners)
    assert all((f.uid, f.gid, f.mode & 0o7777) in {(0, 0, 0o444), (0, 0, 0o555)} for f in scanners.values())
    assert sum(f.size for f in scanners.values()) < 20_000  # a few KB: the SBOM and its stubs
    assert (files["/app"].uid, files["/app"].mode) == (0, 0o755)
    assert (files["/tmp"].uid, files["/tmp"].mode) == (0, 0o1777)
    assert not any(f.mode & (stat.S_ISUID | stat.S_ISGID) for f in files.values())


def test_image_config_is_hardened(scratch_image: ScratchImage, engine: docker.DockerClient) -> None:
    config = engine.images.get(scratch_image.id).attrs["Config"]
    assert config["User"] == "65535"
    assert config["Entrypoint"] == ["/app"]
    assert "8000/tcp" in config["ExposedPorts"]
    assert config["Labels"]["io.github.pytest-scratchimage.app"] == "random_api:app"


def test_container_is_hardened_and_on_loopback(
    scratch_container: ScratchContainer, engine: docker.DockerClient
) -> None:
    attrs = engine.containers.get(scratch_container.id).attrs
    host = attrs["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    # What the processes hold, however the engine records the drop (Podman lists each capability it dropped)
    status = Path(f"/proc/{attrs['State']['Pid']}/status").read_text()
    assert re.findall(r"^Cap(?:Eff|Bnd):\s+(\w+)$", status, re.MULTILINE) == ["0000000000000000"] * 2
    assert "no-new-privileges" in host["SecurityOpt"]
    assert "exec" in host["Tmpfs"]["/tmp"]
    assert {b["HostIp"] for b in host["PortBindings"]["8000/tcp"]} == {"127.0.0.1"}
    assert scratch_container.url.startswith("http://127.0.0.1:")


def test_entrypoint_is_not_overridden(scratch_container: ScratchContainer, engine: docker.DockerClient) -> None:
    config = engine.containers.get(scratch_container.id).attrs["Config"]
    assert config["Entrypoint"] == ["/app"]
    assert not config["Cmd"]


def test_gunicorn_cmd_args_tune_the_server_at_run_time(
    scratch_start_container: Callable[..., ScratchContainer],
) -> None:
    container = scratch_start_container(env={"GUNICORN_CMD_ARGS": "--workers 3"})
    deadline = time.monotonic() + 10
    while container.logs().count("Booting worker") < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert container.logs().count("Booting worker") == 3

"""Faults, tested: a killed container, a slow start, a graceful stop, a full disk, an unstartable image."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

import docker
import pytest

from pytest_scratchimage import ScratchContainer, ScratchImage, ScratchImageError, assert_stops_gracefully
from pytest_scratchimage.build import damaged
from pytest_scratchimage.run import RunSpec, start

pytestmark = pytest.mark.integration


def test_a_container_killed_mid_session_fails_the_next_probe_clearly(
    pytester: pytest.Pytester, built_fixture_app: list[str]
) -> None:
    pytester.makepyfile(
        """
        import docker

        def test_kills(scratch_container):
            docker.from_env().containers.get(scratch_container.id).kill()

        def test_probes(scratch_http):
            scratch_http.get("/number")
        """
    )
    result = pytester.runpytest("--scratch-image", *built_fixture_app, "-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    assert "During handling" not in result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*run: the app exited with code 137 before *test_probes could use it (it stopped mid-session)*"]
    )


def test_a_readiness_timeout_says_what_was_probed(pytester: pytest.Pytester, built_fixture_app: list[str]) -> None:
    pytester.makepyfile("def test_probe(scratch_http): pass")
    result = pytester.runpytest("--scratch-image", *built_fixture_app, "-o", "scratch_image_ready_timeout=0.05")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*run: no HTTP answer from http://127.0.0.1:*/health within 0.05 s (scratch_image_ready_timeout)*"]
    )


def test_docker_stop_reaches_gunicorn(
    scratch_start_container: Callable[..., ScratchContainer], request: pytest.FixtureRequest
) -> None:
    container = scratch_start_container()
    assert_stops_gracefully(container, within=2.5)
    log = container.logs()
    assert "Shutting down: Master" in log
    assert log.count("Worker exiting") == log.count("Booting worker") == 2, log  # each of the two workers
    # the session's own container is another one, unharmed, even when requested after this one
    default: ScratchContainer = request.getfixturevalue("scratch_container")
    assert default.id != container.id
    assert default.status() == "running"


def test_wait_time_delays_the_answer(scratch_start_container: Callable[..., ScratchContainer]) -> None:
    import requests

    container = scratch_start_container(env={"WAIT_TIME": "0.5"})
    response = requests.get(f"{container.url}/number", timeout=10)
    assert response.status_code == 200
    assert response.elapsed.total_seconds() >= 0.5


def test_nothing_is_world_writable_but_tmp_and_no_package_manager(scratch_image: ScratchImage) -> None:
    files = scratch_image.files()
    assert [f.path for f in files if f.world_writable] == ["/tmp"]
    assert not [f for f in files if f.setid]
    # a package manager's program; /var/lib/dpkg is the scanners' folder of what is inside (sbom.py)
    managers = {"apt", "apt-get", "dpkg", "apk", "pip", "rpm", "yum"}
    assert not [f.path for f in files if f.kind != "dir" and Path(f.path).name in managers]


@pytest.mark.skipif(shutil.which("mount") is None, reason="needs mount(8) for a small tmpfs")
def test_a_full_build_folder_gives_a_clear_error_and_tags_nothing(
    pytester: pytest.Pytester, fixture_app_args: list[str], engine: object, tmp_path: Path
) -> None:
    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(small)], check=False)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        pytester.makepyfile("def test_built(scratch_image): pass")
        args = [*fixture_app_args, "-o", f"scratch_image_cache_dir={small}", "-o", "scratch_image_workers=3"]
        result = pytester.runpytest("--scratch-image", *args)
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(["freeze: PyInstaller exited with code 1: No space left on device holding *"])
        ours = [line for line in result.outlines if "Traceback" in line and not line.startswith("  | ")]
        assert ours == []  # PyInstaller's own, cut short in its log's tail, is allowed
    finally:
        subprocess.run(["umount", str(small)], check=True)


def test_a_container_the_engine_cannot_start_is_removed_and_the_reason_told(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    labels = {"pytest-scratchimage.test": tmp_path.name}
    label = f"pytest-scratchimage.test={tmp_path.name}"
    empty = io.BytesIO()
    tarfile.open(fileobj=empty, mode="w").close()
    repository, version = "pytest-scratchimage/unstartable", tmp_path.name.lower()
    changes = ['ENTRYPOINT ["/missing"]', f"LABEL {label}"]
    engine.api.import_image_from_data(empty.getvalue(), repository=repository, tag=version, changes=changes)
    try:
        with pytest.raises(ScratchImageError, match=r'^run: the engine could not start .*exec: "/missing"'):
            start(engine, RunSpec(f"{repository}:{version}", 65535, 8000, labels=labels))
        assert not engine.containers.list(all=True, filters={"label": label})
    finally:
        engine.images.remove(f"{repository}:{version}")


def copied_cache(image: ScratchImage, fixture_app_ini: dict[str, str], folder: Path) -> tuple[str, Path]:
    """A cache of its own holding a copy of the outer session's build: its key, and the cache folder."""
    key = image.labels["io.github.pytest-scratchimage.key"]
    cache = folder / "cache"
    shutil.copytree(Path(fixture_app_ini["cache_dir"]) / key, cache / key)
    return key, cache


def test_a_damaged_cached_binary_is_rebuilt_and_the_line_says_why(
    pytester: pytest.Pytester,
    scratch_image: ScratchImage,
    fixture_app_ini: dict[str, str],
    fixture_app_args: list[str],
    tmp_path: Path,
) -> None:
    # the outer session's cache entry, copied, then truncated as a partly restored CI cache leaves it
    key, cache = copied_cache(scratch_image, fixture_app_ini, tmp_path)
    binary = cache / key / "app"
    size = binary.stat().st_size
    with binary.open("r+b") as stream:
        stream.truncate(1 << 20)
    pytester.makepyfile("def test_answers(scratch_http): assert scratch_http.get('/health').status_code == 200")
    result = pytester.runpytest("--scratch-image", *fixture_app_args, "-o", f"scratch_image_cache_dir={cache}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*cache: {key} was damaged (size 1,048,576, expected {size:,}): rebuilding"])
    # rebuilt whole (builds are not byte-for-byte reproducible, so its own record is the measure)
    assert binary.stat().st_size > 1 << 20
    assert damaged(cache / key) is None


def test_a_build_unused_for_a_month_leaves_the_cache_and_the_one_used_is_marked(
    pytester: pytest.Pytester,
    scratch_image: ScratchImage,
    fixture_app_ini: dict[str, str],
    fixture_app_args: list[str],
    tmp_path: Path,
) -> None:
    key, cache = copied_cache(scratch_image, fixture_app_ini, tmp_path)
    stale = cache / ("0" * 20)
    shutil.copytree(cache / key, stale)
    month_ago = time.time() - 31 * 24 * 3600
    for folder in (stale, cache / key):
        os.utime(folder, (month_ago, month_ago))
    pytester.makepyfile("def test_built(scratch_image): pass")
    result = pytester.runpytest("--scratch-image", *fixture_app_args, "-o", f"scratch_image_cache_dir={cache}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*cached build {key} *", "*cache: removed 1 build (*MB) unused for 30 days"])
    assert not stale.exists()
    assert (cache / key).stat().st_mtime > month_ago + 24 * 3600  # used now: a month from today it goes

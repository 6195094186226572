"""The plugin under the ways other people's CI calls pytest: one row per invocation, each on the real image."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree import ElementTree

import docker
import pytest

from pytest_scratchimage import ScratchImage
from pytest_scratchimage.cleanup import OWNER, SESSION, Owner
from pytest_scratchimage.plugin import RUNNING

pytestmark = pytest.mark.integration

TWO_TESTS = """
    def test_probe(scratch_http):
        assert scratch_http.get("/number").status_code == 200

    def test_plain():
        pass
"""
SUMMARY = "*= scratch image =*"


@pytest.fixture
def containers(
    engine: docker.DockerClient, pytestconfig: pytest.Config, once_removed: Callable[..., list[str]]
) -> Iterator[None]:
    """The inner session leaves no container behind, whatever the invocation.

    Other sessions may share the engine: a container counts when it is new and its owner is gone, or is
    this very process (an in-process inner session) under another session than the outer one.
    """
    outer = pytestconfig.stash[RUNNING].session
    before = {c.id for c in engine.containers.list(all=True, ignore_removed=True)}
    yield

    def left() -> list[str]:
        found = []
        for container in engine.containers.list(all=True, filters={"label": OWNER}, ignore_removed=True):
            owner = Owner.parse(container.labels[OWNER])
            ours = owner is not None and owner.pid == os.getpid()
            other_session = outer is None or container.labels.get(SESSION) != outer.id
            if container.id not in before and owner is not None and (not owner.alive() or (ours and other_session)):
                found.append(container.short_id)
        return found

    assert once_removed(left) == []


@pytest.mark.usefixtures("containers")
@pytest.mark.parametrize(
    "args",
    [[], ["-p", "no:xdist"], ["-n", "0"], ["-n", "2"], ["-q"], ["-v"], ["-p", "no:randomly"]],
    ids=lambda args: " ".join(args) or "plain",
)
def test_the_session_builds_probes_and_reports_once(
    pytester: pytest.Pytester, built_fixture_app: list[str], args: list[str]
) -> None:
    pytester.makepyfile(TWO_TESTS)
    result = pytester.runpytest_subprocess("--scratch-image", *built_fixture_app, *args)
    result.assert_outcomes(passed=2)
    assert result.stdout.str().count("= scratch image =") == 1
    result.stdout.fnmatch_lines([SUMMARY, "size     * MB (* bytes, the engine's Size); compressed *"])


@pytest.mark.usefixtures("containers")
def test_collect_only_never_builds_nor_starts(
    pytester: pytest.Pytester, fixture_app_args: list[str], tmp_path: Path
) -> None:
    pytester.makepyfile(TWO_TESTS)
    cache = tmp_path / "empty-cache"
    result = pytester.runpytest("--scratch-image", *fixture_app_args, "-o", f"scratch_image_cache_dir={cache}", "--co")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*2 tests collected*"])
    assert "scratch image:" not in result.stdout.str()
    assert not cache.exists()


@pytest.mark.usefixtures("containers")
def test_exit_first_stops_reports_and_cleans_up(pytester: pytest.Pytester, built_fixture_app: list[str]) -> None:
    pytester.makepyfile(
        """
        def test_fails(scratch_http):
            assert scratch_http.get("/nothing-here").status_code == 200

        def test_never_runs():
            pass
        """
    )
    result = pytester.runpytest("--scratch-image", *built_fixture_app, "-x", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([SUMMARY, "*stopping after 1 failures*"])


@pytest.mark.usefixtures("containers")
def test_last_failed_reruns_only_the_failure(pytester: pytest.Pytester, built_fixture_app: list[str]) -> None:
    pytester.makepyfile(
        """
        def test_fails(scratch_http):
            assert scratch_http.get("/nothing-here").status_code == 200

        def test_passes(scratch_http):
            assert scratch_http.get("/number").status_code == 200
        """
    )
    pytester.runpytest("--scratch-image", *built_fixture_app).assert_outcomes(passed=1, failed=1)
    rerun = pytester.runpytest("--scratch-image", *built_fixture_app, "--lf")
    rerun.assert_outcomes(failed=1)  # the passing test is not run again
    rerun.stdout.fnmatch_lines([SUMMARY])


@pytest.mark.usefixtures("containers")
def test_basetemp_and_junitxml(pytester: pytest.Pytester, built_fixture_app: list[str], tmp_path: Path) -> None:
    pytester.makepyfile(TWO_TESTS)
    junit = tmp_path / "junit.xml"
    result = pytester.runpytest(
        "--scratch-image", *built_fixture_app, f"--basetemp={tmp_path / 'base'}", f"--junitxml={junit}"
    )
    result.assert_outcomes(passed=2)
    properties = {p.get("name") for p in ElementTree.parse(junit).iter("property")}
    assert {"scratch_image_size", "scratch_image_compressed", "scratch_image_startup_seconds"} <= properties


@pytest.fixture
def user_cache(
    scratch_image: ScratchImage, fixture_app_ini: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """An XDG cache folder that already holds the outer session's binary, as a previous run would have left it."""
    outer = Path(fixture_app_ini["cache_dir"])
    key = scratch_image.labels["io.github.pytest-scratchimage.key"]
    folder = tmp_path / "xdg" / "pytest-scratchimage"
    shutil.copytree(outer / key, folder / key)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return folder


def without_cache_dir(ini: dict[str, str]) -> list[str]:
    """The fixture app's options but the cache folder: the plugin chooses it."""
    return [
        arg for name, value in ini.items() if name != "cache_dir" for arg in ("-o", f"scratch_image_{name}={value}")
    ]


@pytest.mark.usefixtures("containers")
def test_without_the_cache_plugin_binaries_go_to_the_user_cache_and_the_report_says_so(
    pytester: pytest.Pytester, fixture_app_ini: dict[str, str], user_cache: Path
) -> None:
    pytester.makepyfile(TWO_TESTS)
    result = pytester.runpytest("--scratch-image", *without_cache_dir(fixture_app_ini), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [f"scratch image: cached build * ({user_cache}/*)", f"cache    {user_cache} (the cache plugin is off)"]
    )


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` mounted read-only, as a checkout on a read-only volume is."""
    bound = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True, check=False)
    if bound.returncode != 0:
        pytest.skip(f"cannot bind-mount here (needs root): {bound.stderr.decode().strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True, capture_output=True)
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.usefixtures("containers")
@pytest.mark.parametrize("restored", [False, True], ids=["no cache yet", "a cache restored read-only"])
def test_a_read_only_rootdir_works_with_the_user_cache(
    fixture_app_ini: dict[str, str], user_cache: Path, tmp_path: Path, restored: bool
) -> None:
    # A folder of its own, outside pytest's numbered temporary folders: those are renamed and removed by
    # later sessions, which must never meet a mount point.
    project = Path(tempfile.mkdtemp(prefix="scratch-image-read-only-"))
    ours = project / ".pytest_cache" / "d" / "scratchimage"
    if restored:  # there already, as a CI cache restored read-only leaves it: its lock file cannot be made
        ours.mkdir(parents=True)
    try:
        (project / "test_two.py").write_text(textwrap.dedent(TWO_TESTS))
        command = [sys.executable, "-m", "pytest", "--scratch-image", *without_cache_dir(fixture_app_ini)]
        command += [f"--basetemp={tmp_path / 'base'}", "-p", "no:randomly"]
        # under tox, pytest keeps its cache in TOX_ENV_DIR: a read-only checkout's would be writable there
        env = {name: value for name, value in os.environ.items() if name != "TOX_ENV_DIR"}
        with read_only(project):
            done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)
    finally:
        shutil.rmtree(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
    why = ours if restored else "Read-only file system"
    assert f"cache    {user_cache} (the cache plugin's folder is not writable: {why})" in done.stdout

"""``--scratch-image-tag`` and ``--scratch-image-save``: a green session keeps the very image its tests probed; a red
one keeps nothing and says so. Inner sessions run in this process, which owns what they make: no other session's
reaper can take a kept image while a test looks at it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import tarfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from pytest_scratchimage.cleanup import OWNER, REPOSITORY, Owner, reap

pytestmark = pytest.mark.integration

RECORDS = """
    import json, os
    from pathlib import Path

    def test_probe(scratch_image, scratch_container, scratch_http):
        assert scratch_http.get("/number").ok
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        probed = {"image": scratch_image.id, "container": scratch_container.container.image.id}
        Path(f"probed-{worker}.json").write_text(json.dumps(probed))
"""


@pytest.fixture
def tag(engine: docker.DockerClient) -> Iterator[str]:
    """A tag of the user's for the tested image, removed after the test."""
    name = f"scratchimage-kept-{uuid.uuid4().hex[:8]}:tested"
    yield name
    with contextlib.suppress(docker.errors.ImageNotFound):
        engine.images.remove(name)


def probed(folder: Path) -> dict[str, str]:
    """Worker → the image ID its tests probed (the container's image is the fixture's)."""
    found = {}
    for path in folder.glob("probed-*.json"):
        facts = json.loads(path.read_text())
        assert facts["image"] == facts["container"]
        found[path.stem.removeprefix("probed-")] = facts["image"]
    return found


def test_a_green_session_tags_and_saves_the_probed_image(
    pytester: pytest.Pytester,
    built_fixture_app: list[str],
    engine: docker.DockerClient,
    tag: str,
    once_removed: Callable[..., list[str]],
    present: Callable[[str], list[str]],
    users_of: Callable[[str], list[str]],
) -> None:
    pytester.makepyfile(RECORDS)
    archive = pytester.path / "out" / "app.tar"
    result = pytester.runpytest(
        "--scratch-image", *built_fixture_app, f"--scratch-image-tag={tag}", f"--scratch-image-save={archive}"
    )
    assert result.ret == pytest.ExitCode.OK
    image_id = probed(pytester.path)["main"]
    result.stdout.fnmatch_lines(
        [f"tagged {tag}: image {image_id}, the one the tests probed", f"saved {tag} to {archive} (* MB): *"]
    )
    kept = engine.images.get(tag)
    assert kept.id == image_id
    assert once_removed(lambda: [t for t in engine.images.get(tag).tags if t != tag]) == []  # the session's went
    assert once_removed(lambda: users_of(image_id)) == []
    engine.images.remove(tag)
    assert present(image_id) == []
    loaded = engine.images.load(archive.read_bytes())
    assert [image.id for image in loaded] == [image_id]  # docker load gives back the very image
    assert engine.images.get(tag).id == image_id  # named as it was tagged


@pytest.mark.parametrize(
    ("tests", "args"),
    [
        ("def test_fails(scratch_image): assert False", []),
        ("def test_passes(scratch_image): pass", ["-o", "scratch_image_budget=1MB"]),
    ],
    ids=["a test failed", "a gate failed"],
)
def test_a_red_session_keeps_nothing_and_says_so(
    pytester: pytest.Pytester,
    built_fixture_app: list[str],
    engine: docker.DockerClient,
    tag: str,
    tests: str,
    args: list[str],
    once_removed: Callable[..., list[str]],
    present: Callable[[str], list[str]],
) -> None:
    pytester.makepyfile(
        tests + "\n" + "def test_records(scratch_image):\n    open('id', 'w').write(scratch_image.id)\n"
    )
    archive = pytester.path / "app.tar"
    result = pytester.runpytest(
        "--scratch-image", *built_fixture_app, *args, f"--scratch-image-tag={tag}", f"--scratch-image-save={archive}"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [f"not tagged {tag}: the session failed", f"not saved to {archive}: the session failed"]
    )
    with pytest.raises(docker.errors.ImageNotFound):
        engine.images.get(tag)
    tested = (pytester.path / "id").read_text()
    assert once_removed(lambda: present(tested)) == []  # the tested image went with the session
    assert not archive.exists()
    assert not list(pytester.path.glob("*.partial"))


def test_under_xdist_the_controller_keeps_one_probed_image_and_removes_the_others(
    pytester: pytest.Pytester,
    built_fixture_app: list[str],
    engine: docker.DockerClient,
    tag: str,
    monkeypatch: pytest.MonkeyPatch,
    once_removed: Callable[..., list[str]],
    present: Callable[[str], list[str]],
) -> None:
    pytester.makepyfile(RECORDS)
    pytester.makepyfile(test_second=RECORDS)
    summary, page = pytester.path / "summary.md", pytester.path / "size.html"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    args = ["-n", "2", f"--scratch-image-tag={tag}", f"--scratch-image-html={page}"]
    result = pytester.runpytest("--scratch-image", *built_fixture_app, *args)
    assert result.ret == pytest.ExitCode.OK
    assert summary.read_text().count("## Scratch image") == 1  # the controller's alone
    assert f"- tagged {tag}: image " in summary.read_text()
    assert page.read_text().count('<svg id="treemap"') == 1
    ids = probed(pytester.path)
    kept = engine.images.get(tag)
    assert kept.id in ids.values()
    assert once_removed(lambda: [t for t in engine.images.get(tag).tags if t != tag]) == []
    for image_id in set(ids.values()) - {kept.id}:  # each worker imported its own image of the same binary
        assert once_removed(lambda image_id=image_id: present(image_id)) == []
    assert result.stdout.str().count(f"tagged {tag}") == 1


def test_the_reaper_removes_a_dead_sessions_tags_and_never_a_tag_of_the_users(engine: docker.DockerClient) -> None:
    dead = Owner(socket.gethostname(), os.getpid(), "a start time this process never had")
    files = io.BytesIO()
    with tarfile.open(fileobj=files, mode="w") as tar:
        tar.addfile(tarfile.TarInfo("empty"), io.BytesIO(b""))
    suffix = uuid.uuid4().hex[:8]
    ours, users = f"{REPOSITORY}reaped:{suffix}", f"scratchimage-kept-{suffix}:tested"
    engine.api.import_image_from_data(files.getvalue(), repository=ours, changes=[f'LABEL "{OWNER}"="{dead}"'])
    engine.images.get(ours).tag(users)
    try:
        assert f"image {ours}" in reap(engine)
        assert engine.images.get(users).tags == [users]  # the image stays, under the user's tag alone
    finally:
        for tag in (ours, users):
            with contextlib.suppress(docker.errors.ImageNotFound):
                engine.images.remove(tag)

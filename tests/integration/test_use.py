"""``--scratch-image-use``: an image built elsewhere, gated like one built here.

The classic image is made as the classic recipe makes it by hand: one static binary (the outer session's
PyInstaller + StaticX build of the fixture app) in a ``FROM scratch`` root filesystem with a /tmp and an
/etc/passwd naming its user, ``USER app``, ``EXPOSE 8000``, an exec-form ``ENTRYPOINT``; imported through the
engine's API as ``docker import`` does. Then one image per broken rule: a shell, a root user, a setuid file.
Every image made here carries the owner label, so a run killed half-way leaves nothing the reaper keeps.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import io
import json
import lzma
import shutil
import tarfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from pytest_scratchimage import ScratchImage
from pytest_scratchimage.build import build_binary
from pytest_scratchimage.cleanup import OWNER, Owner
from pytest_scratchimage.plugin import RUNNING
from pytest_scratchimage.running import binary_cache
from pytest_scratchimage.staticize import staticx_archive
from pytest_scratchimage.used import binary_breakdown

pytestmark = pytest.mark.integration

PASSWD = b"root:x:0:0:root:/:/sbin/nologin\napp:x:65535:65535:app:/:/sbin/nologin\n"
PROBES = """
    import pytest
    from pytest_scratchimage import assert_no_shell, assert_runs_as

    @pytest.mark.size_budget("9MB")
    @pytest.mark.startup_budget("30s")
    @pytest.mark.memory_budget("300MB")
    def test_probes(scratch_http, scratch_image, scratch_container):
        assert scratch_http.get("/number").json()["higherLimit"] == 100
        assert_runs_as(scratch_container, 65535)
        assert_no_shell(scratch_image, scratch_container)
        assert scratch_image.user == 65535 and scratch_image.port == 8000

    def test_breakdown(scratch_image):
        found = {(c.kind, c.name): c.bytes for c in scratch_image.breakdown()}
        assert found[("file", "/etc/passwd")] == PASSWD_BYTES
        assert ("library", "libpython") in found and ("staticx", "libc") in found
        assert ("file", "/server") not in found  # the binary is read inside
        assert abs(sum(found.values()) - scratch_image.size) < 0.01 * scratch_image.size  # shares are rounded
"""
SERVES = "def test_serves(scratch_http): assert scratch_http.get('/number').ok"


def entry(name: str, kind: bytes, mode: int, data: bytes = b"") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.size = kind, mode, len(data)
    return info, data


def rootfs(*entries: tuple[tarfile.TarInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def binary(scratch_image: ScratchImage, pytestconfig: pytest.Config) -> bytes:
    """The classic recipe's one static binary: the fixture app frozen whole (layout = single), PyInstaller
    onefile wrapped by StaticX; the outer session's own in that layout, else built once into its cache."""
    state = pytestconfig.stash[RUNNING]
    assert state.settings is not None
    assert state.session is not None
    assert state.session.build is not None
    if state.settings.layout == "single":
        return state.session.build.binary.read_bytes()
    single = dataclasses.replace(state.settings, layout="single")
    return build_binary(single, binary_cache(pytestconfig, single)[0], lambda line: None).binary.read_bytes()


@pytest.fixture(scope="module")
def make_image(engine: docker.DockerClient) -> Iterator[Callable[..., str]]:
    """Import a root filesystem with Dockerfile instructions; every image made is removed at the end."""
    made: list[str] = []

    def make(files: bytes, *changes: str) -> str:
        tag = f"pytest-scratchimage/classic:{uuid.uuid4().hex[:12]}"
        owner = f'LABEL "{OWNER}"="{Owner.current()}"'
        engine.api.import_image_from_data(files, repository=tag, changes=[*changes, owner])
        made.append(tag)
        return tag

    yield make
    for tag in made:
        # The inner sessions' containers go in a process of their own as each session ends: a forced removal of
        # an image one of them still uses would only untag it, and leave the image behind.
        deadline = time.monotonic() + 30
        while engine.containers.list(all=True, filters={"ancestor": tag}) and time.monotonic() < deadline:
            time.sleep(0.2)
        with contextlib.suppress(docker.errors.ImageNotFound):
            engine.images.remove(tag, force=True)


def classic_files(binary: bytes, *extra: tuple[tarfile.TarInfo, bytes]) -> bytes:
    return rootfs(
        entry("etc", tarfile.DIRTYPE, 0o755),
        entry("etc/passwd", tarfile.REGTYPE, 0o644, PASSWD),
        entry("tmp", tarfile.DIRTYPE, 0o1777),
        entry("server", tarfile.REGTYPE, 0o755, binary),
        *extra,
    )


CLASSIC = ("USER app", "EXPOSE 8000/tcp", 'ENTRYPOINT ["/server"]')


@pytest.fixture(scope="module")
def classic(binary: bytes, make_image: Callable[..., str]) -> str:
    return make_image(classic_files(binary), *CLASSIC)


def use(pytester: pytest.Pytester, image: str | Path, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "--scratch-image", f"--scratch-image-use={image}", "-o", "scratch_image_health_path=/health", "-p",
        "no:randomly", *args,
    )  # fmt: skip


def test_the_classic_image_passes_every_probe_and_gate(
    pytester: pytest.Pytester, classic: str, engine: docker.DockerClient
) -> None:
    pytester.makepyfile(PROBES.replace("PASSWD_BYTES", str(len(PASSWD))))
    baseline = pytester.path / "baseline.json"
    written = use(pytester, classic, f"--scratch-image-baseline={baseline}", "--scratch-image-update-baseline")
    written.assert_outcomes(passed=2)
    assert written.ret == pytest.ExitCode.OK
    written.stdout.fnmatch_lines(
        [
            "*= scratch image =*",
            f"image    {classic}",
            "budget   9.00 MB of size: headroom *",
            f"used     built elsewhere: {classic}",
            "largest  libpython *",
            "warning  scanners see no packages in this image *",  # the binary, /tmp and /etc/passwd: nothing read
        ]
    )
    assert "FAILED" not in written.stdout.str()
    assert json.loads(baseline.read_text())["breakdown"]["file:/etc/passwd"] == len(PASSWD)
    compared = use(pytester, classic, f"--scratch-image-baseline={baseline}")
    assert compared.ret == pytest.ExitCode.OK
    compared.stdout.fnmatch_lines(["baseline * → * (+0 B, +0.0%); no entry changed"])
    assert engine.images.get(classic).tags == [classic]  # the user's image, used as it is and left alone


def test_the_session_gate_fails_each_broken_rule_in_one_line(
    pytester: pytest.Pytester, binary: bytes, make_image: Callable[..., str]
) -> None:
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox is not installed (scripts/dev test installs busybox-static)")
    shell = entry("bin/sh", tarfile.REGTYPE, 0o755, Path(busybox).read_bytes())
    setuid = entry("usr/local/bin/helper", tarfile.REGTYPE, 0o4755, b"\x7fELF")
    broken = {
        "shell": make_image(classic_files(binary, entry("bin", tarfile.DIRTYPE, 0o755), shell), *CLASSIC),
        "root": make_image(classic_files(binary), "USER 0", *CLASSIC[1:]),
        "setuid": make_image(
            classic_files(binary, entry("usr", tarfile.DIRTYPE, 0o755), entry("usr/local", tarfile.DIRTYPE, 0o755),
                          entry("usr/local/bin", tarfile.DIRTYPE, 0o755), setuid),
            *CLASSIC,
        ),
    }  # fmt: skip
    expected = {
        "shell": "FAILED shell: the image holds a shell: /bin/sh; a scratch image ships none: leave it out of the "
        "image",
        "root": "FAILED scratch_image_user: the image runs as root (USER '0'); expected UID 65535: set USER 65535 "
        "where the image is built; its processes ran as UID 0 (PIDs *)",
        "setuid": "FAILED setid: the image holds setuid or setgid files: /usr/local/bin/helper (4755); a scratch "
        "image ships none: clear the bits (chmod u-s,g-s) or leave the files out",
    }
    pytester.makepyfile(SERVES)
    for rule, image in broken.items():
        result = use(pytester, image)
        result.assert_outcomes(passed=1, failed=1)  # the app serves: only the gate fails the session
        assert result.ret == pytest.ExitCode.TESTS_FAILED, rule
        failed = [line for line in result.stdout.lines if line.startswith("FAILED")]
        assert len(failed) == 2, failed  # the gate's own line, then pytest's short summary of it
        assert failed[1].startswith("FAILED scratch-image::"), failed
        result.stdout.fnmatch_lines([expected[rule]])


def test_an_archive_is_loaded_under_the_sessions_tag_then_removed(
    pytester: pytest.Pytester,
    binary: bytes,
    make_image: Callable[..., str],
    engine: docker.DockerClient,
    once_removed: Callable[..., list[str]],
    present: Callable[[str], list[str]],
) -> None:
    image = make_image(classic_files(binary), *CLASSIC, 'LABEL "made.for"="the archive test"')
    archive = pytester.path / "classic.tar.gz"  # docker save | gzip
    archive.write_bytes(gzip.compress(b"".join(engine.images.get(image).save(named=True))))
    image_id = engine.images.get(image).id
    engine.images.remove(image)  # only the archive has it now
    pytester.makepyfile(
        f"""
        def test_loaded(scratch_image, scratch_http):
            assert scratch_image.id == {image_id!r}
            assert scratch_image.tag.startswith("pytest-scratchimage/use:")
            assert scratch_http.get("/number").ok
        """
    )
    result = use(pytester, archive)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines([f"used     built elsewhere, loaded from {archive} in * s"])
    assert once_removed(lambda: present(image_id)) == []  # what the session loaded went with it
    with pytest.raises(docker.errors.ImageNotFound):
        engine.images.get(image)  # and the archive's own name was never applied


def test_a_pyinstaller_binary_alone_is_read_inside(binary: bytes, tmp_path: Path) -> None:
    """The program StaticX wraps is a PyInstaller onefile: read alone, its groups weigh what they store."""
    static = tmp_path / "server"
    static.write_bytes(binary)
    payload = staticx_archive(static)
    with tarfile.open(fileobj=io.BytesIO(lzma.decompress(payload)), mode="r:") as tar:
        program = tar.extractfile(tar.getmember(".staticx.prog").linkname)
        assert program is not None
        frozen = tmp_path / "app"
        frozen.write_bytes(program.read())
    found = binary_breakdown(frozen)
    assert found is not None
    names = {(c.kind, c.name) for c in found}
    assert {("library", "libpython"), ("loader", "PyInstaller bootloader"), ("package", "falcon")} <= names
    assert sum(c.bytes for c in found) == frozen.stat().st_size  # every byte of the file, once
    assert ("staticx", "libc") not in names  # glibc is StaticX's, not in this program

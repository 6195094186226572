"""The image recipe: the configuration applied on import and a root filesystem of exactly /app and /tmp."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from pytest_scratchimage.image import ImageSpec

BINARY = b"\x7fELF pretend static binary\x00" * 100


@pytest.fixture
def spec(tmp_path: Path) -> ImageSpec:
    binary = tmp_path / "app"
    binary.write_bytes(BINARY)
    binary.chmod(0o600)  # the image's mode comes from the recipe, not from the build host
    return ImageSpec(binary=binary, user=65535, port=8000)


def _members(data: bytes) -> dict[str, tuple[tarfile.TarInfo, bytes | None]]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: (m, stream.read() if (stream := tar.extractfile(m)) else None) for m in tar.getmembers()}


def test_changes_without_labels(spec: ImageSpec) -> None:
    assert spec.changes() == ["USER 65535", "EXPOSE 8000/tcp", 'ENTRYPOINT ["/app"]']


def test_changes_labels_are_sorted_and_quoted(tmp_path: Path) -> None:
    spec = ImageSpec(tmp_path / "app", user=1000, port=8080, labels={"b.key": 'say "hi"', "a.key": "x y"})
    assert spec.changes()[:3] == ["USER 1000", "EXPOSE 8080/tcp", 'ENTRYPOINT ["/app"]']
    assert spec.changes()[3:] == ['LABEL "a.key"="x y"', 'LABEL "b.key"="say \\"hi\\""']


def test_rootfs_holds_exactly_tmp_and_app(spec: ImageSpec) -> None:
    members = _members(spec.rootfs())
    assert list(members) == ["tmp", "app"]

    tmp, _ = members["tmp"]
    assert tmp.isdir()
    assert (tmp.mode, tmp.uid, tmp.gid) == (0o1777, 0, 0)

    app, content = members["app"]
    assert app.isfile()
    assert (app.mode, app.uid, app.gid) == (0o755, 0, 0)
    assert content == BINARY


def test_rootfs_is_reproducible(spec: ImageSpec) -> None:
    assert spec.rootfs() == spec.rootfs()

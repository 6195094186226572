"""The image recipe: the configuration applied on import and a root filesystem of exactly /app and /tmp."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from pytest_scratchimage.image import LAYER, ImageSpec, archive, known_compressed
from pytest_scratchimage.inspect import compressed_size

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


def test_the_compressed_size_is_measured_once_per_binary(spec: ImageSpec, tmp_path: Path) -> None:
    rootfs, memo = spec.rootfs(), tmp_path / LAYER
    digest = f"sha256:{hashlib.sha256(rootfs).hexdigest()}"
    measured = known_compressed(memo, rootfs, [digest])
    assert measured == compressed_size([rootfs])
    assert json.loads(memo.read_text()) == {"diff_id": digest, "compressed": measured}
    memo.write_text(json.dumps({"diff_id": digest, "compressed": 7}))
    assert known_compressed(memo, rootfs, [digest]) == 7  # the kept figure, not measured again


def test_a_kept_figure_is_used_only_for_the_layer_the_engine_holds(spec: ImageSpec, tmp_path: Path) -> None:
    rootfs, memo = spec.rootfs(), tmp_path / LAYER
    digest = f"sha256:{hashlib.sha256(rootfs).hexdigest()}"
    memo.write_text(json.dumps({"diff_id": "sha256:another", "compressed": 7}))
    assert known_compressed(memo, rootfs, [digest]) == compressed_size([rootfs])  # another binary's figure
    assert known_compressed(memo, rootfs, ["sha256:not-what-was-sent"]) is None  # the engine made its own layer
    assert known_compressed(memo, rootfs, [digest, digest]) is None


def test_a_cache_that_cannot_be_written_still_gives_the_figure(spec: ImageSpec, tmp_path: Path) -> None:
    rootfs = spec.rootfs()
    digest = f"sha256:{hashlib.sha256(rootfs).hexdigest()}"
    assert known_compressed(tmp_path / "missing" / LAYER, rootfs, [digest]) == compressed_size([rootfs])


def sha(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def test_a_two_layer_archive_holds_each_layer_byte_for_byte_in_order(tmp_path: Path) -> None:
    spec = ImageSpec(tmp_path / "app", 65535, 8000, {"b": "2", "a": "1"}, app_layer=b"thin")
    made = archive(spec, "pytest-scratchimage/app:1", [b"runtime", b"thin"])
    with tarfile.open(fileobj=io.BytesIO(made)) as tar:
        read = {member.name: tar.extractfile(member).read() for member in tar.getmembers()}  # type: ignore[union-attr]
    [manifest] = json.loads(read["manifest.json"])
    assert manifest["RepoTags"] == ["pytest-scratchimage/app:1"]
    assert [read[path] for path in manifest["Layers"]] == [b"runtime", b"thin"]
    config = json.loads(read[manifest["Config"]])
    assert manifest["Config"] == f"{hashlib.sha256(read[manifest['Config']]).hexdigest()}.json"
    assert config["rootfs"] == {"type": "layers", "diff_ids": [sha(b"runtime"), sha(b"thin")]}
    assert config["os"] == "linux"
    assert config["config"] == {
        "User": "65535",
        "ExposedPorts": {"8000/tcp": {}},
        "Entrypoint": ["/app"],
        "Labels": {"a": "1", "b": "2"},
    }
    assert len(config["history"]) == 2
    assert made == archive(spec, "pytest-scratchimage/app:1", [b"runtime", b"thin"])


def test_the_compressed_size_of_two_layers_is_the_runtimes_kept_and_the_apps_weighed(tmp_path: Path) -> None:
    memo = tmp_path / LAYER
    runtime, thin = b"runtime" * 1000, b"app" * 10
    expected = compressed_size([runtime]) + compressed_size([thin])
    assert known_compressed(memo, runtime, [sha(runtime), sha(thin)], thin) == expected
    assert json.loads(memo.read_text())["compressed"] == compressed_size([runtime])  # the runtime's alone is kept
    assert known_compressed(memo, runtime, [sha(runtime), sha(thin)], thin) == expected
    assert known_compressed(memo, runtime, [sha(runtime), sha(b"other")], thin) is None
    assert known_compressed(memo, runtime, [sha(runtime)], thin) is None

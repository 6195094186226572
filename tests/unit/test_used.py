"""An image built elsewhere: its archive renamed for loading, its port, its entrypoint and its files' breakdown."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from pytest_scratchimage.breakdown import Contributor
from pytest_scratchimage.inspect import FileEntry
from pytest_scratchimage.used import (
    binary_breakdown,
    entrypoint_of,
    files_breakdown,
    image_breakdown,
    port_of,
    retag_archive,
)


def tar_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def members(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


SAVED = {
    "abc.json": b'{"config": {}}',
    "layer/layer.tar": tar_of({"app": b"binary"}),
    "manifest.json": json.dumps(
        [{"Config": "abc.json", "RepoTags": ["theirs:1"], "Layers": ["layer/layer.tar"]}]
    ).encode(),
    "repositories": b'{"theirs": {"1": "abc"}}',
    "index.json": b"{}",
    "oci-layout": b"{}",
}


@pytest.mark.parametrize("compress", [lambda data: data, gzip.compress], ids=["plain", "gzip"])
def test_an_archive_is_copied_with_its_one_image_named_by_the_session_alone(compress: Any) -> None:
    out = io.BytesIO()
    retag_archive(io.BytesIO(compress(tar_of(SAVED))), "pytest-scratchimage/use:1", out)
    copied = members(out.getvalue())
    assert set(copied) == {"abc.json", "layer/layer.tar", "manifest.json"}
    assert copied["layer/layer.tar"] == SAVED["layer/layer.tar"]
    assert json.loads(copied["manifest.json"]) == [
        {"Config": "abc.json", "RepoTags": ["pytest-scratchimage/use:1"], "Layers": ["layer/layer.tar"]}
    ]


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (None, "it holds no image manifests; save the one image to gate"),
        (b"[]", "it holds 0 image manifests; save the one image to gate"),
        (b'[{"Config": "a"}, {"Config": "b"}]', "it holds 2 image manifests; save the one image to gate"),
        (b'{"Config": "a"}', "it holds no image manifests; save the one image to gate"),
    ],
)
def test_an_archive_of_no_image_or_of_several_is_refused(manifest: bytes | None, message: str) -> None:
    saved = {"abc.json": b"{}"} | ({"manifest.json": manifest} if manifest is not None else {})
    with pytest.raises(ValueError, match=f"^{message}$"):
        retag_archive(io.BytesIO(tar_of(saved)), "t:1", io.BytesIO())


@pytest.mark.parametrize(
    ("exposed", "port"),
    [
        ({"8080/tcp": {}}, 8080),
        ({"8080/tcp": {}, "9090/udp": {}}, 8080),
        ({"8080/tcp": {}, "9090/tcp": {}}, 8000),
        ({"53/udp": {}}, 8000),
        ({}, 8000),
        (None, 8000),
    ],
)
def test_the_port_is_the_one_tcp_port_exposed_else_the_setting(exposed: Any, port: int) -> None:
    assert port_of({"ExposedPorts": exposed}, 8000) == port


FILES = ["/server", "/usr/local/bin/serve", "/bin/tool"]


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({"Entrypoint": ["/server", "--flag"]}, "/server"),
        ({"Entrypoint": ["/./server"]}, "/server"),
        ({"Entrypoint": None, "Cmd": ["/server"]}, "/server"),
        ({"Entrypoint": ["serve"]}, "/usr/local/bin/serve"),
        ({"Entrypoint": ["tool"], "Env": ["PATH=/opt:/bin", "EMPTY"]}, "/bin/tool"),
        ({"Entrypoint": ["serve"], "Env": ["PATH=/bin"]}, None),
        ({"Entrypoint": ["missing"]}, None),
        ({"Entrypoint": [], "Cmd": []}, None),
        ({}, None),
    ],
)
def test_the_entrypoint_is_looked_up_as_the_engine_runs_it(config: dict[str, Any], path: str | None) -> None:
    assert entrypoint_of(config, FILES) == path


def entry(path: str, size: int, kind: str = "file") -> FileEntry:
    return FileEntry(path, 0o644, 0, 0, size, kind)


def test_the_breakdown_lists_files_by_size_and_what_a_binary_holds_instead_of_it() -> None:
    files = [entry("/etc", 0, "dir"), entry("/etc/passwd", 70), entry("/app", 900), entry("/bin/sh", 9, "symlink")]
    assert files_breakdown(files, {}) == [Contributor("file", "/app", 900), Contributor("file", "/etc/passwd", 70)]
    inside = [Contributor("library", "libpython", 600), Contributor("loader", "StaticX loader", 300)]
    assert files_breakdown(files, {"/app": inside}) == [*inside, Contributor("file", "/etc/passwd", 70)]
    assert files_breakdown([entry("/b", 5), entry("/a", 5)], {})[0].name == "/a"  # equal sizes by name


def test_a_file_that_is_no_frozen_binary_is_a_file(tmp_path: Path) -> None:
    for content in (b"#!/bin/sh\necho hi\n", b"\x7fELF\x02\x01\x01", b""):
        (tmp_path / "app").write_bytes(content)
        assert binary_breakdown(tmp_path / "app") is None


def test_an_image_whose_entrypoint_is_a_script_is_broken_down_by_its_files() -> None:
    layer = tar_of({"app": b"#!/bin/sh\n", "etc/passwd": b"app:x:1:1::/:\n"})
    files = [entry("/app", 10), entry("/etc/passwd", 14)]
    found = image_breakdown([layer], files, {"Entrypoint": ["/app"]})
    assert found == [Contributor("file", "/etc/passwd", 14), Contributor("file", "/app", 10)]
    assert image_breakdown([layer], files, {}) == found  # no entrypoint at all

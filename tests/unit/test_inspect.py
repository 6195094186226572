"""The image's files, read from hand-made layer tars and a ``docker save``-like archive."""

from __future__ import annotations

import io
import json
import stat
import tarfile
from dataclasses import dataclass

import pytest

from pytest_scratchimage.inspect import FileEntry, archive_files, layer_file, merge_layers


@dataclass(frozen=True)
class Member:
    name: str
    kind: bytes = tarfile.REGTYPE
    mode: int = 0o644
    data: bytes = b""
    uid: int = 0


def layer(*members: Member) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for member in members:
            info = tarfile.TarInfo(member.name)
            info.type, info.mode, info.uid, info.size = member.kind, member.mode, member.uid, len(member.data)
            if member.kind == tarfile.SYMTYPE:
                info.linkname = "busybox"
            tar.addfile(info, io.BytesIO(member.data))
    return buffer.getvalue()


def merged(*layers: bytes) -> dict[str, FileEntry]:
    return {entry.path: entry for entry in merge_layers(io.BytesIO(data) for data in layers)}


BASE = layer(
    Member("./", tarfile.DIRTYPE, 0o755),
    Member("bin", tarfile.DIRTYPE, 0o755),
    Member("bin/busybox", mode=0o755, data=b"busybox"),
    Member("bin/sh", tarfile.SYMTYPE, 0o777),
    Member("etc", tarfile.DIRTYPE, 0o755),
    Member("etc/passwd", data=b"root:x:0:0::/root:/bin/sh\n"),
    Member("etc/group", data=b"root:x:0:\n"),
)


def test_one_layer_gives_its_files() -> None:
    files = merged(BASE)
    assert sorted(files) == ["/bin", "/bin/busybox", "/bin/sh", "/etc", "/etc/group", "/etc/passwd"]
    assert files["/bin/busybox"] == FileEntry("/bin/busybox", 0o755, 0, 0, 7, "file")
    assert files["/bin/sh"].kind == "symlink"
    assert files["/etc"].kind == "dir"


def test_a_whiteout_deletes_the_file_below() -> None:
    files = merged(BASE, layer(Member("etc/.wh.passwd")))
    assert "/etc/passwd" not in files
    assert "/etc/.wh.passwd" not in files
    assert "/etc/group" in files


def test_a_whiteout_of_a_folder_deletes_its_contents() -> None:
    usr = layer(
        Member("usr", tarfile.DIRTYPE, 0o755),
        Member("usr/lib", tarfile.DIRTYPE, 0o755),
        Member("usr/lib/libc.so"),
        Member("usr/libexec"),  # shares the prefix, not the folder
    )
    files = merged(BASE, usr, layer(Member("./usr/.wh.lib")))
    assert sorted(p for p in files if p.startswith("/usr")) == ["/usr", "/usr/libexec"]


def test_a_later_layer_replaces_an_entry_and_can_recreate_a_deleted_one() -> None:
    files = merged(
        BASE,
        layer(Member("etc/.wh.passwd")),
        layer(Member("etc/passwd", mode=0o600, data=b"app:x:65535:65535::/:\n", uid=7), Member("app", mode=0o755)),
    )
    assert files["/etc/passwd"] == FileEntry("/etc/passwd", 0o600, 7, 0, 22, "file")
    assert files["/app"].mode == 0o755


def test_a_whiteout_at_the_root_deletes_the_file_below() -> None:
    files = merged(layer(Member("tmp", tarfile.DIRTYPE, 0o1777), Member("app")), layer(Member(".wh.tmp")))
    assert sorted(files) == ["/app"]


def test_hidden_files_at_the_root_keep_their_name() -> None:
    assert sorted(merged(layer(Member(".dockerenv"), Member("./.profile")))) == ["/.dockerenv", "/.profile"]


def save_archive(*layers: bytes) -> io.BytesIO:
    """An image archive as ``docker save`` writes it: layers, a config and a manifest naming their order."""
    names = [f"{index:064x}/layer.tar" for index in reversed(range(len(layers)))]  # order is not the tar's
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        contents = {
            **dict(zip(names, layers, strict=True)),
            "config.json": b"{}",
            "manifest.json": json.dumps([{"Config": "config.json", "RepoTags": ["x:1"], "Layers": names}]).encode(),
        }
        for name, data in sorted(contents.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def test_archive_files_applies_the_layers_in_manifest_order() -> None:
    top = layer(Member("etc/.wh.passwd"), Member("app", mode=0o755, data=b"binary"))
    files = {entry.path: entry for entry in archive_files(save_archive(BASE, top))}
    assert "/etc/passwd" not in files
    assert files["/app"] == FileEntry("/app", 0o755, 0, 0, 6, "file")
    assert "/bin/sh" in files


def test_archive_files_are_sorted_by_path() -> None:
    paths = [entry.path for entry in archive_files(save_archive(BASE))]
    assert paths == sorted(paths)


@pytest.mark.parametrize(
    ("mode", "setid"), [(0o4755, True), (0o2755, True), (0o6755, True), (0o755, False), (0o1777, False)]
)
def test_setid(mode: int, setid: bool) -> None:
    assert FileEntry("/bin/x", mode, 0, 0, 0, "file").setid is setid


@pytest.mark.parametrize(
    ("mode", "kind", "writable"),
    [
        (0o1777, "dir", True),
        (0o666, "file", True),
        (0o644, "file", False),
        (0o775, "dir", False),
        (0o777, "symlink", False),  # a link's own mode means nothing
    ],
)
def test_world_writable(mode: int, kind: str, writable: bool) -> None:
    assert FileEntry("/x", mode, 0, 0, 0, kind).world_writable is writable


def test_str_reads_like_ls() -> None:
    assert str(FileEntry("/tmp", 0o1777, 0, 0, 0, "dir")) == "drwxrwxrwt 0:0          0 /tmp"
    assert str(FileEntry("/app", 0o755, 0, 0, 1234, "file")).startswith(stat.filemode(0o100755))


def content(path: str, *layers: bytes) -> bytes | None:
    return layer_file((io.BytesIO(data) for data in layers), path)


def test_layer_file_reads_the_last_layers_content() -> None:
    first = layer(Member("etc", tarfile.DIRTYPE), Member("etc/passwd", data=b"one"))
    assert content("/etc/passwd", first) == b"one"
    assert content("/etc/passwd", first, layer(Member("./etc/passwd", data=b"two"))) == b"two"
    assert content("/etc/group", first) is None
    assert content("/etc", first) is None  # a folder has no content


def test_layer_file_honours_whiteouts_and_what_replaces_a_file() -> None:
    first = layer(Member("etc/passwd", data=b"one"))
    assert content("/etc/passwd", first, layer(Member("etc/.wh.passwd"))) is None
    assert content("/etc/passwd", first, layer(Member("etc/.wh..wh..opq"))) is None
    assert content("/etc/passwd", first, layer(Member(".wh.etc"))) is None
    assert content("/etc/passwd", first, layer(Member(".wh.et"))) == b"one"  # another name that starts alike
    assert content("/etc/passwd", first, layer(Member("etc/passwd", tarfile.SYMTYPE))) is None
    deleted_then_made = layer(Member("etc/.wh.passwd")), layer(Member("etc/passwd", data=b"new"))
    assert content("/etc/passwd", first, *deleted_then_made) == b"new"

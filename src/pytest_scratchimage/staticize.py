"""Staticize: StaticX wraps the frozen binary with its libraries and glibc's loader, so it runs FROM scratch."""

from __future__ import annotations

from pathlib import Path

from .tools import python_module, run_tool, tool_env

# Whether StaticX xz-compresses its archive, by scratch_image_compression (see freeze.ZLIB_LEVELS).
XZ = {"xz": True, "zlib": True, "zlib-only": False}


def staticize(frozen: Path, output: Path, xz: bool = True) -> Path:
    """Run StaticX (with strip) on ``frozen``; the log stays in ``staticize.log`` beside ``output``.

    Without ``xz`` the archive is stored: StaticX has nothing to decode at each start.
    """
    partial = output.with_name(output.name + ".partial")
    command = python_module("staticx", "--strip", *([] if xz else ["--no-compress"]), frozen, partial)
    run_tool("staticize", "StaticX", command, output.with_name("staticize.log"), tool_env())
    partial.chmod(0o755)  # StaticX writes 0700: the image's non-root user must run it
    partial.replace(output)
    return output

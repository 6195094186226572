"""Staticize: StaticX wraps the frozen binary with its libraries and glibc's loader, so it runs FROM scratch."""

from __future__ import annotations

from pathlib import Path

from .tools import python_module, run_tool, tool_env


def staticize(frozen: Path, output: Path) -> Path:
    """Run StaticX (with strip) on ``frozen``; the log stays in ``staticize.log`` beside ``output``."""
    partial = output.with_name(output.name + ".partial")
    command = python_module("staticx", "--strip", frozen, partial)
    run_tool("staticize", "StaticX", command, output.with_name("staticize.log"), tool_env())
    partial.chmod(0o755)  # StaticX writes 0700: the image's non-root user must run it
    partial.replace(output)
    return output

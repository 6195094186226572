"""Errors for people: one line that names the stage, what was expected and what to do, then a log tail."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator

TAIL_LINES = 30


class ScratchImageError(Exception):
    """A failure of the pipeline; ``str()`` is the whole message, headline first."""

    def __init__(self, headline: str, log: str = "") -> None:
        self.headline = headline
        self.log = log
        super().__init__(f"{headline}\n{indent_tail(log)}" if log.strip() else headline)


def tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def indent_tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(f"  | {line}" for line in tail(text, lines).splitlines())


class EngineLost(ScratchImageError):
    """The engine stopped answering (refused, cut, timed out): a test that needs it cannot run."""

    def __init__(self, lost: str) -> None:
        self.lost = lost  # what happened, without the advice: cleanup says what it left instead
        super().__init__(f"{lost}; is dockerd running?")


def engine_host() -> str:
    """Where the session talks to the engine: DOCKER_HOST, else Docker's socket on this machine."""
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def root_cause(error: BaseException) -> str:
    """The innermost reason of a connection failure, ``Connection refused`` rather than three wrappers' repr."""
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        inner = getattr(error, "reason", None) or error.__cause__ or error.__context__
        inner = inner or next((a for a in error.args if isinstance(a, BaseException)), None)
        if not isinstance(inner, BaseException):
            break
        error = inner
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return re.sub(r"^\[Errno -?\d+\] ", "", str(error).rpartition(": ")[2]) or type(error).__name__


def engine_lost(during: str, error: BaseException) -> str:
    """The headline of the engine gone ``during`` a stage: where it was, and why the connection failed."""
    return f"engine: the Docker engine stopped answering at {engine_host()} during {during} ({root_cause(error)})"


@contextlib.contextmanager
def engine_call(during: str, missing: str | None = None) -> Iterator[None]:
    """Talk to the engine ``during`` a stage: its loss becomes ``EngineLost``, one line naming the stage.

    With ``missing``, the engine's 404 (a container removed by hand, or gone with a restarted engine) becomes
    a ``ScratchImageError`` of that headline; a ``ScratchImageError`` from within passes unchanged.
    """
    import docker.errors
    import requests

    try:
        yield
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
        raise EngineLost(engine_lost(during, error)) from None
    except docker.errors.NotFound:
        if missing is None:
            raise
        raise ScratchImageError(missing) from None

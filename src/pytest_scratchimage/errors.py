"""Errors for people: one line that names the stage, what was expected and what to do, then a log tail."""

from __future__ import annotations

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

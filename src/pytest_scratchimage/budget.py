"""Budgets: a limit on one metric, with an optional warning level below it, and messages that explain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .sizes import METRICS, format_size

if TYPE_CHECKING:
    from .advice import Lever
    from .breakdown import Contributor

TOP = 5


@dataclass(frozen=True)
class Budget:
    limit: int
    metric: str = "size"
    warn: int | None = None

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(f"metric {self.metric!r} is not one of {', '.join(METRICS)}")
        if self.warn is not None and self.warn > self.limit:
            raise ValueError(f"warning level {format_size(self.warn)} is above the budget {format_size(self.limit)}")

    def __str__(self) -> str:
        warn = f", warn at {format_size(self.warn)}" if self.warn is not None else ""
        return f"{format_size(self.limit)} of {self.metric}{warn}"

    def breach(
        self, measured: int, contributors: Sequence[Contributor] = (), levers: Sequence[Lever] = ()
    ) -> str | None:
        """The failure message when ``measured`` exceeds the limit, else None: one line, then the levers."""
        if measured <= self.limit:
            return None
        return prescribed(over(self.metric, measured, self.limit, "budget", contributors), levers, measured, self.limit)

    def warning(self, measured: int, levers: Sequence[Lever] = ()) -> str | None:
        if self.warn is None or measured <= self.warn or measured > self.limit:
            return None
        return prescribed(over(self.metric, measured, self.warn, "warning level", ()), levers, measured, self.warn)


@dataclass(frozen=True)
class Growth:
    """How much an image may grow over its baseline: a percentage or a size."""

    percent: float | None = None
    size: int | None = None

    def allowed(self, baseline: int) -> int:
        return round(baseline * self.percent / 100) if self.percent is not None else self.size or 0

    def __str__(self) -> str:
        return f"{self.percent:g}%" if self.percent is not None else format_size(self.size or 0)


def prescribed(line: str, levers: Sequence[Lever], measured: int, limit: int) -> str:
    """The breach line, then the levers that would fit the image under ``limit``, one a line."""
    from .advice import advise

    return "\n".join([line, *advise(levers, measured, limit)])


def over(metric: str, measured: int, limit: int, what: str, contributors: Sequence[Contributor]) -> str:
    """``image 9.40 MB (9,400,000 bytes) > budget 9.00 MB (+400.00 KB, 4.4% over); largest: ...``."""
    label = "image" if metric == "size" else f"image ({metric})"
    message = (
        f"{label} {format_size(measured)} ({measured:,} bytes) > {what} {format_size(limit)} "
        f"(+{format_size(measured - limit)}, {100 * (measured - limit) / limit:.1f}% over)"
    )
    if contributors:
        message += "; largest: " + ", ".join(map(str, contributors[:TOP]))
    return message

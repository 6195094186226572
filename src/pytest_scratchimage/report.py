"""The size report: plain lines for the terminal summary, made from facts, never from ``config``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .assertions import budget_breach
from .sizes import format_size


@dataclass(frozen=True)
class SizeReport:
    tag: str
    size: int
    budget: int
    cached: bool
    seconds: Mapping[str, float] = field(default_factory=dict)
    ready_seconds: float | None = None

    @property
    def breach(self) -> str | None:
        return budget_breach(self.size, self.budget)

    def lines(self) -> list[str]:
        headroom = self.budget - self.size
        stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.seconds.items())
        lines = [
            f"image    {self.tag}",
            f"size     {format_size(self.size)} ({self.size:,} bytes, the engine's Size)",
            f"budget   {format_size(self.budget)}, "
            + (f"headroom {format_size(headroom)}" if headroom >= 0 else f"OVER by {format_size(-headroom)}"),
            f"build    {'cached binary; ' if self.cached else ''}{stages or 'no stage ran'}",
        ]
        if self.ready_seconds is not None:
            lines.append(f"start    first HTTP answer {self.ready_seconds:.2f} s after start")
        return lines

"""The change against a baseline, entry by entry: what grew and what shrank, by how much.

One list of changes serves the growth gate's message, the terminal summary's table, the Markdown step
summary and the HTML page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .breakdown import Contributor
from .sizes import format_size

TOP = 10  # rows of each direction in a table


@dataclass(frozen=True)
class Change:
    """One entry of the breakdown (``kind:name``, as a baseline keys it) and its bytes then and now."""

    key: str
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before

    @property
    def name(self) -> str:
        return self.key.split(":", 1)[-1]

    @property
    def kind(self) -> str:
        return self.key.partition(":")[0] if ":" in self.key else ""

    @property
    def status(self) -> str:
        if self.delta == 0:
            return "same"
        grew = self.delta > 0  # mutation: equivalent (>= 0 too: the delta is not 0 here)
        return "new" if self.before == 0 else "gone" if self.after == 0 else "grew" if grew else "shrank"

    @property
    def shown_delta(self) -> str:
        return ("+" if self.delta >= 0 else "-") + format_size(abs(self.delta))


@dataclass(frozen=True)
class BaselineDiff:
    """The image against its baseline: both sizes and every entry that changed."""

    before: int
    after: int
    changes: tuple[Change, ...]

    @property
    def delta(self) -> int:
        return self.after - self.before

    @property
    def percent(self) -> float:
        return 100 * self.delta / self.before if self.before else 0.0

    @property
    def grew(self) -> list[Change]:
        """Entries that grew (or are new), the largest growth first."""
        return [c for c in self.changes if c.delta > 0]

    @property
    def shrank(self) -> list[Change]:
        """Entries that shrank (or are gone), the largest shrink first."""
        return sorted((c for c in self.changes if c.delta < 0), key=lambda c: (c.delta, c.key))

    def headline(self) -> str:
        sign = "+" if self.delta >= 0 else "-"
        return (
            f"{format_size(self.before)} → {format_size(self.after)} "
            f"({sign}{format_size(abs(self.delta))}, {self.percent:+.1f}%)"
        )

    def rows(self, top: int = TOP) -> list[Change]:
        """What a table shows: the ``top`` largest growths, then the ``top`` largest shrinks."""
        return self.grew[:top] + self.shrank[:top]

    def untold(self, top: int = TOP) -> int:
        """How many changed entries a table of ``top`` rows each way leaves out."""
        return len(self.changes) - len(self.rows(top))


def breakdown_of(contributors: Iterable[Contributor]) -> dict[str, int]:
    """A breakdown as a baseline keeps it: ``kind:name`` → bytes."""
    return {f"{c.kind}:{c.name}": c.bytes for c in contributors}


def changes(now: Mapping[str, int], then: Mapping[str, int]) -> list[Change]:
    """Every entry whose bytes changed, the largest growth first, the largest shrink last."""
    found = [Change(key, int(then.get(key, 0)), int(now.get(key, 0))) for key in {*now, *then}]
    return sorted((c for c in found if c.delta), key=lambda c: (-c.delta, c.key))


def diff_of(size: int, contributors: Iterable[Contributor], baseline: Mapping[str, Any]) -> BaselineDiff:
    """The image (its size and breakdown) against a baseline as ``--scratch-image-update-baseline`` wrote it."""
    changed = changes(breakdown_of(contributors), baseline.get("breakdown") or {})
    return BaselineDiff(int(baseline["size"]), size, tuple(changed))


def lines(diff: BaselineDiff, top: int = TOP) -> list[str]:
    """The terminal's table: one row per entry that changed most, aligned."""
    rows = diff.rows(top)
    head = [f"baseline {diff.headline()}" + ("; no entry changed" if not rows else "")]
    if not rows:
        return head
    width = max(len(c.name) for c in rows)
    table = [
        f"  {c.status:6} {c.name:{width}}  {format_size(c.before):>10} → {format_size(c.after):>10}  "
        f"{c.shown_delta:>11}"
        for c in rows
    ]
    more = [f"  and {diff.untold(top)} more entries changed"] if diff.untold(top) else []
    return head + table + more

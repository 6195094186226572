"""The treemap of a breakdown: a box per kind (packages, the standard library, libraries, …), then a box per entry
inside it, each with an area in proportion to its bytes.

The layout is the squarified algorithm (Bruls, Huizing and van Wijk, 2000) of the ``squarify`` package: it keeps
boxes near square, so their areas can be compared by eye and their labels fit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .breakdown import Contributor

HEADER = 18.0  # the band at the top of a kind's box that holds its name
PAD = 2.0  # between a kind's box and the entries inside it
SMALLEST = 0.002  # entries under this share of the whole are shown together, one box per kind (at most 500 boxes)


Rectangle = tuple[float, float, float, float]  # x, y, width, height


@dataclass(frozen=True)
class Box:
    """One rectangle: a kind (``name`` empty) or an entry of it; ``count`` > 1 for entries shown together."""

    kind: str
    name: str
    bytes: int
    x: float
    y: float
    width: float
    height: float
    count: int = 1

    @property
    def area(self) -> float:
        return self.width * self.height


def squarified(sizes: list[float], x: float, y: float, width: float, height: float) -> list[Rectangle]:
    """(x, y, width, height) of one box per size (largest first), together filling the rectangle."""
    import squarify

    if not sizes or width <= 0 or height <= 0:
        return []
    rectangles = squarify.squarify(squarify.normalize_sizes(sizes, width, height), x, y, width, height)
    return [(r["x"], r["y"], r["dx"], r["dy"]) for r in rectangles]


def grouped(contributors: Iterable[Contributor], smallest: int) -> dict[str, list[tuple[str, int, int]]]:
    """(name, bytes, count) of each kind's entries, largest first (as squarify needs); those under ``smallest``
    bytes as one entry, ``N smaller``. Every entry has bytes: squarify cannot lay out nothing."""
    kinds: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    small: dict[str, list[int]] = defaultdict(list)
    for c in sorted(contributors, key=lambda c: (-c.bytes, c.name)):
        if c.bytes < smallest:
            small[c.kind].append(c.bytes)
        else:
            kinds[c.kind].append((c.name, c.bytes, 1))
    for kind, sizes in small.items():
        kinds[kind].append((f"{len(sizes)} smaller", sum(sizes), len(sizes)))
        kinds[kind].sort(key=lambda entry: -entry[1])
    return dict(sorted(kinds.items(), key=lambda item: -sum(size for _, size, _ in item[1])))


def layout(contributors: Iterable[Contributor], width: float, height: float) -> tuple[list[Box], list[Box]]:
    """(kinds, entries): the boxes of a treemap ``width`` wide and ``height`` high, the largest first."""
    drawn = [c for c in contributors if c.bytes > 0]  # nothing to draw of the others
    kinds = grouped(drawn, round(sum(c.bytes for c in drawn) * SMALLEST))
    sizes = [float(sum(size for _, size, _ in entries)) for entries in kinds.values()]
    outer, inner = [], []
    boxes = squarified(sizes, 0, 0, width, height)
    for (kind, entries), rectangle in zip(kinds.items(), boxes, strict=True):  # mutation: equivalent (one a size)
        x, y, w, h = rectangle
        outer.append(Box(kind, "", sum(size for _, size, _ in entries), x, y, w, h))
        top = HEADER if h > 2 * HEADER and w > 4 * HEADER else PAD  # room for the kind's name, when it fits
        room = (x + PAD, y + top, w - 2 * PAD, h - top - PAD)
        placed = squarified([float(size) for _, size, _ in entries], *room)  # none when the kind's box is too small
        if placed:
            boxes_of_entries = zip(entries, placed, strict=True)  # mutation: equivalent (one a size)
            inner += [Box(kind, name, size, *r, n) for (name, size, n), r in boxes_of_entries]
    return outer, inner

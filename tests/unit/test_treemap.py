"""The treemap's layout: kinds, then entries, each box's area in proportion to its bytes."""

from __future__ import annotations

import dataclasses

import pytest

from pytest_scratchimage.breakdown import Contributor
from pytest_scratchimage.treemap import HEADER, PAD, Box, grouped, layout, squarified

BREAKDOWN = [
    Contributor("library", "libpython", 600),
    Contributor("stdlib", "email", 100),
    Contributor("stdlib", "json", 200),
    Contributor("library", "libz", 100),
    Contributor("stdlib", "tiny", 1),
    Contributor("stdlib", "tinier", 1),
    Contributor("loader", "StaticX", 3),
]


def test_entries_are_grouped_by_kind_largest_first_and_the_smallest_shown_together() -> None:
    assert grouped(BREAKDOWN, 2) == {
        "library": [("libpython", 600, 1), ("libz", 100, 1)],
        "stdlib": [("json", 200, 1), ("email", 100, 1), ("2 smaller", 2, 2)],
        "loader": [("StaticX", 3, 1)],
    }
    assert grouped(BREAKDOWN, 150)["stdlib"] == [("json", 200, 1), ("3 smaller", 102, 3)]
    assert grouped(BREAKDOWN, 250)["stdlib"] == [("4 smaller", 302, 4)]  # every one under it
    assert grouped(BREAKDOWN, 3)["loader"] == [("StaticX", 3, 1)]  # exactly the threshold: shown alone
    assert grouped(BREAKDOWN, 0)["stdlib"][-2:] == [("tinier", 1, 1), ("tiny", 1, 1)]  # equal sizes in name order


def test_squarified_fills_the_rectangle_in_proportion() -> None:
    boxes = squarified([6.0, 3.0, 1.0], 10, 20, 100, 50)
    assert sum(w * h for _, _, w, h in boxes) == pytest.approx(5000)
    assert [w * h for _, _, w, h in boxes] == pytest.approx([3000, 1500, 500])
    assert all(x >= 10 and x + w <= 110.001 and y >= 20 and y + h <= 70.001 for x, y, w, h in boxes)
    assert squarified([], 0, 0, 10, 10) == []
    assert squarified([1.0], 0, 0, 0, 10) == []
    assert squarified([1.0], 0, 0, 10, 0) == []
    assert squarified([1.0], 0, 0, 10, -1) == []
    assert squarified([1.0], 0, 0, 0.5, 0.5) == [(0, 0, 0.5, 0.5)]  # small, but a box


def area(boxes: list[Box]) -> float:
    return sum(box.area for box in boxes)


def test_the_kinds_fill_the_map_and_their_entries_fill_the_kinds() -> None:
    kinds, entries = layout(BREAKDOWN, 1200, 640)
    assert [k.kind for k in kinds] == ["library", "stdlib", "loader"]
    assert [k.bytes for k in kinds] == [700, 302, 3]
    assert area(kinds) == pytest.approx(1200 * 640)
    assert [k.area / (1200 * 640) for k in kinds] == pytest.approx([700 / 1005, 302 / 1005, 3 / 1005])
    library = kinds[0]
    inside = [e for e in entries if e.kind == "library"]
    assert [e.name for e in inside] == ["libpython", "libz"]
    room = (library.width - 2 * PAD) * (library.height - HEADER - PAD)  # a band at the top for the kind's name
    assert area(inside) == pytest.approx(room)
    assert inside[0].area / inside[1].area == pytest.approx(6)
    for entry in inside:
        assert library.x + PAD <= entry.x + 0.001
        assert entry.x + entry.width <= library.x + library.width - PAD + 0.001
        assert library.y + HEADER <= entry.y + 0.001
        assert entry.y + entry.height <= library.y + library.height - PAD + 0.001
    assert [e.name for e in entries if e.kind == "stdlib"] == ["json", "email", "2 smaller"]
    assert next(e for e in entries if e.name == "2 smaller").count == 2


def test_a_kind_too_small_for_its_name_or_its_entries() -> None:
    kinds, entries = layout(BREAKDOWN, 1200, 640)
    loader = kinds[-1]
    assert loader.height <= 2 * HEADER or loader.width <= 4 * HEADER  # 0.3 % of the map: no band for a name
    (inside,) = [e for e in entries if e.kind == "loader"]
    assert (inside.x, inside.y) == pytest.approx((loader.x + PAD, loader.y + PAD))
    assert inside.height == pytest.approx(loader.height - 2 * PAD)
    kinds, entries = layout([Contributor("a", "x", 1), Contributor("b", "y", 100_000)], 100, 100)
    assert [e.kind for e in entries] == ["b"]  # a's box has no room inside its padding: no entry box, no error


def test_nothing_to_draw() -> None:
    assert layout([], 100, 100) == ([], [])
    assert layout([Contributor("a", "zero", 0)], 100, 100) == ([], [])
    kinds, entries = layout([*BREAKDOWN, Contributor("package", "falcon", 0)], 1200, 640)
    assert "package" not in {box.kind for box in kinds + entries}


def test_the_layout_in_pixels() -> None:
    """One kind in a 100 by 100 map: its box fills it, its name takes an 18 px band, its entries sit 2 px in."""
    kinds, entries = layout([Contributor("stdlib", "a", 3), Contributor("stdlib", "b", 1)], 100, 100)
    assert kinds == [Box("stdlib", "", 4, 0, 0, 100, 100)]
    assert kinds[0].count == 1
    assert [(e.x, e.y) for e in entries] == [(2, 18), pytest.approx((2 + 96 * 3 / 4, 18))]
    assert [(e.width, e.height) for e in entries] == [pytest.approx((72, 80)), pytest.approx((24, 80))]


@pytest.mark.parametrize(("width", "height", "top"), [(73, 37, 18), (72, 37, 2), (73, 36, 2), (300, 37, 18)])
def test_a_kind_has_a_band_for_its_name_when_it_is_more_than_4_bands_wide_and_2_high(
    width: float, height: float, top: float
) -> None:
    _, entries = layout([Contributor("stdlib", "a", 1)], width, height)
    assert entries[0].y == top


def test_a_box_is_a_value() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Box("a", "b", 1, 0, 0, 1, 1).x = 2  # type: ignore[misc]

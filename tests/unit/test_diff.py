"""The change against a baseline, entry by entry: what grew, what shrank, how the tables show it."""

from __future__ import annotations

import dataclasses

import pytest

from pytest_scratchimage.breakdown import Contributor
from pytest_scratchimage.diff import BaselineDiff, Change, breakdown_of, changes, diff_of, lines

NOW = [
    Contributor("library", "libpython", 2_700_000),
    Contributor("package", "falcon", 150_000),
    Contributor("package", "new_pkg", 40_000),
    Contributor("stdlib", "email", 48_000),
]
THEN = {
    "size": 3_000_000,
    "breakdown": {"library:libpython": 2_600_000, "package:falcon": 200_000, "stdlib:email": 48_000, "loader:x": 7},
}


def test_a_breakdown_as_a_baseline_keeps_it() -> None:
    assert breakdown_of(NOW[:2]) == {"library:libpython": 2_700_000, "package:falcon": 150_000}


def test_changes_are_every_entry_that_changed_growth_first() -> None:
    found = changes(breakdown_of(NOW), THEN["breakdown"])  # type: ignore[arg-type]
    assert found == [
        Change("library:libpython", 2_600_000, 2_700_000),
        Change("package:new_pkg", 0, 40_000),
        Change("loader:x", 7, 0),
        Change("package:falcon", 200_000, 150_000),
    ]


def test_a_change_knows_its_entry_and_direction() -> None:
    grew, new, gone, shrank = (
        Change("library:libpython", 10, 25),
        Change("a:b", 0, 5),
        Change("a:c", 5, 0),
        Change("package:x:y", 9, 4),
    )
    assert (grew.delta, grew.kind, grew.name, grew.status, grew.shown_delta) == (
        15,
        "library",
        "libpython",
        "grew",
        "+15 B",
    )
    assert (new.status, gone.status, shrank.status) == ("new", "gone", "shrank")
    assert (shrank.kind, shrank.name, shrank.shown_delta) == ("package", "x:y", "-5 B")
    assert (Change("plain", 1, 2).kind, Change("plain", 1, 2).name) == ("", "plain")


def test_the_diff_of_an_image_and_its_baseline() -> None:
    diff = diff_of(3_100_000, NOW, THEN)
    assert (diff.before, diff.after, diff.delta) == (3_000_000, 3_100_000, 100_000)
    assert diff.percent == pytest.approx(3.333, abs=0.001)
    assert [c.name for c in diff.grew] == ["libpython", "new_pkg"]
    assert [c.name for c in diff.shrank] == ["falcon", "x"]  # the largest shrink first
    assert diff.headline() == "3.00 MB → 3.10 MB (+100.00 KB, +3.3%)"
    assert diff_of(2_900_000, NOW, THEN).headline() == "3.00 MB → 2.90 MB (-100.00 KB, -3.3%)"


def test_rows_are_the_largest_each_way_and_the_rest_is_counted() -> None:
    diff = diff_of(3_100_000, NOW, THEN)
    assert [c.name for c in diff.rows(1)] == ["libpython", "falcon"]
    assert diff.untold(1) == 2
    assert diff.untold() == 0
    assert len(diff.rows()) == 4


def test_a_baseline_without_a_breakdown_and_one_of_size_zero() -> None:
    diff = diff_of(10, [], {"size": 0})
    assert (diff.changes, diff.percent) == ((), 0.0)
    assert diff_of(10, [], {"size": 5, "breakdown": None}).changes == ()


def test_the_terminal_table() -> None:
    assert lines(diff_of(3_100_000, NOW, THEN), top=1) == [
        "baseline 3.00 MB → 3.10 MB (+100.00 KB, +3.3%)",
        "  grew   libpython     2.60 MB →    2.70 MB   +100.00 KB",
        "  shrank falcon      200.00 KB →  150.00 KB    -50.00 KB",
        "  and 2 more entries changed",
    ]
    assert lines(BaselineDiff(5, 5, ())) == ["baseline 5 B → 5 B (+0 B, +0.0%); no entry changed"]
    assert lines(diff_of(3_100_000, NOW, THEN))[-1].startswith("  gone   x ")


def test_changes_and_diffs_are_values() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Change("a:b", 1, 2).after = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        BaselineDiff(1, 2, ()).after = 3  # type: ignore[misc]


def test_an_entry_that_did_not_change() -> None:
    same = Change("a:b", 5, 5)
    assert (same.status, same.shown_delta) == ("same", "+0 B")
    assert Change("a:b", 1, 5).status == "grew"  # not new: it had a byte
    assert Change("a:b", 5, 6).status == "grew"
    assert Change("a:b", 6, 5).status == "shrank"
    unchanged = BaselineDiff(10, 10, (same,))
    assert (unchanged.grew, unchanged.shrank) == ([], [])


def test_a_table_shows_ten_each_way() -> None:
    now = [Contributor("stdlib", f"m{i:02}", 1000 + i) for i in range(12)]
    diff = diff_of(20_000, now, {"size": 10_000, "breakdown": {}})
    assert len(diff.rows()) == 10
    assert diff.untold() == 2

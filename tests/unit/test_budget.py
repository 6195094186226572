"""Budgets and growth limits: where each boundary lies, and messages that say by how much."""

from __future__ import annotations

import pytest

from pytest_scratchimage.breakdown import Contributor
from pytest_scratchimage.budget import TOP, Budget, Growth, over

CONTRIBUTORS = [Contributor("library", f"lib{i}", 1_000_000 - i) for i in range(7)]


def test_budget_breach_states_size_budget_and_overage() -> None:
    assert Budget(9_000_000).breach(9_400_000) == (
        "image 9.40 MB (9,400,000 bytes) > budget 9.00 MB (+400.00 KB, 4.4% over)"
    )


@pytest.mark.parametrize("size", [0, 8_999_999, 9_000_000])
def test_no_breach_within_budget(size: int) -> None:
    assert Budget(9_000_000).breach(size) is None


def test_one_byte_over_is_a_breach() -> None:
    assert Budget(9_000_000).breach(9_000_001) is not None


def test_a_breach_names_the_five_largest_contributors_and_the_metric() -> None:
    assert TOP == 5
    breach = Budget(4_000_000, "compressed").breach(4_200_000, CONTRIBUTORS)
    assert breach == (
        "image (compressed) 4.20 MB (4,200,000 bytes) > budget 4.00 MB (+200.00 KB, 5.0% over); "
        "largest: lib0 1.00 MB, lib1 1.00 MB, lib2 1.00 MB, lib3 1.00 MB, lib4 1.00 MB"
    )


def test_a_warning_level_warns_between_it_and_the_limit() -> None:
    budget = Budget(9_000_000, warn=8_000_000)
    assert budget.warning(8_000_000) is None
    assert (
        budget.warning(8_500_000) == "image 8.50 MB (8,500,000 bytes) > warning level 8.00 MB (+500.00 KB, 6.2% over)"
    )
    assert budget.warning(9_000_000) is not None  # at the limit: warned, not failed
    assert budget.warning(9_000_001) is None  # a breach, not a warning
    assert Budget(9_000_000).warning(8_900_000) is None  # no warning level


def test_a_budget_refuses_an_unknown_metric_and_a_warning_above_it() -> None:
    with pytest.raises(ValueError, match=r"^metric 'pulled' is not one of size, compressed$"):
        Budget(1, "pulled")
    with pytest.raises(ValueError, match=r"^warning level 2 B is above the budget 1 B$"):
        Budget(1, warn=2)
    assert Budget(1, warn=1).warn == 1  # a warning level at the limit is allowed


@pytest.mark.parametrize(
    ("budget", "text"),
    [
        (Budget(9_000_000), "9.00 MB of size"),
        (Budget(5_000_000, "compressed", 4_000_000), "5.00 MB of compressed, warn at 4.00 MB"),
    ],
)
def test_a_budget_reads_as_it_was_set(budget: Budget, text: str) -> None:
    assert str(budget) == text


def test_the_defaults_are_the_size_metric_and_no_warning() -> None:
    assert Budget(1) == Budget(1, "size", None)


def test_budgets_and_growth_limits_are_values() -> None:
    assert len({Budget(1), Budget(1), Growth(percent=5), Growth(percent=5)}) == 2
    with pytest.raises(AttributeError):
        Budget(1).limit = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    ("growth", "baseline", "allowed"),
    [
        (Growth(percent=5), 8_000_000, 400_000),
        (Growth(percent=2.5), 1_000, 25),
        (Growth(percent=0), 8_000_000, 0),
        (Growth(size=200_000), 8_000_000, 200_000),
        (Growth(), 8_000_000, 0),
    ],
)
def test_growth_allows_a_share_of_the_baseline_or_a_size(growth: Growth, baseline: int, allowed: int) -> None:
    assert growth.allowed(baseline) == allowed


@pytest.mark.parametrize(
    ("growth", "text"),
    [(Growth(percent=5), "5%"), (Growth(percent=2.5), "2.5%"), (Growth(size=200_000), "200.00 KB"), (Growth(), "0 B")],
)
def test_growth_reads_as_it_was_set(growth: Growth, text: str) -> None:
    assert str(growth) == text


def test_over_says_by_how_much_and_what() -> None:
    plain = over("size", 1_100, 1_000, "budget", ())
    assert plain == "image 1.10 KB (1,100 bytes) > budget 1.00 KB (+100 B, 10.0% over)"
    named = over("compressed", 2_000, 1_000, "warning level", CONTRIBUTORS[:1])
    assert named == (
        "image (compressed) 2.00 KB (2,000 bytes) > warning level 1.00 KB (+1.00 KB, 100.0% over); "
        "largest: lib0 1.00 MB"
    )

"""The budget markers: their arguments, the fixtures they pull in, and the verdict on what a test used."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_scratchimage.advice import Lever
from pytest_scratchimage.breakdown import Contributor
from pytest_scratchimage.budget import Budget
from pytest_scratchimage.markers import SIGNATURES, Limits, marked_limits, parse_limits


def test_the_signatures_are_pinned() -> None:
    assert {name: text.split(":")[0] for name, text in SIGNATURES.items()} == {
        "size_budget": "size_budget(budget, metric='size', warn=None)",
        "startup_budget": "startup_budget(seconds)",
        "memory_budget": "memory_budget(size)",
    }
    assert "metric is one of size, compressed" in SIGNATURES["size_budget"]


@pytest.mark.parametrize(
    ("markers", "limits"),
    [
        ({}, Limits()),
        ({"size_budget": (("9MB",), {})}, Limits(size=Budget(9_000_000))),
        ({"size_budget": ((9_000_000,), {})}, Limits(size=Budget(9_000_000))),
        ({"size_budget": ((1,), {})}, Limits(size=Budget(1))),
        (
            {"size_budget": (("9MB",), {"metric": "compressed", "warn": "8MB"})},
            Limits(size=Budget(9_000_000, "compressed", 8_000_000)),
        ),
        ({"size_budget": (("9MB", "size", 8_000_000), {})}, Limits(size=Budget(9_000_000, "size", 8_000_000))),
        ({"startup_budget": (("1s",), {})}, Limits(startup=1.0)),
        ({"startup_budget": ((0.8,), {})}, Limits(startup=0.8)),
        ({"startup_budget": ((2,), {})}, Limits(startup=2.0)),
        ({"startup_budget": ((" 1.5s ",), {})}, Limits(startup=1.5)),
        ({"memory_budget": (("64MB",), {})}, Limits(memory=64_000_000)),
        ({"memory_budget": ((1,), {})}, Limits(memory=1)),
    ],
)
def test_markers_give_limits(markers: dict[str, Any], limits: Limits) -> None:
    assert parse_limits(markers) == limits


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        (
            "size_budget",
            ("nine",),
            "expected @pytest.mark.size_budget(budget, metric='size', warn=None); 'nine' is not",
        ),
        ("size_budget", (0,), "0 is not a size such as 9MB"),
        ("size_budget", (True,), "True is not a size such as 9MB"),
        ("size_budget", (1.5,), "1.5 is not a size such as 9MB"),
        ("size_budget", (), "missing 1 required positional argument: 'budget'"),
        ("size_budget", ("9MB", "pulled"), "metric 'pulled' is not one of size, compressed"),
        ("size_budget", ("9MB", "size", "10MB"), "warning level 10.00 MB is above the budget 9.00 MB"),
        ("startup_budget", ("soon",), "expected @pytest.mark.startup_budget(seconds); 'soon' is not a positive"),
        ("startup_budget", (0,), "0 is not a positive duration such as '1s' or 0.8"),
        ("startup_budget", (-1,), "-1 is not a positive duration"),
        ("startup_budget", (None,), "None is not a positive duration"),
        ("memory_budget", (-1,), "expected @pytest.mark.memory_budget(size); -1 is not a size such as 9MB"),
    ],
)
def test_invalid_markers_say_which_and_how(name: str, args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=rf"^expected @pytest\.mark\.{name}\(") as info:
        parse_limits({name: (args, {})})
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("limits", "fixtures"),
    [
        (Limits(), []),
        (Limits(size=Budget(1)), ["scratch_image"]),
        (Limits(startup=1.0), ["scratch_container"]),
        (Limits(memory=1), ["scratch_container"]),
        (Limits(size=Budget(1), startup=1.0, memory=1), ["scratch_image", "scratch_container"]),
    ],
)
def test_a_marked_test_gets_what_its_limits_measure(limits: Limits, fixtures: list[str]) -> None:
    assert limits.fixtures == fixtures


@dataclass
class FakeImage:
    size: int = 9_400_000
    compressed: int = 4_000_000
    measured: list[str] = field(default_factory=list)
    levers: list[Lever] = field(default_factory=list)

    def measure(self, metric: str) -> int:
        self.measured.append(metric)
        return self.size if metric == "size" else self.compressed

    def breakdown(self) -> list[Contributor]:
        return [Contributor("library", "libpython", 1_280_000)]


@dataclass
class FakeContainer:
    startup_seconds: float = 1.25
    used: int = 60_000_000
    asked: int = 0

    def memory(self) -> int:
        self.asked += 1
        return self.used


def verdict(limits: Limits, image: FakeImage | None, container: FakeContainer | None) -> tuple[list[str], list[str]]:
    given: Any = (image, container)
    return limits.verdict(*given)


def test_a_size_breach_names_the_marker_the_overage_and_the_largest() -> None:
    image = FakeImage()
    assert verdict(Limits(size=Budget(9_000_000)), image, None) == (
        [
            "size_budget: image 9.40 MB (9,400,000 bytes) > budget 9.00 MB (+400.00 KB, 4.4% over); "
            "largest: libpython 1.28 MB"
        ],
        [],
    )
    assert image.measured == ["size"]


def test_the_compressed_metric_measures_the_compressed_size() -> None:
    image = FakeImage()
    assert verdict(Limits(size=Budget(5_000_000, "compressed")), image, None) == ([], [])
    assert image.measured == ["compressed"]


def test_a_size_over_the_warning_level_warns() -> None:
    breaches, warnings = verdict(Limits(size=Budget(10_000_000, warn=9_000_000)), FakeImage(), None)
    assert breaches == []
    assert warnings == ["size_budget: image 9.40 MB (9,400,000 bytes) > warning level 9.00 MB (+400.00 KB, 4.4% over)"]


def test_start_and_memory_breaches() -> None:
    container = FakeContainer()
    assert verdict(Limits(startup=1.0, memory=50_000_000), None, container) == (
        [
            "startup_budget: first HTTP answer 1.25 s after docker run > budget 1 s",
            "memory_budget: 60.00 MB after warm-up > budget 50.00 MB (+10.00 MB)",
        ],
        [],
    )
    assert container.asked == 1


def test_limits_at_the_measured_value_pass_and_memory_is_measured_only_when_limited() -> None:
    container = FakeContainer(startup_seconds=1.0, used=50_000_000)
    assert verdict(Limits(startup=1.0, memory=50_000_000), None, container) == ([], [])
    untouched = FakeContainer()
    assert verdict(Limits(startup=2.0), FakeImage(), untouched) == ([], [])
    assert untouched.asked == 0


def test_nothing_is_measured_without_limits_or_without_what_they_measure() -> None:
    image = FakeImage()
    assert verdict(Limits(), image, FakeContainer()) == ([], [])
    assert verdict(Limits(size=Budget(1)), None, None) == ([], [])
    assert image.measured == []


def mark(name: str, *args: Any, **kwargs: Any) -> SimpleNamespace:
    """What pytest's ``Mark`` gives the plugin: a name, args and kwargs."""
    return SimpleNamespace(name=name, args=args, kwargs=kwargs)


@dataclass
class FakeItem:
    """A test's markers, closest first, as pytest's ``Item.iter_markers`` yields them."""

    marks: list[SimpleNamespace]

    def iter_markers(self) -> list[SimpleNamespace]:
        return self.marks


def test_a_test_takes_the_closest_of_each_budget_marker_and_no_other_marker() -> None:
    item = FakeItem(
        [mark("parametrize", "i", [1]), mark("size_budget", "8MB"), mark("startup_budget", 2), mark("size_budget", "x")]
    )
    assert marked_limits(item) == Limits(size=Budget(8_000_000), startup=2.0)


def test_a_test_without_budget_markers_has_no_limits_and_a_wrong_one_is_refused() -> None:
    assert marked_limits(FakeItem([mark("slow")])) == Limits()
    assert marked_limits(FakeItem([])) == Limits()
    with pytest.raises(ValueError, match=r"expected @pytest\.mark\.memory_budget"):
        marked_limits(FakeItem([mark("memory_budget", "lots")]))

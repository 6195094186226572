"""The budget markers: ``size_budget``, ``startup_budget`` and ``memory_budget``, parsed and checked."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .sizes import ACCEPTED, METRICS, format_size, parse_size

if TYPE_CHECKING:
    from .budget import Budget
    from .image import ScratchImage
    from .run import ScratchContainer

SIGNATURES = {
    "size_budget": "size_budget(budget, metric='size', warn=None): fail when the scratch image is larger, e.g. '9MB'; "
    f"metric is one of {', '.join(METRICS)}",
    "startup_budget": "startup_budget(seconds): fail when the container takes longer from docker run to its first "
    "HTTP answer, e.g. '1s' or 0.8",
    "memory_budget": "memory_budget(size): fail when the container uses more memory after warm-up, e.g. '64MB'",
}
Arguments = tuple[Sequence[Any], Mapping[str, Any]]


class Limits(NamedTuple):
    """What a test's budget markers limit; a light record, read for every test of every run."""

    size: Budget | None = None
    startup: float | None = None
    memory: int | None = None

    @property
    def fixtures(self) -> list[str]:
        """The fixtures a test needs for these limits to be measured."""
        needs = ["scratch_image"] if self.size is not None else []
        return needs + (["scratch_container"] if self.startup is not None or self.memory is not None else [])

    def verdict(self, image: ScratchImage | None, container: ScratchContainer | None) -> tuple[list[str], list[str]]:
        """(breaches, warnings) of the image and container a test used, each a line naming its marker."""
        breaches: list[str] = []
        warnings: list[str] = []
        if self.size is not None and image is not None:
            measured = image.measure(self.size.metric)
            breach = self.size.breach(measured, image.breakdown(), image.levers)
            warning = self.size.warning(measured, image.levers)
            if breach:
                breaches.append(f"size_budget: {breach}")
            if warning:
                warnings.append(f"size_budget: {warning}")
        if container is not None:
            memory = container.memory() if self.memory is not None else None
            breaches += self.breaches(container.startup_seconds, memory)
        return breaches, warnings

    def breaches(self, startup: float | None, memory: int | None) -> list[str]:
        found = []
        if self.startup is not None and startup is not None and startup > self.startup:
            found.append(
                f"startup_budget: first HTTP answer {startup:.2f} s after docker run > budget {self.startup:g} s"
            )
        if self.memory is not None and memory is not None and memory > self.memory:
            found.append(
                f"memory_budget: {format_size(memory)} after warm-up > budget {format_size(self.memory)} "
                f"(+{format_size(memory - self.memory)})"
            )
        return found


def _size(value: object) -> int:
    if isinstance(value, str):
        return parse_size(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise ValueError(f"{value!r} is not {ACCEPTED}")


def _seconds(value: object) -> float:
    text = str(value).strip().removesuffix("s") if isinstance(value, str | int | float) else ""
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise ValueError(f"{value!r} is not a positive duration such as '1s' or 0.8")
    return seconds


def parse_limits(markers: Mapping[str, Arguments]) -> Limits:
    """Limits from the markers' (args, kwargs); a ``ValueError`` says which marker is wrong and how."""
    parsers: dict[str, Callable[..., Any]] = {
        "size_budget": size_budget,
        "startup_budget": startup_budget,
        "memory_budget": memory_budget,
    }
    limits: dict[str, Any] = {}
    for name, (args, kwargs) in markers.items():
        try:
            limits[name.removesuffix("_budget")] = parsers[name](*args, **kwargs)
        except (TypeError, ValueError) as error:
            raise ValueError(f"expected @pytest.mark.{SIGNATURES[name].split(':')[0]}; {error}") from None
    return Limits(**limits)


def marked_limits(item: Any) -> Limits:
    """The limits of a test's closest budget markers (``item`` is pytest's Item); ``ValueError`` as ``parse_limits``.

    One walk of the test's markers, closest first (``get_closest_marker`` for each name would walk them three
    times): this runs for every test of every run that has the plugin installed, budget markers or none.
    """
    found: dict[str, Arguments] = {}
    for mark in item.iter_markers():
        if mark.name in SIGNATURES and mark.name not in found:
            found[mark.name] = (mark.args, mark.kwargs)
    return parse_limits(found) if found else Limits()


def size_budget(budget: object, metric: str = "size", warn: object = None) -> Budget:
    from .budget import Budget

    return Budget(_size(budget), metric, None if warn is None else _size(warn))


def startup_budget(seconds: object) -> float:
    return _seconds(seconds)


def memory_budget(size: object) -> int:
    return _size(size)

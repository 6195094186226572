"""The session's facts about its image: the terminal summary, the JSON report and the baseline gate."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from .advice import Lever
from .breakdown import Contributor
from .budget import TOP, Budget, Growth
from .diff import breakdown_of, diff_of
from .options import FLAG, Options
from .sbom import NOTHING
from .sizes import format_size

N = TypeVar("N", int, float)  # mutation: equivalent (the name is for type checkers)


@dataclass
class SizeReport:
    tag: str
    size: int  # the engine's Size
    compressed: int  # gzipped layers
    budget: Budget
    cached: bool
    seconds: dict[str, float] = field(default_factory=dict)  # the binary's build stages, cold
    image_seconds: float = 0.0
    contributors: list[Contributor] = field(default_factory=list)
    startup_seconds: float | None = None  # the slowest of the session's containers (of all workers, under xdist)
    memory: int | None = None
    cache: str = ""  # where the binary cache is, and why there when it is not the usual place
    recorded: bool = True  # the app's run on the host was recorded: ``unused`` in the breakdown means something
    used: str | None = None  # an image built elsewhere (scratch_image_use): where it came from
    served: str = ""  # how the app is served and the -O level it is frozen at, and why (Build.serving)
    levers: list[Lever] = field(default_factory=list)  # what would shrink it (advice.levers)
    sbom: str | None = None  # where the binary's CycloneDX SBOM was written (scratch_image_sbom)
    scanners: str = ""  # what trivy and syft find in the image's files (sbom.scanner_view)
    layers: str = ""  # scratch_image_layout = layers: the runtime's and the app's layers (session.layers_line)

    def merge(self, other: SizeReport) -> SizeReport:
        """One report of two sessions of the same image (two xdist workers): the worst start and memory."""
        return replace(
            self,
            cached=self.cached and other.cached,
            startup_seconds=_worst(self.startup_seconds, other.startup_seconds),
            memory=_worst(self.memory, other.memory),
        )

    def measured(self) -> int:
        return self.size if self.budget.metric == "size" else self.compressed

    @property
    def breach(self) -> str | None:
        return self.budget.breach(self.measured(), self.contributors, self.levers)

    @property
    def warning(self) -> str | None:
        return self.budget.warning(self.measured(), self.levers)

    def lines(self) -> list[str]:
        headroom = self.budget.limit - self.measured()
        stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.seconds.items())
        top = ", ".join(map(str, self.contributors[:TOP]))
        lines = [
            f"image    {self.tag}",
            f"size     {format_size(self.size)} ({self.size:,} bytes, the engine's Size); "
            f"compressed {format_size(self.compressed)}",
            f"budget   {self.budget}: "
            + (f"headroom {format_size(headroom)}" if headroom >= 0 else f"OVER by {format_size(-headroom)}"),
            f"build    {'cached binary (its cold build: ' + stages + ')' if self.cached else stages}; "
            f"image {self.image_seconds:.1f} s"
            if self.used is None
            else f"used     {self.used}",
        ]
        if self.served:
            lines.append(f"served   {self.served}")
        if self.layers:
            lines.append(f"layers   {self.layers}")
        if top:
            lines.append(f"largest  {top}")
        if self.contributors:
            unpacked = sum(c.unpacked for c in self.contributors)
            lines.append(f"unpacked {format_size(unpacked)} written out by StaticX at every start")
        if self.contributors and self.used:
            lines.append("unused   not known: the image was built elsewhere, its app never recorded")
        elif self.contributors:
            dead = dead_weight(self.contributors) if self.recorded else "not known: scratch_image_record is false"
            lines.append(f"unused   {dead}")
        if self.scanners:
            kind = "warning " if self.scanners.startswith(NOTHING) else "scanners"
            lines.append(f"{kind} {self.scanners}" + (f"; SBOM written to {self.sbom}" if self.sbom else ""))
        if self.startup_seconds is not None:
            lines.append(f"start    first HTTP answer {self.startup_seconds:.2f} s after docker run")
        if self.memory is not None:
            lines.append(f"memory   {format_size(self.memory)} after warm-up")
        if self.cache:
            lines.append(f"cache    {self.cache}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SizeReport:
        budget = Budget(**data.pop("budget"))
        contributors = [Contributor(**c) for c in data.pop("contributors")]
        levers = [Lever(**lever) for lever in data.pop("levers", [])]
        return cls(budget=budget, contributors=contributors, levers=levers, **data)


def dead_weight(contributors: Iterable[Contributor]) -> str:
    """What the image carries that no recorded run used, largest first: ``decimal 118.00 KB, …; 1.90 MB in all``."""
    dead = sorted((c for c in contributors if c.unused), key=lambda c: c.unused, reverse=True)
    if not dead:
        return "nothing: the recorded run used every module, library and data file the image holds"
    named = ", ".join(f"{c.name} {format_size(c.unused)}" for c in dead[:TOP])
    return f"never used by the recorded run: {named}{', …' if len(dead) > TOP else ''}; " + (
        f"{format_size(sum(c.unused for c in dead))} in all"
    )


def _worst(mine: N | None, theirs: N | None) -> N | None:
    return max((value for value in (mine, theirs) if value is not None), default=None)


def baseline_of(report: SizeReport) -> dict[str, Any]:
    """What a committed baseline keeps: the sizes and the breakdown."""
    return {
        "size": report.size,
        "compressed": report.compressed,
        "breakdown": breakdown_of(report.contributors),
    }


def growth_failure(report: SizeReport, baseline: dict[str, Any], limit: Growth) -> str | None:
    """The failure message when the image grew over its baseline by more than ``limit``, naming what grew."""
    before = int(baseline["size"])
    grown = report.size - before
    if grown <= limit.allowed(before):
        return None
    grew = ", ".join(
        f"{c.name} {c.shown_delta}" for c in diff_of(report.size, report.contributors, baseline).grew[:TOP]
    )
    return (
        f"image grew {format_size(before)} → {format_size(report.size)} (+{format_size(grown)}, "
        f"+{100 * grown / before:.1f}%) > {limit}" + (f"; grew most: {grew}" if grew else "")
    )


def gate(report: SizeReport, max_growth: Growth, options: Options) -> tuple[list[str], list[str]]:
    """(failures, notes) of a session: budget, warning level, baseline; writes the report and the baseline."""
    failures = [f"scratch_image_budget: {report.breach}"] if report.breach else []
    notes = [f"scratch_image_budget_warn: {report.warning}"] if report.warning else []
    writes = []
    if options.report is not None:
        writes.append((f"{FLAG}-report", options.report, report.to_dict(), "report"))
    if options.baseline is not None and options.update_baseline:
        writes.append((f"{FLAG}-baseline", options.baseline, baseline_of(report), "baseline"))
    elif options.baseline is not None:
        try:  # checked at start-up (options.check_baseline), read again now
            recorded = json.loads(options.baseline.read_text())
        except (OSError, ValueError) as error:
            failures.append(f"{FLAG}-baseline {options.baseline}: unreadable ({error})")
        else:
            grown = growth_failure(report, recorded, max_growth)
            failures += [f"scratch_image_max_growth: {grown}"] if grown else []
    for option, path, facts, what in writes:
        try:
            write_json(path, facts)
        except OSError as error:
            failures.append(f"{option} {path}: the {what} could not be written ({error.strerror})")
        else:
            notes.append(f"{what} written to {path}")
    return failures, notes


def write_json(path: Path, facts: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(facts, indent=2) + "\n")

"""The hooks of a session run with ``--scratch-image``, and what they share with its fixtures.

``plugin.py`` registers a ``Running`` at configure when the flag is given, and only then: a run without
the flag (most runs of a project, every run of one that does not use the plugin) calls none of these
hooks for its tests, and loads none of this. Each test of such a run would otherwise pay for three
hooks that have nothing to do, two of them wrappers.
"""

from __future__ import annotations

import os
import signal
import threading
import warnings
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from .errors import ScratchImageError, engine_call, tail
from .markers import marked_limits
from .options import Options

if TYPE_CHECKING:
    from .audit import Audit
    from .image import ScratchImage
    from .report import SizeReport
    from .run import ScratchContainer
    from .session import ScratchSession
    from .settings import Settings

T = TypeVar("T")
NEEDS_CONTAINER = {"scratch_container", "scratch_http"}


class ScratchImageBudgetWarning(pytest.PytestWarning):
    """The image passed a budget's warning level, not yet its limit."""


def or_fail(work: Callable[[], T]) -> T:
    """Run ``work``; turn a pipeline error into a plain test failure: its message, no traceback."""
    try:
        return work()
    except ScratchImageError as error:
        failure = str(error)
    pytest.fail(failure, pytrace=False)


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


class Running:
    """A session with ``--scratch-image``: its session, facts and verdicts, and the hooks that use them.

    Under xdist only the controller reports and gates: workers send their facts up (``pytest_sessionfinish``),
    the controller merges them (``pytest_testnodedown``).
    """

    def __init__(self, options: Options, settings: Settings | None) -> None:
        self.options = options
        self.settings = settings
        self.session: ScratchSession | None = None
        self.report: SizeReport | None = None
        self.failures: list[str] = []
        self.notes: list[str] = []
        self.previous_sigterm: Any = None
        self.audit: Audit | None = None  # the session gate's facts (workers' merged, under xdist)
        self.unaudited: list[str] = []  # why an image that was built could not be audited
        self.held: list[str] = []  # tags xdist workers left for the controller to keep or remove
        self.table: list[str] = []  # the change against the baseline, for the summary
        self.summing_up = False  # whether pytest's terminal summary has begun

    # --- what the fixtures do ------------------------------------------------------------------------

    def open(self, config: pytest.Config, settings: Settings) -> Iterator[ScratchSession]:
        """The session behind every fixture; at its end the audit, for the session gate, and the cleanup."""
        from .session import ScratchSession

        cache, why = binary_cache(config, settings)
        options = self.options
        session = ScratchSession(settings, cache, progress(config), options.rebuild, options.keep, why)
        session.hold = settings.hold  # for the end of the session (finish.py) to keep after a green one
        session.owner = getattr(config, "workerinput", {}).get("scratch_image_owner")
        self.session = session
        try:
            yield session
        finally:
            try:
                self.audit = session.audit()
            except ScratchImageError as error:  # the engine gone at the end: the gate cannot pass unchecked
                why = f"session gate: not checked (no shell, no setid files, the user): {error.headline}"
                self.unaudited.append(why)
            self.held = session.own_tags() if session.hold and is_worker(config) else []
            # The engine's removal goes on in a process of its own; but a held image's containers must be gone
            # before the controller removes the images it does not keep (xdist): that removal is waited for.
            session.close(wait=session.hold)

    def image(self, session: ScratchSession, record: Callable[[str, object], None]) -> ScratchImage:
        image = or_fail(session.image)
        report = self.report = session.report()
        for name in ("size", "compressed"):
            record(f"scratch_image_{name}", getattr(report, name))
        record("scratch_image_budget", report.budget.limit)
        return image

    def container(self, session: ScratchSession, record: Callable[[str, object], None]) -> ScratchContainer:
        container = or_fail(session.container)
        if self.report is not None:
            self.report.startup_seconds = round(container.startup_seconds, 3)
            record("scratch_image_startup_seconds", self.report.startup_seconds)
            if self.reported():  # memory costs a warm-up: measured when a report shows it
                self.report.memory = container.memory()
                record("scratch_image_memory", self.report.memory)
        return container

    def reported(self) -> bool:
        """Whether a report shows the memory: the JSON report, the HTML page or the CI step summary."""
        from .stepsummary import VARIABLE

        html = self.settings is not None and self.settings.html is not None
        return self.options.report is not None or html or bool(os.environ.get(VARIABLE))

    # --- the hooks -----------------------------------------------------------------------------------

    def terminate_like_interrupt(self) -> None:
        """SIGTERM (CI cancelling a job) tears down like Ctrl-C does, so containers are removed."""
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            self.previous_sigterm = signal.SIG_DFL
            signal.signal(signal.SIGTERM, _interrupt)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.session is not None and is_worker(config):
            self.session.close(wait=False)  # the fixture normally did; this covers an interrupted teardown
        elif self.session is not None:
            self.session.release(wait=False)  # the end of the session normally did; this covers an interrupted one
        if self.previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self.previous_sigterm)

    @pytest.hookimpl
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """A container killed mid-session fails the next test that needs it, saying so."""
        session = self.session
        if session is not None and NEEDS_CONTAINER & set(getattr(item, "fixturenames", ())):
            or_fail(lambda: session.check_alive(item.nodeid))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        """After the test body: the budget markers (checked at collection). A breach fails the test with its line
        alone, no traceback of this hook; so does a warning level under ``-W error::…ScratchImageBudgetWarning``."""
        yield
        funcargs = getattr(item, "funcargs", {})
        breaches, notes = marked_limits(item).verdict(funcargs.get("scratch_image"), funcargs.get("scratch_container"))
        line = item.location[1]
        for note in notes:
            try:  # the warnings summary points at the test, not at this hook
                warnings.warn_explicit(note, ScratchImageBudgetWarning, str(item.path), 0 if line is None else line + 1)
            except ScratchImageBudgetWarning as error:  # the warnings filter made it an error
                breaches.append(f"{type(error).__name__}: {error}")
        if breaches:
            pytest.fail("\n".join(breaches), pytrace=False)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
        report = yield
        container = getattr(item, "funcargs", {}).get("scratch_container")
        if report.failed and container is not None:
            report.sections.append(log_section(container))
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        """The session gates fail the run, even when no test asks: the budget, the baseline, the shell, setid files,
        the user. Then a green session keeps the tested image as asked, and the reports are written (finish.py)."""
        result = yield
        if self.report is not None and self.settings is not None and not is_worker(session.config):
            from .finish import finish

            outcome = finish(
                self.report, self.audit, self.settings, self.options, session.testsfailed, self.session, self.held,
                os.environ, self.unaudited,
            )  # fmt: skip
            self.failures, self.notes, self.table = outcome.failures, outcome.notes, outcome.table
            for failure in self.failures:  # counted as a failed test: the summary line, --junitxml, the exit code
                for report in gate_reports(failure):
                    session.config.hook.pytest_runtest_logreport(report=report)
        return result

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str] | None:
        """A session gate's failure is counted; listed in the short summary as FAILED, and not shown as a
        letter or a line of its own after the last test's."""
        if not (getattr(report, "scratch_image_gate", False) and report.failed):
            return None
        return "failed", "", "FAILED" if self.summing_up else ""

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if is_worker(session.config) and self.report is not None:
            from .finish import worker_facts

            session.config.workeroutput["scratch_image_report"] = self.report.to_dict()  # type: ignore[attr-defined]
            facts = worker_facts(self.audit, self.held, self.unaudited)
            session.config.workeroutput.update(facts)  # type: ignore[attr-defined]

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        self.summing_up = True  # pytest's short summary, after this, names a failed gate FAILED
        if self.report is None or is_worker(terminalreporter.config):
            return
        terminalreporter.write_sep("=", "scratch image", red=bool(self.failures), bold=True)
        for line in self.report.lines() + self.table:
            terminalreporter.write_line(line)
        for note in self.notes:
            terminalreporter.write_line(note, yellow=True)
        for failure in self.failures:
            terminalreporter.write_line(f"FAILED {failure}", red=True, bold=True)
        if self.options.keep and self.session is not None:
            for line in self.session.kept():
                terminalreporter.write_line(line, yellow=True)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Images held for the controller carry its owner label: no reaper takes them while it runs."""
        from .cleanup import Owner

        node.workerinput["scratch_image_owner"] = str(Owner.current())

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        output = getattr(node, "workeroutput", {})
        facts = output.get("scratch_image_report")
        if facts is not None:
            from .report import SizeReport

            report = SizeReport.from_dict(facts)
            self.report = report if self.report is None else self.report.merge(report)
        if output.get("scratch_image_audit") is not None:
            from .audit import Audit

            audit = Audit.from_dict(output["scratch_image_audit"])
            self.audit = audit if self.audit is None else self.audit.merge(audit)
        self.held += output.get("scratch_image_held", [])
        self.unaudited += output.get("scratch_image_unaudited", [])


def gate_reports(failure: str) -> list[pytest.TestReport]:
    """A session gate's failure (``scratch_image_budget: image … > budget …``) as a test's three reports, so
    that pytest counts it, lists it among the failures and writes it into the JUnit XML as a failed case."""
    gate = failure.partition(":")[0]
    nodeid, location = f"scratch-image::{gate}", ("scratch-image", None, gate)
    return [
        pytest.TestReport(nodeid, location, {}, "passed", None, "setup", scratch_image_gate=True),
        pytest.TestReport(nodeid, location, {}, "failed", failure, "call", scratch_image_gate=True),
        pytest.TestReport(nodeid, location, {}, "passed", None, "teardown", scratch_image_gate=True),
    ]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def log_section(container: ScratchContainer) -> tuple[str, str]:
    """A failing test's section: the container's status and log tail, or why the engine could not give them."""
    from .diagnose import hints
    from .run import network_of

    try:
        with engine_call("the reading of the container's log", f"run: the container {container.id[:12]} is gone"):
            log, status = container.logs(), container.status()
    except ScratchImageError as error:
        return "scratch container, log tail", str(error)
    fixes = "".join(f"\nto fix: {hint}" for hint in hints(log, network_of(container.container)))
    return f"scratch container {status}, log tail", tail(log) + fixes


def binary_cache(config: pytest.Config, settings: Settings) -> tuple[Path, str]:
    """Where built binaries are cached, and why there when it is not the usual place.

    The cache plugin's folder unless ``scratch_image_cache_dir`` names one; the user's cache folder
    when the cache plugin is off (``-p no:cacheprovider``) or its folder is read-only.
    """
    if settings.cache_dir is not None:
        return settings.cache_dir, ""
    cache = getattr(config, "cache", None)  # absent under -p no:cacheprovider
    if cache is None:
        return user_cache(), "the cache plugin is off"
    try:
        folder = cache.mkdir("scratchimage")
    except OSError as error:
        return user_cache(), f"the cache plugin's folder is not writable: {error.strerror}"
    if not os.access(folder, os.W_OK):  # there already, read-only (a CI cache restored so, a read-only mount)
        return user_cache(), f"the cache plugin's folder is not writable: {folder}"
    return folder, ""


def user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pytest-scratchimage"


def progress(config: pytest.Config) -> Callable[[str], None]:
    """A line per stage, shown as it happens: the cold build takes tens of seconds."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")

    def show(message: str) -> None:
        if reporter is None or capture is None:
            return
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(f"scratch image: {message}")

    return show

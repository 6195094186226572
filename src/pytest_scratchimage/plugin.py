"""The pytest wiring: options, ini, markers, fixtures, the gates and the summary. No work happens here."""

from __future__ import annotations

import signal
import threading
import warnings
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from .diagnose import hints
from .errors import ScratchImageError, tail
from .http import BaseUrlSession
from .image import ScratchImage
from .markers import SIGNATURES, Limits, parse_limits
from .report import SizeReport, gate
from .run import ScratchContainer
from .session import ScratchSession
from .settings import Settings, SettingsError, resolve, size_budget

FLAG = "--scratch-image"
SKIP_REASON = f"builds and runs the scratch image: pass {FLAG} to run it"

# name, help (stating the default), pytest ini type, default
INI: tuple[tuple[str, str, str, Any], ...] = (
    ("app", "the WSGI app to ship, module:callable (or module:factory()); required", "string", ""),
    ("app_path", "folders the app is imported from (default: the rootdir)", "paths", []),
    ("budget", "the session's size budget, e.g. 9MB = 9,000,000 bytes (default: 9MB)", "string", ""),
    ("budget_metric", "what the budget limits: size (the engine's Size) or compressed (default: size)", "string", ""),
    ("budget_warn", "a size below the budget that warns when exceeded (default: none)", "string", ""),
    ("max_growth", "growth over --scratch-image-baseline that fails, 5% or 200KB (default: 5%)", "string", ""),
    ("user", "numeric UID the container runs as (default: 65535)", "string", ""),
    ("port", "port the app listens on in the container (default: 8000)", "string", ""),
    ("workers", "gunicorn worker processes (default: 2)", "string", ""),
    ("worker_class", "gunicorn worker class: sync, gthread, … or a dotted path (default: sync)", "string", ""),
    ("health_path", "path probed until the app answers (default: /)", "string", ""),
    ("ready_timeout", "seconds to wait for the first HTTP answer (default: 30)", "string", ""),
    ("hidden_imports", "extra modules PyInstaller must include, one a line", "linelist", []),
    ("excludes", "modules PyInstaller must leave out, one a line", "linelist", []),
    ("collect_data", "packages whose data files are collected, one a line", "linelist", []),
    ("copy_metadata", "distributions whose metadata is copied, one a line", "linelist", []),
    ("trim", "opt-in levers that leave parts of Python out, one a line: tls, codecs, compression", "linelist", []),
    ("exclude_files", "patterns of collected files to leave out, e.g. falcon/cyutil/* or *.po", "linelist", []),
    ("compression", "xz: smallest image (default); zlib: starts sooner; zlib-only: biggest, soonest", "string", ""),
    ("extra_files", "files for the app, SOURCE:DEST_FOLDER, one a line (relative to the rootdir)", "linelist", []),
    ("env", "environment of the container, NAME=value, one a line", "linelist", []),
    ("hardened", "read-only root, tmpfs /tmp, no capabilities, no new privileges (default: true)", "bool", True),
    ("cache_dir", "where built binaries are cached (default: .pytest_cache/d/scratchimage)", "string", ""),
)


class ScratchImageBudgetWarning(pytest.PytestWarning):
    """The image passed a budget's warning level, not yet its limit."""


@dataclass
class State:
    """What the hooks share, kept in ``config.stash``."""

    enabled: bool
    settings: Settings | None
    options: dict[str, Any] = field(default_factory=dict)
    session: ScratchSession | None = None
    report: SizeReport | None = None
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    previous_sigterm: Any = None


STATE = pytest.StashKey[State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("scratchimage", "frozen, static, FROM scratch image of a WSGI app")
    group.addoption(FLAG, action="store_true", help="build, run and probe the scratch image (default: skip)")
    group.addoption("--scratch-image-rebuild", action="store_true", help="rebuild even when the cache has the binary")
    group.addoption(
        "--scratch-image-keep", action="store_true", help="keep the container after the session, for debugging"
    )
    group.addoption("--scratch-image-baseline", metavar="PATH", help="fail when the image grew over this JSON baseline")
    group.addoption(
        "--scratch-image-update-baseline", action="store_true", help="write the baseline instead of comparing"
    )
    group.addoption("--scratch-image-report", metavar="PATH", help="write the image's facts as JSON to PATH")
    for name, help, kind, default in INI:
        parser.addini(f"scratch_image_{name}", help, type=kind, default=default)  # type: ignore[arg-type]


def _raw_settings(config: pytest.Config) -> dict[str, Any]:
    return {name: config.getini(f"scratch_image_{name}") for name, *_ in INI}


def _settings(config: pytest.Config) -> Settings | None:
    raw = _raw_settings(config)
    if not str(raw["app"]).strip() and not config.getoption(FLAG):
        return None  # the plugin is installed but this project does not use it
    try:
        return resolve(raw, config.rootpath)
    except SettingsError as error:
        where = f"-o or {config.inipath}" if config.inipath else "-o"
        raise pytest.UsageError(f"pytest-scratchimage: {error} (from {where})") from None


@pytest.hookimpl
def pytest_configure(config: pytest.Config) -> None:
    for signature in SIGNATURES.values():
        config.addinivalue_line("markers", signature)
    options = {name: config.getoption(f"--scratch-image-{name}") for name in ("rebuild", "keep", "report")}
    options["baseline"] = config.getoption("--scratch-image-baseline")
    options["update_baseline"] = config.getoption("--scratch-image-update-baseline")
    if options["update_baseline"] and not options["baseline"]:
        raise pytest.UsageError(
            "pytest-scratchimage: --scratch-image-update-baseline needs --scratch-image-baseline PATH"
        )
    state = State(enabled=bool(config.getoption(FLAG)), settings=_settings(config), options=options)
    config.stash[STATE] = state
    if state.enabled:
        _terminate_like_interrupt(state)
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistReports(state), "scratchimage-xdist")


def _terminate_like_interrupt(state: State) -> None:
    """SIGTERM (CI cancelling a job) tears down like Ctrl-C does, so containers are removed."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        state.previous_sigterm = signal.SIG_DFL
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)  # absent when configure stopped at a usage error
    if state is None:
        return
    if state.session is not None:
        state.session.close()  # the fixture normally did; this covers an interrupted teardown
    if state.previous_sigterm is not None:
        signal.signal(signal.SIGTERM, state.previous_sigterm)


class XdistReports:
    """Under xdist only the controller reports and gates: workers send their facts up."""

    def __init__(self, state: State) -> None:
        self.state = state

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        report = getattr(node, "workeroutput", {}).get("scratch_image_report")
        if report is not None and self.state.report is None:
            self.state.report = SizeReport.from_dict(report)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl
def pytest_sessionfinish(session: pytest.Session) -> None:
    report = session.config.stash[STATE].report
    if _is_worker(session.config) and report is not None:
        session.config.workeroutput["scratch_image_report"] = report.to_dict()  # type: ignore[attr-defined]


def pytest_report_header(config: pytest.Config) -> str | None:
    state = config.stash[STATE]
    if state.settings is None:
        return None
    s = state.settings
    mode = "on" if state.enabled else f"off (pass {FLAG})"
    trim = ",".join(s.trim) or "none"
    return (
        f"scratch-image: {mode}, app={s.app}, budget={s.budget:,} B ({s.budget_metric}), user={s.user}, "
        f"port={s.port}, workers={s.workers}, hardened={s.hardened}, compression={s.compression}, trim={trim}"
    )


def item_limits(item: pytest.Item) -> Limits:
    markers = {name: item.get_closest_marker(name) for name in SIGNATURES}
    try:
        return parse_limits({name: (m.args, m.kwargs) for name, m in markers.items() if m is not None})
    except ValueError as error:
        raise pytest.UsageError(f"{item.nodeid}: {error}") from None


@pytest.hookimpl
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Validate the budget markers up front; a marked test gets what it measures without naming it."""
    for item in items:
        limits = item_limits(item)
        needs = ["scratch_image"] if limits.size else []
        needs += ["scratch_container"] if limits.startup or limits.memory else []
        if isinstance(item, pytest.Function):
            item.fixturenames.extend(name for name in needs if name not in item.fixturenames)


T = TypeVar("T")


def _or_fail(work: Callable[[], T]) -> T:
    """Run ``work``; turn a pipeline error into a plain test failure: its message, no traceback."""
    try:
        return work()
    except ScratchImageError as error:
        failure = str(error)
    pytest.fail(failure, pytrace=False)


@pytest.hookimpl
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A container killed mid-session fails the next test that needs it, saying so."""
    session = item.config.stash[STATE].session
    if session is not None and {"scratch_container", "scratch_http"} & set(getattr(item, "fixturenames", ())):
        _or_fail(lambda: session.check_alive(item.nodeid))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """After the test body: the budget markers."""
    yield
    limits = item_limits(item)
    funcargs = getattr(item, "funcargs", {})
    image, container = funcargs.get("scratch_image"), funcargs.get("scratch_container")
    breaches = []
    if limits.size is not None and isinstance(image, ScratchImage):
        measured = image.measure(limits.size.metric)
        breach, warning = limits.size.breach(measured, image.breakdown()), limits.size.warning(measured)
        breaches += [f"size_budget: {breach}"] if breach else []
        if warning:
            warnings.warn(ScratchImageBudgetWarning(f"size_budget: {warning}"), stacklevel=1)
    if isinstance(container, ScratchContainer):
        memory = container.memory() if limits.memory else None
        breaches += limits.breaches(None, container.startup_seconds, memory)
    if breaches:
        raise AssertionError("\n".join(breaches))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    container = getattr(item, "funcargs", {}).get("scratch_container")
    if report.failed and isinstance(container, ScratchContainer):
        log = container.logs()
        fixes = "".join(f"\nto fix: {hint}" for hint in hints(log))
        report.sections.append((f"scratch container {container.status()}, log tail", tail(log) + fixes))
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    """The session gates: the budget and the baseline fail the run, even when no test asks."""
    result = yield
    state = session.config.stash[STATE]
    if state.report is not None and not _is_worker(session.config):
        assert state.settings is not None
        options = state.options
        baseline = Path(options["baseline"]) if options["baseline"] else None
        report_path = Path(options["report"]) if options["report"] else None
        state.failures, state.notes = gate(
            state.report, state.settings.max_growth, report_path, baseline, options["update_baseline"]
        )
        session.testsfailed += len(state.failures)
    return result


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    state = terminalreporter.config.stash[STATE]
    if state.report is None or _is_worker(terminalreporter.config):
        return
    terminalreporter.write_sep("=", "scratch image", red=bool(state.failures), bold=True)
    for line in state.report.lines():
        terminalreporter.write_line(line)
    for note in state.notes:
        terminalreporter.write_line(note, yellow=True)
    for failure in state.failures:
        terminalreporter.write_line(f"FAILED {failure}", red=True, bold=True)
    if state.options["keep"] and state.session is not None:
        for line in state.session.kept():
            terminalreporter.write_line(line, yellow=True)


@pytest.fixture(scope="session")
def scratch_settings(pytestconfig: pytest.Config) -> Settings:
    """The resolved settings (ini and -o); override this fixture to adapt them in code."""
    state = pytestconfig.stash[STATE]
    if not state.enabled:
        pytest.skip(SKIP_REASON)
    if state.settings is None:
        raise pytest.UsageError("pytest-scratchimage: scratch_image_app is not set")
    return state.settings


@pytest.fixture(scope="session")
def _scratch_session(
    pytestconfig: pytest.Config, scratch_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ScratchSession]:
    state = pytestconfig.stash[STATE]
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")

    def progress(message: str) -> None:
        """A line per stage, shown as it happens: the cold build takes tens of seconds."""
        if reporter is None or capture is None:
            return
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(f"scratch image: {message}")

    cache = cache_dir(pytestconfig, tmp_path_factory)
    session = ScratchSession(scratch_settings, cache, progress, state.options["rebuild"], state.options["keep"])
    state.session = session
    try:
        yield session
    finally:
        session.close()


def cache_dir(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = str(config.getini("scratch_image_cache_dir")).strip()
    if configured:
        return config.rootpath / configured
    if config.cache is not None:
        return config.cache.mkdir("scratchimage")
    return tmp_path_factory.getbasetemp() / "scratchimage"


@pytest.fixture(scope="session")
def scratch_image(
    pytestconfig: pytest.Config,
    _scratch_session: ScratchSession,
    record_testsuite_property: Callable[[str, object], None],
) -> ScratchImage:
    """The built image: ``.tag``, ``.id``, ``.size`` (the engine's bytes), ``.files()``, ``.breakdown()``."""
    image = _or_fail(_scratch_session.image)
    build = _scratch_session.build
    assert build is not None
    settings = _scratch_session.settings
    report = SizeReport(
        tag=image.tag,
        size=image.size,
        compressed=image.compressed_size(),
        budget=size_budget(settings),
        cached=build.cached,
        seconds=build.seconds,
        image_seconds=_scratch_session.image_seconds,
        contributors=build.contributors,
    )
    pytestconfig.stash[STATE].report = report
    for name in ("size", "compressed"):
        record_testsuite_property(f"scratch_image_{name}", getattr(report, name))
    record_testsuite_property("scratch_image_budget", report.budget.limit)
    return image


@pytest.fixture(scope="session")
def scratch_container(
    pytestconfig: pytest.Config,
    scratch_image: ScratchImage,
    _scratch_session: ScratchSession,
    record_testsuite_property: Callable[[str, object], None],
) -> ScratchContainer:
    """The image running as shipped, hardened, ready: ``.url`` is ``http://127.0.0.1:<port>`` (see engine_address)."""
    container = _or_fail(_scratch_session.container)
    state = pytestconfig.stash[STATE]
    if state.report is not None:
        state.report.startup_seconds = round(container.startup_seconds, 3)
        record_testsuite_property("scratch_image_startup_seconds", state.report.startup_seconds)
        if state.options["report"]:  # memory costs a warm-up: measured when a report asks for it
            state.report.memory = container.memory()
            record_testsuite_property("scratch_image_memory", state.report.memory)
    return container


@pytest.fixture(scope="session")
def scratch_start_container(_scratch_session: ScratchSession) -> Callable[..., ScratchContainer]:
    """Start another ready container of the image: ``scratch_start_container(env={"WAIT_TIME": "1"})``.

    Each is removed at the end of the session; use it for tests that stop, kill or time a container.
    """

    def start(env: dict[str, str] | None = None) -> ScratchContainer:
        return _or_fail(lambda: _scratch_session.start(env))

    return start


@pytest.fixture(scope="session")
def scratch_image_factory(
    pytestconfig: pytest.Config, scratch_settings: Settings, _scratch_session: ScratchSession
) -> Iterator[Callable[..., ScratchSession]]:
    """Build and run variants: ``scratch_image_factory(hardened="false", env=["WAIT_TIME=1"])``.

    Overrides are ini values without the ``scratch_image_`` prefix (strings, or lists for line lists).
    Each variant has the default's cache (an unchanged binary is not rebuilt) and cleanup; its
    ``.image()``, ``.container()`` and ``.start()`` raise ``ScratchImageError`` with the stage and log.
    """
    variants: list[ScratchSession] = []

    def make(**overrides: Any) -> ScratchSession:
        unknown = set(overrides) - {name for name, *_ in INI}
        if unknown:
            raise TypeError(f"scratch_image_factory: unknown settings {sorted(unknown)}; known: {[n for n, *_ in INI]}")
        raw = _raw_settings(pytestconfig) | {
            k: [v] if isinstance(v, str) and _is_list(k) else v for k, v in overrides.items()
        }
        settings = resolve(raw, pytestconfig.rootpath)
        default = _scratch_session
        variant = ScratchSession(settings, default.cache, default.progress, keep=default.keep)
        variants.append(variant)
        return variant

    yield make
    for variant in variants:
        variant.close()


def _is_list(name: str) -> bool:
    return next(kind for n, _, kind, _ in INI if n == name) in {"linelist", "paths"}


@pytest.fixture(scope="session")
def scratch_http(scratch_container: ScratchContainer) -> Iterator[BaseUrlSession]:
    """A ``requests.Session`` whose relative paths go to the container: ``scratch_http.get("/number")``."""
    with BaseUrlSession(scratch_container.url) as http:
        yield http

"""The pytest wiring: options, ini, markers, fixtures, the size gate and the summary. No work happens here."""

from __future__ import annotations

import dataclasses
import signal
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from .assertions import budget_breach
from .diagnose import hints
from .errors import ScratchImageError, tail
from .http import BaseUrlSession
from .image import ScratchImage
from .report import SizeReport
from .run import ScratchContainer
from .session import ScratchSession
from .settings import Settings, SettingsError, parse_budget, resolve

FLAG = "--scratch-image"
SKIP_REASON = f"builds and runs the scratch image: pass {FLAG} to run it"

# name, help (stating the default), pytest ini type, default
INI: tuple[tuple[str, str, str, Any], ...] = (
    ("app", "the WSGI app to ship, module:callable (or module:factory()); required", "string", ""),
    ("app_path", "folders the app is imported from (default: the rootdir)", "paths", []),
    ("budget", "the image's size budget, e.g. 9MB = 9,000,000 bytes (default: 9MB)", "string", ""),
    ("user", "numeric UID the container runs as (default: 65535)", "string", ""),
    ("port", "port the app listens on in the container (default: 8000)", "string", ""),
    ("workers", "gunicorn worker processes (default: 2)", "string", ""),
    ("health_path", "path probed until the app answers (default: /)", "string", ""),
    ("ready_timeout", "seconds to wait for the first HTTP answer (default: 30)", "string", ""),
    ("hidden_imports", "extra modules PyInstaller must include, one a line", "linelist", []),
    ("excludes", "modules PyInstaller must leave out, one a line", "linelist", []),
    ("collect_data", "packages whose data files are collected, one a line", "linelist", []),
    ("copy_metadata", "distributions whose metadata is copied, one a line", "linelist", []),
    ("env", "environment of the container, NAME=value, one a line", "linelist", []),
    ("hardened", "read-only root, tmpfs /tmp, no capabilities, no new privileges (default: true)", "bool", True),
    ("cache_dir", "where built binaries are cached (default: .pytest_cache/d/scratchimage)", "string", ""),
)


@dataclass
class State:
    """What the hooks share, kept in ``config.stash``."""

    enabled: bool
    settings: Settings | None
    rebuild: bool = False
    keep: bool = False
    session: ScratchSession | None = None
    report: SizeReport | None = None
    gate_failure: str | None = None
    previous_sigterm: Any = None


STATE = pytest.StashKey[State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("scratchimage", "frozen, static, FROM scratch image of a WSGI app")
    group.addoption(
        FLAG, action="store_true", help="build, run and probe the scratch image (default: skip those tests)"
    )
    group.addoption(
        "--scratch-image-rebuild", action="store_true", help="rebuild the binary even when the cache holds it"
    )
    group.addoption(
        "--scratch-image-keep",
        action="store_true",
        help="keep the container and image after the session, for debugging, and print how to reach them",
    )
    for name, help, kind, default in INI:
        parser.addini(f"scratch_image_{name}", help, type=kind, default=default)  # type: ignore[arg-type]


def _settings(config: pytest.Config) -> Settings | None:
    raw = {name: config.getini(f"scratch_image_{name}") for name, *_ in INI}
    if not str(raw["app"]).strip() and not config.getoption(FLAG):
        return None  # the plugin is installed but this project does not use it
    try:
        return resolve(raw, config.rootpath)
    except SettingsError as error:
        where = f"-o or {config.inipath}" if config.inipath else "-o"
        raise pytest.UsageError(f"pytest-scratchimage: {error} (from {where})") from None


@pytest.hookimpl
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "size_budget(budget): fail the test when the scratch image is larger than budget, e.g. '9MB'"
    )
    config.stash[STATE] = State(
        enabled=bool(config.getoption(FLAG)),
        settings=_settings(config),
        rebuild=bool(config.getoption("--scratch-image-rebuild")),
        keep=bool(config.getoption("--scratch-image-keep")),
    )
    if config.stash[STATE].enabled:
        _terminate_like_interrupt(config.stash[STATE])
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistReports(config.stash[STATE]), "scratchimage-xdist")


def _terminate_like_interrupt(state: State) -> None:
    """SIGTERM (CI cancelling a job) tears down like Ctrl-C does, so containers are removed."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        state.previous_sigterm = signal.SIG_DFL
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash[STATE]
    if state.session is not None:
        state.session.close()  # fixtures normally did; this covers an interrupted teardown
    if state.previous_sigterm is not None:
        signal.signal(signal.SIGTERM, state.previous_sigterm)


class XdistReports:
    """Under xdist only the controller prints and gates: workers send their report up."""

    def __init__(self, state: State) -> None:
        self.state = state

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        report = getattr(node, "workeroutput", {}).get("scratch_image_report")
        if report is not None and self.state.report is None:
            self.state.report = SizeReport(**report)


@pytest.hookimpl
def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    report = session.config.stash[STATE].report
    if workeroutput is not None and report is not None:
        workeroutput["scratch_image_report"] = dataclasses.asdict(report)


def pytest_report_header(config: pytest.Config) -> str | None:
    state = config.stash[STATE]
    if state.settings is None:
        return None
    s = state.settings
    mode = "on" if state.enabled else f"off (pass {FLAG})"
    return (
        f"scratch-image: {mode}, app={s.app}, budget={s.budget:,} B, user={s.user}, port={s.port}, "
        f"workers={s.workers}, hardened={s.hardened}"
    )


@pytest.hookimpl
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Validate size_budget markers up front; a marked test needs the image even if it never names it."""
    for item in items:
        marker = item.get_closest_marker("size_budget")
        if marker is not None:
            marker_budget(item)
            if isinstance(item, pytest.Function) and "scratch_image" not in item.fixturenames:
                item.fixturenames.append("scratch_image")


def marker_budget(item: pytest.Item) -> int:
    marker = item.get_closest_marker("size_budget")
    assert marker is not None
    if len(marker.args) != 1 or marker.kwargs or not isinstance(marker.args[0], str | int):
        raise pytest.UsageError(f"{item.nodeid}: expected @pytest.mark.size_budget('9MB'), got {marker}")
    budget = marker.args[0]
    try:
        return budget if isinstance(budget, int) else parse_budget("size_budget", budget)
    except SettingsError as error:
        raise pytest.UsageError(f"{item.nodeid}: {error}") from None


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
    yield
    if item.get_closest_marker("size_budget") is not None:
        image = getattr(item, "funcargs", {}).get("scratch_image")
        breach = image and budget_breach(image.size, marker_budget(item))
        if breach:
            raise AssertionError(f"size_budget: {breach}")


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
    """The session gate: an image over ``scratch_image_budget`` fails the run, even when no test asks."""
    result = yield
    state = session.config.stash[STATE]
    if state.report is not None and state.report.breach:
        state.gate_failure = f"scratch_image_budget: {state.report.breach}"
        session.testsfailed += 1
    return result


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    state = terminalreporter.config.stash[STATE]
    if state.report is None:
        return
    terminalreporter.write_sep("=", "scratch image", red=bool(state.gate_failure), bold=True)
    for line in state.report.lines():
        terminalreporter.write_line(line)
    if state.gate_failure:
        terminalreporter.write_line(f"FAILED {state.gate_failure}", red=True, bold=True)
    if state.keep and state.session is not None:
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

    session = ScratchSession(
        scratch_settings, cache_dir(pytestconfig, tmp_path_factory), progress, state.rebuild, state.keep
    )
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
def scratch_image(pytestconfig: pytest.Config, _scratch_session: ScratchSession) -> ScratchImage:
    """The built image: ``.tag``, ``.id``, ``.size`` (the engine's bytes), ``.user``, ``.files()``, ``.shells()``."""
    image = _or_fail(_scratch_session.image)
    build = _scratch_session.build
    assert build is not None
    state = pytestconfig.stash[STATE]
    state.report = SizeReport(image.tag, image.size, _scratch_session.settings.budget, build.cached, build.seconds)
    return image


@pytest.fixture(scope="session")
def scratch_container(
    pytestconfig: pytest.Config, scratch_image: ScratchImage, _scratch_session: ScratchSession
) -> ScratchContainer:
    """The image running as shipped, hardened, ready: ``.url`` is ``http://127.0.0.1:<port>``."""
    container = _or_fail(_scratch_session.container)
    state = pytestconfig.stash[STATE]
    if state.report is not None:
        state.report = SizeReport(**{**vars(state.report), "ready_seconds": container.ready_seconds})
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
def scratch_http(scratch_container: ScratchContainer) -> Iterator[BaseUrlSession]:
    """A ``requests.Session`` whose relative paths go to the container: ``scratch_http.get("/number")``."""
    with BaseUrlSession(scratch_container.url) as http:
        yield http

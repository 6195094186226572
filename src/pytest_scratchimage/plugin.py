"""The pytest wiring: options, ini, markers, fixtures, the gates and the summary. No work happens here.

Only light modules load with the plugin: the docker SDK, requests and the pipeline load when a session
first needs its image, so a project that has the plugin installed and does not use it pays next to
nothing. For the same reason the records these modules declare are ``NamedTuple``s and ``State`` is a
plain class: creating a dataclass costs about a millisecond, a few percent of a small project's pytest
run; and each module more costs about 0.3 ms through pytest's rewrite hook, so the errors load with the
first session and the settings name the trims instead of importing their levers.
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

from .markers import SIGNATURES, Limits, parse_limits
from .options import FLAG, FLAGS, OptionError, Options, folder_problem
from .schema import SCHEMA, SETTINGS, Invalid, SettingsError, as_ini, parse_network

if TYPE_CHECKING:
    from .audit import Audit
    from .http import BaseUrlSession
    from .image import ScratchImage
    from .report import SizeReport
    from .run import ScratchContainer
    from .session import ScratchSession
    from .settings import Settings

SKIP_REASON = f"builds and runs the scratch image: pass {FLAG} to run it"
T = TypeVar("T")


class ScratchImageBudgetWarning(pytest.PytestWarning):
    """The image passed a budget's warning level, not yet its limit."""


class State:
    """What the hooks share, kept in ``config.stash``; a plain class, since a dataclass costs a millisecond."""

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


STATE = pytest.StashKey[State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("scratchimage", "frozen, static, FROM scratch image of a WSGI or ASGI app")
    for flag in FLAGS:
        if flag.metavar:
            group.addoption(flag.option, dest=f"scratch_image_{flag.dest}", metavar=flag.metavar, help=flag.help)
        else:
            group.addoption(flag.option, dest=f"scratch_image_{flag.dest}", action="store_true", help=flag.help)
    for setting in SCHEMA:
        parser.addini(setting.ini, setting.ini_help, type=setting.kind, default=[] if setting.is_list else "")  # type: ignore[arg-type]
        if setting.flag:
            group.addoption(
                setting.option, dest=setting.ini, metavar=setting.flag, help=f"{setting.help} (ini: {setting.ini})"
            )


def flagged(config: pytest.Config) -> set[str]:
    """The settings given on the command line (their twins win over the ini file)."""
    return {s.name for s in SCHEMA if s.flag and config.getoption(s.ini, None) is not None}


def raw_settings(config: pytest.Config) -> dict[str, Any]:
    """The settings as the command line, the ini file and ``-o`` give them, keyed without the prefix."""
    given = flagged(config)
    return {s.name: config.getoption(s.ini) if s.name in given else config.getini(s.ini) for s in SCHEMA}


def resolve_settings(config: pytest.Config, raw: dict[str, Any]) -> Settings:
    """``resolve``, a command-line path starting where pytest was invoked and an ini one at the rootdir."""
    from .settings import resolve  # the settings' dataclass loads only for a project that uses the plugin

    anchors = dict.fromkeys(flagged(config), config.invocation_params.dir)
    return resolve(raw, config.rootpath, anchors)


def _settings(config: pytest.Config, options: Options) -> Settings | None:
    if not options.enabled and not str(config.getini(SETTINGS["app"].ini)).strip():
        return None  # the plugin is installed but this project does not use it: its other settings go unread
    raw = raw_settings(config)
    _check_keys(config)
    try:
        return resolve_settings(config, raw)
    except SettingsError as error:
        where = f"-o or {config.inipath}" if config.inipath else "-o"
        where = next((s.option for s in SCHEMA if s.ini == error.name and s.name in flagged(config)), where)
        raise pytest.UsageError(f"pytest-scratchimage: {error} (from {where})") from None


def _check_keys(config: pytest.Config) -> None:
    """A ``scratch_image_*`` key that is no setting fails at once, naming the setting it is closest to:
    pytest would only warn, after collection, and the session would run with the default."""
    from .settings import ini_keys, unknown_settings

    overrides = {line.partition("=")[0].strip() for line in config.getoption("override_ini", None) or ()}
    for keys, where in ((overrides, "-o"), (ini_keys(config.inipath), str(config.inipath))):
        problems = unknown_settings(keys)
        if problems:
            raise pytest.UsageError(f"pytest-scratchimage: {'; '.join(problems)} (from {where})")


def _options(config: pytest.Config) -> Options:
    options = Options.read(lambda dest: config.getoption(f"scratch_image_{dest}"))
    try:
        options.check()
    except OptionError as error:
        raise pytest.UsageError(f"pytest-scratchimage: {error}") from None
    return options


@pytest.hookimpl
def pytest_configure(config: pytest.Config) -> None:
    for signature in SIGNATURES.values():
        config.addinivalue_line("markers", signature)
    options = _options(config)
    state = State(options, _settings(config, options))
    config.stash[STATE] = state
    if options.enabled:
        _check_cache_dir(state.settings)
        _terminate_like_interrupt(state)
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistReports(state), "scratchimage-xdist")


def _check_cache_dir(settings: Settings | None) -> None:
    folder = settings.cache_dir if settings is not None else None
    problem = folder_problem(folder) if folder is not None else None
    if problem is not None:
        raise pytest.UsageError(f"pytest-scratchimage: {SETTINGS['cache_dir'].ini} = {str(folder)!r} {problem}")
    from .settings import unwritable

    problem = unwritable(settings) if settings is not None else None
    if problem is not None:
        raise pytest.UsageError(f"pytest-scratchimage: {problem}")


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
        return cache.mkdir("scratchimage"), ""
    except OSError as error:
        return user_cache(), f"the cache plugin's folder is not writable: {error.strerror}"


def user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pytest-scratchimage"


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
    if state.session is not None and _is_worker(config):
        state.session.close(wait=False)  # the fixture normally did; this covers an interrupted teardown
    elif state.session is not None:
        state.session.release(wait=False)  # the end of the session normally did; this covers an interrupted one
    if state.previous_sigterm is not None:
        signal.signal(signal.SIGTERM, state.previous_sigterm)


class XdistReports:
    """Under xdist only the controller reports and gates: workers send their facts up, the controller merges them."""

    def __init__(self, state: State) -> None:
        self.state = state

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
            self.state.report = report if self.state.report is None else self.state.report.merge(report)
        if output.get("scratch_image_audit") is not None:
            from .audit import Audit

            audit = Audit.from_dict(output["scratch_image_audit"])
            self.state.audit = audit if self.state.audit is None else self.state.audit.merge(audit)
        self.state.held += output.get("scratch_image_held", [])
        self.state.unaudited += output.get("scratch_image_unaudited", [])


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl
def pytest_sessionfinish(session: pytest.Session) -> None:
    state = session.config.stash[STATE]
    if _is_worker(session.config) and state.report is not None:
        from .finish import worker_facts

        session.config.workeroutput["scratch_image_report"] = state.report.to_dict()  # type: ignore[attr-defined]
        facts = worker_facts(state.audit, state.held, state.unaudited)
        session.config.workeroutput.update(facts)  # type: ignore[attr-defined]


def pytest_report_header(config: pytest.Config) -> str | None:
    state = config.stash[STATE]
    if state.settings is None:
        return None
    s = state.settings
    mode = "on" if state.options.enabled else f"off (pass {FLAG})"
    trim = ",".join(s.trim) or "none"
    what = f"use={s.use}" if s.use is not None else f"app={s.app}"
    return (
        f"scratch-image: {mode}, {what}, budget={s.budget:,} B ({s.budget_metric}), user={s.user}, "
        f"port={s.port}, workers={s.workers}, hardened={s.hardened}, network={s.network}, layout={s.layout}, "
        f"compression={s.compression}, trim={trim}"
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
        needs = item_limits(item).fixtures
        if isinstance(item, pytest.Function):
            item.fixturenames.extend(name for name in needs if name not in item.fixturenames)


def _or_fail(work: Callable[[], T]) -> T:
    """Run ``work``; turn a pipeline error into a plain test failure: its message, no traceback."""
    from .errors import ScratchImageError  # loaded by then: only a session's work can raise it

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
    funcargs = getattr(item, "funcargs", {})
    breaches, notes = item_limits(item).verdict(funcargs.get("scratch_image"), funcargs.get("scratch_container"))
    for note in notes:
        warnings.warn(ScratchImageBudgetWarning(note), stacklevel=1)
    if breaches:
        raise AssertionError("\n".join(breaches))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    container = getattr(item, "funcargs", {}).get("scratch_container")
    if report.failed and container is not None:
        report.sections.append(_log_section(container))
    return report


def _log_section(container: ScratchContainer) -> tuple[str, str]:
    """A failing test's section: the container's status and log tail, or why the engine could not give them."""
    from .diagnose import hints
    from .errors import ScratchImageError, engine_call, tail

    try:
        with engine_call("the reading of the container's log", f"run: the container {container.id[:12]} is gone"):
            log, status = container.logs(), container.status()
    except ScratchImageError as error:
        return "scratch container, log tail", str(error)
    fixes = "".join(f"\nto fix: {hint}" for hint in hints(log))
    return f"scratch container {status}, log tail", tail(log) + fixes


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    """The session gates fail the run, even when no test asks: the budget, the baseline, the shell, setid files, the
    user. Then a green session keeps the tested image as asked, and the reports are written (finish.py)."""
    result = yield
    state = session.config.stash[STATE]
    if state.report is not None and state.settings is not None and not _is_worker(session.config):
        from .finish import finish

        outcome = finish(
            state.report, state.audit, state.settings, state.options, session.testsfailed, state.session, state.held,
            os.environ, state.unaudited,
        )  # fmt: skip
        state.failures, state.notes, state.table = outcome.failures, outcome.notes, outcome.table
        session.testsfailed += len(state.failures)
    return result


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    state = terminalreporter.config.stash[STATE]
    if state.report is None or _is_worker(terminalreporter.config):
        return
    terminalreporter.write_sep("=", "scratch image", red=bool(state.failures), bold=True)
    for line in state.report.lines() + state.table:
        terminalreporter.write_line(line)
    for note in state.notes:
        terminalreporter.write_line(note, yellow=True)
    for failure in state.failures:
        terminalreporter.write_line(f"FAILED {failure}", red=True, bold=True)
    if state.options.keep and state.session is not None:
        for line in state.session.kept():
            terminalreporter.write_line(line, yellow=True)


def _progress(config: pytest.Config) -> Callable[[str], None]:
    """A line per stage, shown as it happens: the cold build takes tens of seconds."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")

    def progress(message: str) -> None:
        if reporter is None or capture is None:
            return
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(f"scratch image: {message}")

    return progress


@pytest.fixture(scope="session")
def scratch_settings(pytestconfig: pytest.Config) -> Settings:
    """The resolved settings (ini and -o); override this fixture to adapt them in code."""
    state = pytestconfig.stash[STATE]
    if not state.options.enabled:
        pytest.skip(SKIP_REASON)
    if state.settings is None:
        raise pytest.UsageError("pytest-scratchimage: scratch_image_app is not set")
    return state.settings


@pytest.fixture(scope="session")
def _scratch_session(pytestconfig: pytest.Config, scratch_settings: Settings) -> Iterator[ScratchSession]:
    from .errors import ScratchImageError
    from .session import ScratchSession

    state = pytestconfig.stash[STATE]
    cache, why = binary_cache(pytestconfig, scratch_settings)
    options = state.options
    session = ScratchSession(scratch_settings, cache, _progress(pytestconfig), options.rebuild, options.keep, why)
    session.hold = scratch_settings.hold  # for the end of the session (finish.py) to keep after a green one
    session.owner = getattr(pytestconfig, "workerinput", {}).get("scratch_image_owner")
    state.session = session
    try:
        yield session
    finally:
        try:
            state.audit = session.audit()
        except ScratchImageError as error:  # the engine gone at the end: the gate cannot pass unchecked
            state.unaudited.append(f"session gate: not checked (no shell, no setid files, the user): {error.headline}")
        state.held = session.own_tags() if session.hold and _is_worker(pytestconfig) else []
        # The engine's removal goes on in a process of its own; but a held image's containers must be gone
        # before the controller removes the images it does not keep (xdist): that removal is waited for.
        session.close(wait=session.hold)


@pytest.fixture(scope="session")
def scratch_image(
    pytestconfig: pytest.Config,
    _scratch_session: ScratchSession,
    record_testsuite_property: Callable[[str, object], None],
) -> ScratchImage:
    """The built image: ``.tag``, ``.id``, ``.size`` (the engine's bytes), ``.files()``, ``.breakdown()``."""
    image = _or_fail(_scratch_session.image)
    report = pytestconfig.stash[STATE].report = _scratch_session.report()
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
        if _reported(state):  # memory costs a warm-up: measured when a report shows it
            state.report.memory = container.memory()
            record_testsuite_property("scratch_image_memory", state.report.memory)
    return container


def _reported(state: State) -> bool:
    """Whether a report shows the memory: the JSON report, the HTML page or the CI step summary."""
    from .stepsummary import VARIABLE

    html = state.settings is not None and state.settings.html is not None
    return state.options.report is not None or html or bool(os.environ.get(VARIABLE))


@pytest.fixture(scope="session")
def scratch_start_container(_scratch_session: ScratchSession) -> Callable[..., ScratchContainer]:
    """Start another ready container of the image: ``scratch_start_container(env={"WAIT_TIME": "1"})``.

    ``env`` adds to ``scratch_image_env``; ``network`` (bridge, host or a Docker network's name) replaces
    ``scratch_image_network``. Each is removed at the end of the session; use it for tests that stop, kill
    or time a container, or reach a service another way.
    """

    def start(env: dict[str, str] | None = None, network: str | None = None) -> ScratchContainer:
        if network is not None:
            try:
                network = parse_network(network)
            except Invalid as error:
                raise ValueError(f"scratch_start_container(network={network!r}): expected {error}") from None
        return _or_fail(lambda: _scratch_session.start(env, network))

    return start


@pytest.fixture(scope="session")
def scratch_image_factory(
    pytestconfig: pytest.Config, _scratch_session: ScratchSession
) -> Iterator[Callable[..., ScratchSession]]:
    """Build and run variants: ``scratch_image_factory(hardened=False, user=1000, env={"WAIT_TIME": "1"})``.

    Overrides are settings without the ``scratch_image_`` prefix, as ini text or typed values (bools,
    numbers, lists for line lists). Each variant has the default's cache (an unchanged binary is not
    rebuilt) and cleanup; its ``.image()``, ``.container()`` and ``.start()`` raise ``ScratchImageError``
    with the stage and log. An unknown name is a ``TypeError``, an invalid value a ``ValueError``.
    """
    variants: list[ScratchSession] = []

    def make(**overrides: Any) -> ScratchSession:
        raw = raw_settings(pytestconfig) | {name: as_ini(name, value) for name, value in overrides.items()}
        variants.append(_scratch_session.variant(resolve_settings(pytestconfig, raw)))
        return variants[-1]

    yield make
    for variant in variants:
        variant.close(wait=False)


@pytest.fixture(scope="session")
def scratch_http(scratch_container: ScratchContainer) -> Iterator[BaseUrlSession]:
    """A ``requests.Session`` whose relative paths go to the container: ``scratch_http.get("/number")``."""
    from .http import BaseUrlSession

    with BaseUrlSession(scratch_container.url) as http:
        yield http

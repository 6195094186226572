"""The pytest wiring: options, ini, markers, fixtures, the gates and the summary. No work happens here.

Only light modules load with the plugin: the docker SDK, requests and the pipeline load when a session
first needs its image, so a project that has the plugin installed and does not use it pays next to
nothing. The hooks of a session with ``--scratch-image`` and the fixtures' work are in ``running.py``,
registered only with the flag: without it, no test of the run calls them. For the same reason ``State``
is a plain class (creating a dataclass costs about a millisecond, a few percent of a small project's
pytest run), and the settings name the trims instead of importing their levers: pytest loads each of
this package's modules through its rewrite hook, whose reader costs about 0.2 M instructions per KB of
bytecode, so every module and every line here weighs on every pytest run of every project.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from .markers import SIGNATURES, Limits, marked_limits
from .options import FLAG, FLAGS, OptionError, Options, folder_problem
from .schema import SCHEMA, SETTINGS, Invalid, SettingsError, as_ini, parse_network

if TYPE_CHECKING:
    from .http import BaseUrlSession
    from .image import ScratchImage
    from .run import ScratchContainer
    from .running import Running
    from .session import ScratchSession
    from .settings import Settings

SKIP_REASON = f"builds and runs the scratch image: pass {FLAG} to run it"


class State:
    """The options and settings, kept in ``config.stash``; a plain class, since a dataclass costs a millisecond."""

    def __init__(self, options: Options, settings: Settings | None) -> None:
        self.options = options
        self.settings = settings


STATE = pytest.StashKey[State]()
RUNNING: pytest.StashKey[Running] = pytest.StashKey()  # set, and its hooks registered, with --scratch-image


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
        where = "-o" if error.name in _overridden(config) or not config.inipath else str(config.inipath)
        where = next((s.option for s in SCHEMA if s.ini == error.name and s.name in flagged(config)), where)
        raise pytest.UsageError(f"pytest-scratchimage: {error} (from {where})") from None


def _overridden(config: pytest.Config) -> set[str]:
    """The ini names given with ``-o``."""
    return {line.partition("=")[0].strip() for line in config.getoption("override_ini", None) or ()}


def _check_keys(config: pytest.Config) -> None:
    """A ``scratch_image_*`` key that is no setting fails at once, naming the setting it is closest to:
    pytest would only warn, after collection, and the session would run with the default."""
    from .settings import ini_keys, unknown_settings

    for keys, where in ((_overridden(config), "-o"), (ini_keys(config.inipath), str(config.inipath))):
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
        from .running import Running

        _check_cache_dir(state.settings)
        running = config.stash[RUNNING] = Running(options, state.settings)
        running.terminate_like_interrupt()
        config.pluginmanager.register(running, "scratchimage-running")


def _check_cache_dir(settings: Settings | None) -> None:
    folder = settings.cache_dir if settings is not None else None
    problem = folder_problem(folder) if folder is not None else None
    if problem is not None:
        raise pytest.UsageError(f"pytest-scratchimage: {SETTINGS['cache_dir'].ini} = {str(folder)!r} {problem}")
    from .settings import unwritable

    problem = unwritable(settings) if settings is not None else None
    if problem is not None:
        raise pytest.UsageError(f"pytest-scratchimage: {problem}")


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
    try:
        return marked_limits(item)
    except ValueError as error:
        raise pytest.UsageError(f"{item.nodeid}: {error}") from None


@pytest.hookimpl
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Validate the budget markers up front; a marked test gets what it measures without naming it."""
    for item in items:
        needs = item_limits(item).fixtures
        if isinstance(item, pytest.Function):
            item.fixturenames.extend(name for name in needs if name not in item.fixturenames)


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
    if RUNNING not in pytestconfig.stash:  # an override of scratch_settings that does not skip without the flag
        pytest.skip(SKIP_REASON)
    yield from pytestconfig.stash[RUNNING].open(pytestconfig, scratch_settings)


@pytest.fixture(scope="session")
def scratch_image(request: pytest.FixtureRequest, _scratch_session: ScratchSession) -> ScratchImage:
    """The built image: ``.tag``, ``.id``, ``.size`` (the engine's bytes), ``.files()``, ``.breakdown()``."""
    return request.config.stash[RUNNING].image(_scratch_session, suite_property(request))


@pytest.fixture(scope="session")
def scratch_container(
    request: pytest.FixtureRequest, scratch_image: ScratchImage, _scratch_session: ScratchSession
) -> ScratchContainer:
    """The image running as shipped, hardened, ready: ``.url`` is ``http://127.0.0.1:<port>`` (see engine_address)."""
    return request.config.stash[RUNNING].container(_scratch_session, suite_property(request))


def suite_property(request: pytest.FixtureRequest) -> Callable[[str, object], None]:
    """pytest's ``record_testsuite_property`` (the image's facts in ``--junitxml``); nothing to record into
    when its junitxml plugin is off (``-p no:junitxml``)."""
    if request.config.pluginmanager.has_plugin("junitxml"):
        recorder: Callable[[str, object], None] = request.getfixturevalue("record_testsuite_property")
        return recorder
    return lambda name, value: None


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
        from .running import or_fail

        return or_fail(lambda: _scratch_session.start(env, network))

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

"""The resolved settings: the frozen ``Settings`` that ``resolve`` makes of the ini values, by ``schema.SCHEMA``.

Loaded when a project uses the plugin: a project that only has it installed never pays for this dataclass.
"""

from __future__ import annotations

import configparser
import difflib
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .options import file_problem
from .schema import PREFIX, SCHEMA, SETTINGS, SettingsError
from .wsgi import AppSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest's own dependency before Python 3.11
    import tomli as tomllib

if TYPE_CHECKING:
    from .budget import Budget, Growth


@dataclass(frozen=True)
class Settings:
    """The resolved settings: one field a ``SCHEMA`` entry, made by ``resolve`` alone."""

    app: AppSpec | None  # None only with use
    app_path: tuple[Path, ...]
    budget: int
    budget_metric: str
    budget_warn: int | None
    max_growth: Growth
    user: int
    port: int
    workers: int
    worker_class: str  # "auto": chosen by the app's interface at the check
    health_path: str
    ready_timeout: float
    record: bool
    probe_paths: tuple[tuple[str, str], ...]
    optimize: int | None  # None: auto
    hidden_imports: tuple[str, ...]
    excludes: tuple[str, ...]
    collect_data: tuple[str, ...]
    copy_metadata: tuple[str, ...]
    trim: tuple[str, ...]
    exclude_files: tuple[str, ...]
    layout: str  # single or layers
    compression: str
    extra_files: tuple[tuple[Path, str], ...]
    env: tuple[tuple[str, str], ...]
    record_env: tuple[tuple[str, str], ...]
    network: str  # bridge, host or a Docker network's name
    hardened: bool
    cache_dir: Path | None
    use: str | Path | None  # a Path names an archive
    tag: str | None
    save: Path | None
    html: Path | None
    sbom: Path | None
    sbom_files: bool

    @property
    def hold(self) -> bool:
        """Whether the tested image outlives the tests, for the end of the session to tag or save it."""
        return self.tag is not None or self.save is not None


def app_of(settings: Settings) -> AppSpec:
    """The app to build: set whenever the session builds, since ``resolve`` needs it unless ``use`` is set."""
    if settings.app is None:
        raise ValueError(f"{SETTINGS['app'].ini} is not set: an image of scratch_image_use is not built")
    return settings.app


def unwritable(settings: Settings) -> str | None:
    """Why a folder or file the session writes cannot be, named by its ini option; checked before anything is built."""
    targets = [(SETTINGS["save"], settings.save), (SETTINGS["html"], settings.html), (SETTINGS["sbom"], settings.sbom)]
    for setting, path in targets:
        problem = file_problem(path) if path is not None else None
        if problem is not None:
            return f"{setting.ini} = {str(path)!r} {problem}"
    return None


def size_budget(settings: Settings) -> Budget:
    """The session gate's budget."""
    from .budget import Budget

    return Budget(settings.budget, settings.budget_metric, settings.budget_warn)


def resolve(raw: Mapping[str, Any], rootdir: Path, anchors: Mapping[str, Path] | None = None) -> Settings:
    """The settings from ini values (strings, line lists, bools) keyed without the prefix; empty means unset.

    Relative paths start at the rootdir, or at the folder ``anchors`` names for a setting (a command-line
    value starts where pytest was invoked).
    """
    anchors = anchors or {}
    values = {s.name: s.value(raw.get(s.name), anchors.get(s.name, rootdir)) for s in SCHEMA}
    if values["app"] is None and values["use"] is None:
        raise SettingsError(
            SETTINGS["app"].ini,
            "",
            "module:callable naming the WSGI or ASGI app to ship (or scratch_image_use naming an image)",
        )
    values["app_path"] = values["app_path"] or (rootdir,)
    settings = Settings(**values)
    check_consistent(settings)
    return settings


def check_consistent(settings: Settings) -> None:
    """Refuse combinations that cannot work: the hardened run is non-root and holds no capabilities."""
    if "unused" in settings.trim and not settings.record:
        raise SettingsError(
            SETTINGS["trim"].ini, "unused", "a trim that needs no record while scratch_image_record is false"
        )
    if settings.budget_warn is not None and settings.budget_warn > settings.budget:
        raise SettingsError(
            SETTINGS["budget_warn"].ini,
            str(settings.budget_warn),
            f"a size at most scratch_image_budget ({settings.budget:,} bytes)",
        )
    if settings.hardened and settings.user == 0:
        raise SettingsError(
            SETTINGS["user"].ini, "0", "a non-root UID while scratch_image_hardened is true (the default)"
        )
    if settings.user != 0 and settings.port < 1024:
        raise SettingsError(
            SETTINGS["port"].ini,
            str(settings.port),
            f"a port of 1024 or more: user {settings.user} cannot bind below 1024",
        )


def ini_keys(path: Path | None) -> set[str]:
    """The keys of pytest's section in the ini file it read: pyproject.toml's ``[tool.pytest.ini_options]``
    (or ``[tool.pytest]``), pytest.toml's ``[pytest]``, pytest.ini's and tox.ini's ``[pytest]``, setup.cfg's
    ``[tool:pytest]``. pytest itself names an unknown key only after collection, and as a warning."""
    if path is None or not path.is_file():
        return set()
    if path.suffix == ".toml":
        data = tomllib.loads(path.read_text())
        table = data.get("tool", {}).get("pytest", {}) if path.name == "pyproject.toml" else data.get("pytest", {})
        return {key for key in table if key != "ini_options"} | set(table.get("ini_options", {}))
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    section = "tool:pytest" if path.name == "setup.cfg" else "pytest"
    return set(parser[section]) if parser.has_section(section) else set()


def unknown_settings(keys: Iterable[str]) -> list[str]:
    """A line for each ``scratch_image_*`` key that is no setting, naming the setting it is closest to."""
    lines = []
    for key in sorted(key for key in keys if key.startswith(PREFIX) and key.removeprefix(PREFIX) not in SETTINGS):
        close = difflib.get_close_matches(key.removeprefix(PREFIX), SETTINGS, n=1)  # the prefix would match any
        hint = f"did you mean {PREFIX}{close[0]}?" if close else "pytest --help lists them"
        lines.append(f"{key} is not a setting: {hint}")
    return lines

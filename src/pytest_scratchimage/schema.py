"""The plugin's settings, declared once in ``SCHEMA``: each with its ini type, parser, default and help.

From the schema come the ini options (``pytest_addoption``), ``settings.resolve`` (ini and ``-o`` values
into the frozen ``Settings``), the factory's typed overrides (``as_ini``) and the README's reference
table (a test holds the two together). Parsers take one ini string (or one line of a line list) and
raise ``Invalid`` with the accepted form; ``Setting.value`` names the setting.

This module loads with the plugin in every pytest run, the plugin's users' or not: it holds light
records and plain functions alone, and its patterns are compiled on first use (``re`` caches them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .sizes import ACCEPTED, METRICS, parse_size

if TYPE_CHECKING:
    from .budget import Growth
    from .wsgi import AppSpec

PREFIX = "scratch_image_"
COMPRESSIONS = ("xz", "zlib", "zlib-only")  # see freeze.ZLIB_LEVELS and staticize.XZ
LAYOUTS = ("single", "layers")  # see layers.py
TRIMS = ("tls", "codecs", "compression", "unused")  # what each leaves out: trim.LEVERS
_NAME = r"[A-Za-z_]\w*"
_DOTTED = rf"{_NAME}(?:\.{_NAME})*"
_APP = rf"(?P<module>{_DOTTED}):(?P<attribute>{_NAME})(?P<call>\(\))?"
# Docker's reference grammar (distribution/reference): [domain[:port]/]path[/path…][:tag]
_LABEL = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL})*(?::[0-9]+)?"
_CONTROL = re.compile(r"[\x00-\x20\x7f]")  # no HTTP request line holds one in its path (a space ends it)
_PATH = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = rf"(?:{_DOMAIN}/)?{_PATH}(?:/{_PATH})*"
_TAG = rf"(?P<repository>{_REPOSITORY})(?::(?P<tag>[\w][\w.-]{{0,127}}))?"
_IMAGE = rf"{_REPOSITORY}(?::[\w][\w.-]{{0,127}})?(?:@sha256:[0-9a-f]{{64}})?|(?:sha256:)?[0-9a-f]{{12,64}}"
ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2")  # what docker load reads
_BOOLS = {"true": True, "yes": True, "1": True, "on": True, "false": False, "no": False, "0": False, "off": False}


class Invalid(ValueError):
    """A value a parser refuses; the message is the accepted form."""


class SettingsError(ValueError):
    """An invalid setting: ``name`` is the ini name, the message says what is accepted."""

    def __init__(self, name: str, value: object, expected: str) -> None:
        super().__init__(f"{name} = {value!r}: expected {expected}")
        self.name = name


# --- parsers: one ini string in, one value out ----------------------------------------------------------


def parse_app(text: str) -> AppSpec:
    from .wsgi import AppSpec

    match = re.fullmatch(_APP, text.strip())
    if not match:
        raise Invalid("module:callable, e.g. myproject.wsgi:application or app:create_app()")
    return AppSpec(match["module"], match["attribute"], bool(match["call"]))


def _whole(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[0-9]+", text.strip()) else None


def parse_user(text: str) -> int:
    uid = 0 if text.strip() == "root" else _whole(text)
    if uid is None or uid > 2**31 - 1:
        raise Invalid("a numeric UID such as 65535 (a scratch image has no user names)")
    return uid


def parse_port(text: str) -> int:
    port = _whole(text)
    if port is None or not 1 <= port <= 65535:
        raise Invalid("a TCP port from 1 to 65535")
    return port


def parse_workers(text: str) -> int:
    workers = _whole(text)
    if workers is None or workers < 1:
        raise Invalid("a whole number of at least 1")
    return workers


def parse_seconds(text: str) -> float:
    expected = "a positive number of seconds, e.g. 30 or 2.5s"
    try:
        seconds = float(text.strip().removesuffix("s"))
    except ValueError:
        raise Invalid(expected) from None
    if not seconds > 0:  # also refuses nan
        raise Invalid(expected)
    return seconds


def parse_budget(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError:
        raise Invalid(ACCEPTED) from None


def parse_growth(text: str) -> Growth:
    from .budget import Growth

    value = text.strip()
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?%", value):
        return Growth(percent=float(value[:-1]))
    try:
        return Growth(size=parse_size(value))
    except ValueError:
        raise Invalid("a percentage such as 5% or a size such as 200KB") from None


def one_of(choices: Mapping[str, object] | tuple[str, ...], expected: str) -> Callable[[str], str]:
    """A parser that accepts exactly the names in ``choices``."""

    def parse(text: str) -> str:
        if text.strip() not in choices:
            raise Invalid(expected)
        return text.strip()

    return parse


def parse_network(text: str) -> str:
    """``bridge``, ``host`` or the name of a Docker network the engine has (checked when the container starts)."""
    value = text.strip()
    if value == "none" or not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*", value):
        raise Invalid(
            "bridge (the engine's default network), host (the host's network: services on its 127.0.0.1) or the "
            "name of a Docker network (docker network ls); none would leave the app unreachable by the probes"
        )
    return value


def parse_health_path(text: str) -> str:
    if not text.startswith("/") or _CONTROL.search(text):
        raise Invalid("an absolute URL path such as / or /health")
    return text


def parse_probe(line: str) -> tuple[str, str]:
    method, _, path = line.rpartition(" ")
    method = method.strip() or "GET"
    if not path.startswith("/") or _CONTROL.search(path) or not re.fullmatch(r"[A-Z]+", method):
        raise Invalid("absolute URL paths, one a line, each after its method when not GET: /search?q=a, HEAD /")
    return method, path


def parse_env(line: str) -> tuple[str, str]:
    name, equals, value = line.partition("=")
    if not equals or not re.fullmatch(_NAME, name.strip()) or "\0" in value:
        raise Invalid("NAME=value lines, e.g. WAIT_TIME=0.5 (no NUL character: no process environment holds one)")
    return name.strip(), value


def parse_module(line: str) -> str:
    if not re.fullmatch(_DOTTED, line):
        raise Invalid("dotted module names, one a line, e.g. myapp.plugins.auth")
    return line


def parse_worker_class(text: str) -> str:
    value = text.strip()
    if not re.fullmatch(rf"{_NAME}|{_DOTTED}\.{_NAME}", value):  # gunicorn's own names are checked on the host
        raise Invalid("a gunicorn worker such as sync or gthread, or a dotted path to a worker class")
    return value


def parse_optimize(text: str) -> int | None:
    """``auto`` (None: learnt by recording the app at each level) or Python's level 0, 1 or 2."""
    value = text.strip()
    if value not in {"auto", "0", "1", "2"}:
        raise Invalid("auto, 0, 1 or 2 (Python's -O levels: 1 drops asserts, 2 docstrings too)")
    return None if value == "auto" else int(value)


def parse_bool(text: str) -> bool:
    if text.strip().lower() not in _BOOLS:
        raise Invalid("true or false")
    return _BOOLS[text.strip().lower()]


def parse_path(text: str, rootdir: Path) -> Path:
    return rootdir / text.strip()


def parse_tag(text: str) -> str:
    match = re.fullmatch(_TAG, text.strip())
    if not match or len(match["repository"]) > 255:
        raise Invalid(
            "a docker reference NAME:TAG such as myapp:tested or registry.example.com/team/app:1.2 "
            "(a lowercase name; a tag of letters, digits, _ . -)"
        )
    return f"{match['repository']}:{match['tag'] or 'latest'}"


def is_archive(text: str) -> bool:
    """Whether ``scratch_image_use`` names a ``docker save`` archive rather than an image the engine has."""
    return text.strip().endswith(ARCHIVES)


def parse_use(text: str, anchor: Path) -> str | Path:
    """An image built elsewhere: an archive's path (a ``Path``), else a reference or ID the engine has (a ``str``)."""
    value = text.strip()
    if is_archive(value):
        path = anchor / value
        if not path.is_file():
            raise Invalid(f"a docker save archive that exists: {path} is not a file")
        return path
    if not re.fullmatch(_IMAGE, value):
        raise Invalid(
            "an image the engine has (NAME:TAG, NAME@sha256:…, an image ID) or a docker save archive "
            f"({', '.join(ARCHIVES)})"
        )
    return value


def parse_extra_file(line: str, rootdir: Path) -> tuple[Path, str]:
    source, colon, destination = line.rpartition(":")
    path = rootdir / source.strip()
    if not colon or not source.strip() or not path.exists():
        raise Invalid(
            "SOURCE:DEST lines naming an existing file or folder (relative to the rootdir) and the folder it "
            "goes to in the app, e.g. config/app.toml:config"
        )
    return path, destination.strip() or "."


# --- the schema ----------------------------------------------------------------------------------------


class Setting(NamedTuple):
    """One setting: ``scratch_image_<name>`` in the ini file, a field of ``Settings``.

    ``kind`` is pytest's ini type: ``string`` (one value), ``linelist`` (one a line) or ``paths`` (one a
    line, relative to the ini file). ``default`` is written as in an ini file; without one, ``unset`` says
    what an unset value means. ``anchored`` parsers also take the rootdir, where relative paths start.
    """

    name: str
    kind: str
    parse: Callable[..., Any]
    default: str | None
    help: str
    anchored: bool = False
    unset: str = "none"
    flag: str | None = None  # the metavar of its command-line twin, --scratch-image-<name>, which wins over the ini

    @property
    def ini(self) -> str:
        return PREFIX + self.name

    @property
    def option(self) -> str:
        """The command-line twin's name (for a setting that has one)."""
        return "--scratch-image-" + self.name.replace("_", "-")

    @property
    def shown_default(self) -> str:
        """The default as ``--help`` and the README state it."""
        return self.default if self.default is not None else self.unset

    @property
    def ini_help(self) -> str:
        shown = self.shown_default
        return f"{self.help} ({shown if shown.startswith('required') else 'default: ' + shown})"

    @property
    def is_list(self) -> bool:
        return self.kind in {"linelist", "paths"}

    def value(self, raw: object, rootdir: Path) -> Any:
        """This setting's value from an ini value; empty or missing means the default."""
        if self.is_list:
            lines = str(raw).splitlines() if isinstance(raw, str) else [str(line) for line in raw or ()]  # type: ignore[attr-defined]
            return tuple(self._parse(line.strip(), rootdir) for line in lines if line.strip())
        text = str(raw).strip() if raw is not None else ""
        if not text and self.default is None:
            return None
        return self._parse(text or self.default or "", rootdir)

    def _parse(self, text: str, rootdir: Path) -> Any:
        try:
            return self.parse(text, rootdir) if self.anchored else self.parse(text)
        except Invalid as error:
            raise SettingsError(self.ini, text, str(error)) from None


SCHEMA: tuple[Setting, ...] = (
    Setting(
        "app", "string", parse_app, None, "the WSGI or ASGI app to ship, module:callable or module:factory()",
        unset="required unless scratch_image_use",
    ),
    Setting(
        "app_path", "paths", parse_path, None, "folders the app is imported from, one a line", anchored=True,
        unset="the rootdir",
    ),
    Setting("budget", "string", parse_budget, "9MB", "the session's size budget: 9MB is 9,000,000 bytes"),
    Setting(
        "budget_metric", "string", one_of(METRICS, " or ".join(METRICS)), "size",
        "what the budget limits: size (the engine's Size) or compressed (the gzipped layers)",
    ),
    Setting("budget_warn", "string", parse_budget, None, "a size below the budget that warns when exceeded"),
    Setting("max_growth", "string", parse_growth, "5%", "growth over --scratch-image-baseline that fails: 5% or 200KB"),
    Setting("user", "string", parse_user, "65535", "numeric UID the container runs as"),
    Setting("port", "string", parse_port, "8000", "port the app listens on in the container"),
    Setting("workers", "string", parse_workers, "2", "gunicorn worker processes"),
    Setting(
        "worker_class", "string", parse_worker_class, "auto",
        "gunicorn worker class: auto (sync for a WSGI app, asgi for an ASGI one), sync, gthread, asgi, … or a dotted "
        "path to a class",
    ),
    Setting("health_path", "string", parse_health_path, "/", "path probed until the app answers"),
    Setting("ready_timeout", "string", parse_seconds, "30", "seconds to wait for that first answer"),
    Setting(
        "record", "string", parse_bool, "true",
        "run the app on the host before freezing, to learn what it loads and reads out of PyInstaller's sight",
    ),
    Setting(
        "probe_paths", "linelist", parse_probe, None,
        "paths requested while the app is recorded on the host, besides the health path, one a line",
    ),
    Setting(
        "optimize", "string", parse_optimize, "auto",
        "Python's optimisation level of the frozen app: auto (2 unless the recorded app needs its docstrings or "
        "asserts), 0, 1 or 2",
    ),
    Setting("hidden_imports", "linelist", parse_module, None, "extra modules PyInstaller must include, one a line"),
    Setting("excludes", "linelist", parse_module, None, "modules PyInstaller must leave out, one a line"),
    Setting("collect_data", "linelist", parse_module, None, "packages whose data files are collected, one a line"),
    Setting("copy_metadata", "linelist", str, None, "distributions whose metadata is copied, one a line"),
    Setting(
        "trim", "linelist", one_of(TRIMS, f"names of trims, one a line: {', '.join(TRIMS)}"), None,
        f"opt-in levers that leave parts of Python out, one a line: {', '.join(TRIMS)}",
    ),
    Setting("exclude_files", "linelist", str, None, "patterns of collected files to leave out, e.g. falcon/cyutil/*"),
    Setting(
        "layout", "string", one_of(LAYOUTS, f"one of {', '.join(LAYOUTS)}"), "layers",
        "single: one layer, the app frozen into the one binary; layers: the runtime in one layer and the app's "
        "own modules in a thin second one, made again alone when the app changes",
    ),
    Setting(
        "compression", "string", one_of(COMPRESSIONS, f"one of {', '.join(COMPRESSIONS)}"), "xz",
        "xz: the smallest image; zlib: starts sooner; zlib-only: the biggest, starts soonest",
    ),
    Setting(
        "extra_files", "linelist", parse_extra_file, None,
        "files for the app, SOURCE:DEST_FOLDER, one a line (relative to the rootdir)", anchored=True,
    ),
    Setting("env", "linelist", parse_env, None, "environment of the container, NAME=value, one a line"),
    Setting(
        "record_env", "linelist", parse_env, None,
        "the record's environment on the host over scratch_image_env, NAME=value, one a line: where an address "
        "differs (a container's name does not resolve on the host)",
    ),
    Setting(
        "network", "string", parse_network, "bridge",
        "the container's network: bridge, host (it shares the host's: services on 127.0.0.1) or a Docker network's "
        "name (it reaches other containers by name)",
    ),
    Setting(
        "hardened", "string", parse_bool, "true", "read-only root, tmpfs /tmp, no capabilities, no new privileges"
    ),
    Setting(
        "cache_dir", "string", parse_path, None, "where built binaries are cached, relative to the rootdir",
        anchored=True, unset=".pytest_cache/d/scratchimage, else ~/.cache/pytest-scratchimage",
    ),
    Setting(
        "use", "string", parse_use, None,
        "gate an image built elsewhere instead of building one: a tag the engine has, or a docker save archive",
        anchored=True, flag="IMAGE",
    ),
    Setting("tag", "string", parse_tag, None, "after a green session, tag the tested image NAME:TAG", flag="NAME:TAG"),
    Setting(
        "save", "string", parse_path, None, "after a green session, write the tested image as a docker load archive",
        anchored=True, flag="PATH",
    ),
    Setting(
        "html", "string", parse_path, None, "write the size report as one self-contained HTML page", anchored=True,
        flag="PATH",
    ),
    Setting(
        "sbom", "string", parse_path, None, "write the binary's CycloneDX SBOM (JSON) to PATH", anchored=True,
        flag="PATH",
    ),
    Setting(
        "sbom_files", "string", parse_bool, "true",
        "put in the image the files scanners read: dist-info METADATA, dpkg status.d, os-release, the SBOM",
    ),
)  # fmt: skip
SETTINGS = {setting.name: setting for setting in SCHEMA}


def as_ini(name: str, value: object) -> str | list[str]:
    """A value given in code as its ini text: ``hardened=False``, ``user=1000``, ``env={"A": "1"}``, ``trim=[]``."""
    if name not in SETTINGS:
        raise TypeError(f"unknown setting {name!r}; known: {', '.join(SETTINGS)}")
    if isinstance(value, bool):
        return "true" if value else "false"
    if not SETTINGS[name].is_list or isinstance(value, str | int | float | Path):
        return str(value).splitlines() if SETTINGS[name].is_list else str(value)
    if isinstance(value, Mapping):
        return [f"{key}={item}" for key, item in value.items()]
    if isinstance(value, list | tuple | set | frozenset):
        return [str(item) for item in value]
    raise TypeError(f"{PREFIX}{name}: expected a string or a list of strings, not {value!r}")

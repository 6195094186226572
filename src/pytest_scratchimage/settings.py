"""The plugin's settings: parsed and validated once, from plain strings, into a frozen dataclass."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .budget import METRICS, Budget
from .launcher import WORKER_MODULES
from .report import Growth
from .sizes import ACCEPTED, parse_size
from .trim import TRIMS

_DOTTED = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
_APP = re.compile(rf"(?P<module>{_DOTTED}):(?P<attribute>[A-Za-z_]\w*)(?P<call>\(\))?")


COMPRESSIONS = ("xz", "zlib", "zlib-only")  # see freeze.ZLIB_LEVELS and staticize.XZ


class SettingsError(ValueError):
    """An invalid setting: ``name`` is the ini name, the message says what is accepted."""

    def __init__(self, name: str, value: object, expected: str) -> None:
        super().__init__(f"{name} = {value!r}: expected {expected}")
        self.name = name


@dataclass(frozen=True)
class AppSpec:
    """A WSGI app named ``module:attribute``, or ``module:factory()`` to call a factory."""

    module: str
    attribute: str
    call: bool = False

    def __str__(self) -> str:
        return f"{self.module}:{self.attribute}{'()' if self.call else ''}"


@dataclass(frozen=True)
class Settings:
    app: AppSpec
    app_path: tuple[Path, ...]
    budget: int = 9_000_000
    budget_metric: str = "size"
    budget_warn: int | None = None
    max_growth: Growth = field(default_factory=lambda: Growth(percent=5.0))
    user: int = 65535
    port: int = 8000
    workers: int = 2
    worker_class: str = "sync"
    health_path: str = "/"
    hidden_imports: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    collect_data: tuple[str, ...] = ()
    copy_metadata: tuple[str, ...] = ()
    trim: tuple[str, ...] = ()
    exclude_files: tuple[str, ...] = ()
    extra_files: tuple[tuple[Path, str], ...] = ()
    compression: str = "xz"
    env: tuple[tuple[str, str], ...] = ()
    hardened: bool = True
    ready_timeout: float = 30.0


def size_budget(settings: Settings) -> Budget:
    """The session gate's budget."""
    return Budget(settings.budget, settings.budget_metric, settings.budget_warn)


def _is_number(text: str) -> bool:
    return re.fullmatch(r"[0-9]+", text.strip()) is not None


def parse_app(text: str) -> AppSpec:
    match = _APP.fullmatch(text.strip())
    if not match:
        raise SettingsError(
            "scratch_image_app", text, "module:callable, e.g. myproject.wsgi:application or app:create_app()"
        )
    return AppSpec(match["module"], match["attribute"], bool(match["call"]))


def parse_user(text: str) -> int:
    value = text.strip()
    if value == "root":
        return 0
    if not _is_number(value) or int(value) > 2**31 - 1:
        raise SettingsError(
            "scratch_image_user", text, "a numeric UID such as 65535 (a scratch image has no user names)"
        )
    return int(value)


def parse_port(text: str) -> int:
    if not _is_number(text) or not 1 <= int(text) <= 65535:
        raise SettingsError("scratch_image_port", text, "a TCP port from 1 to 65535")
    return int(text)


def parse_positive_int(name: str, text: str) -> int:
    if not _is_number(text) or int(text) < 1:
        raise SettingsError(name, text, "a whole number of at least 1")
    return int(text)


def parse_seconds(name: str, text: str) -> float:
    try:
        seconds = float(text.strip().removesuffix("s"))
    except ValueError:
        seconds = -1.0
    if seconds <= 0:
        raise SettingsError(name, text, "a positive number of seconds, e.g. 30 or 2.5s")
    return seconds


def parse_budget(name: str, text: str) -> int:
    try:
        return parse_size(text)
    except ValueError:
        raise SettingsError(name, text, ACCEPTED) from None


def parse_growth(text: str) -> Growth:
    value = text.strip()
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?%", value):
        return Growth(percent=float(value[:-1]))
    try:
        return Growth(size=parse_size(value))
    except ValueError:
        raise SettingsError(
            "scratch_image_max_growth", text, "a percentage such as 5% or a size such as 200KB"
        ) from None


def parse_metric(text: str) -> str:
    if text.strip() not in METRICS:
        raise SettingsError("scratch_image_budget_metric", text, " or ".join(METRICS))
    return text.strip()


def parse_health_path(text: str) -> str:
    if not text.startswith("/"):
        raise SettingsError("scratch_image_health_path", text, "an absolute URL path such as / or /health")
    return text


def parse_env(line: str) -> tuple[str, str]:
    name, equals, value = line.partition("=")
    if not equals or not re.fullmatch(r"[A-Za-z_]\w*", name.strip()):
        raise SettingsError("scratch_image_env", line, "NAME=value lines, e.g. WAIT_TIME=0.5")
    return name.strip(), value


def parse_trim(name: str) -> str:
    if name not in TRIMS:
        raise SettingsError("scratch_image_trim", name, f"names of trims, one a line: {', '.join(TRIMS)}")
    return name


def parse_compression(text: str) -> str:
    if text.strip() not in COMPRESSIONS:
        raise SettingsError("scratch_image_compression", text, f"one of {', '.join(COMPRESSIONS)}")
    return text.strip()


def parse_extra_file(line: str, rootdir: Path) -> tuple[Path, str]:
    source, colon, destination = line.rpartition(":")
    path = rootdir / source.strip()
    if not colon or not source.strip() or not path.exists():
        raise SettingsError(
            "scratch_image_extra_files",
            line,
            "SOURCE:DEST lines naming an existing file or folder (relative to "
            "the rootdir) and the folder it goes to in the app, e.g. config/app.toml:config",
        )
    return path, destination.strip() or "."


def parse_worker_class(text: str) -> str:
    value = text.strip()
    if value not in WORKER_MODULES and not re.fullmatch(rf"{_DOTTED}\.[A-Za-z_]\w*", value):
        raise SettingsError(
            "scratch_image_worker_class", text, f"one of {', '.join(WORKER_MODULES)} or a dotted path to a worker class"
        )
    return value


def parse_bool(name: str, value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    words = {"true": True, "yes": True, "1": True, "on": True, "false": False, "no": False, "0": False, "off": False}
    if value.strip().lower() not in words:
        raise SettingsError(name, value, "true or false")
    return words[value.strip().lower()]


def resolve(raw: Mapping[str, Any], rootdir: Path) -> Settings:
    """Build the settings from ini values (strings, line lists, bools) keyed without the prefix.

    Empty strings mean "not set" and take the default.
    """
    defaults = Settings(app=AppSpec("app", "app"), app_path=(rootdir,))

    def text(key: str, parse: Callable[[str], Any], default: Any) -> Any:
        value = raw.get(key) or ""
        return parse(value) if str(value).strip() else default

    def lines(key: str) -> tuple[str, ...]:
        return tuple(line.strip() for line in raw.get(key) or () if line.strip())

    if not str(raw.get("app") or "").strip():
        raise SettingsError("scratch_image_app", "", "module:callable naming the WSGI app to ship")
    settings = Settings(
        app=parse_app(raw["app"]),
        app_path=tuple(rootdir / str(p) for p in raw.get("app_path") or ()) or (rootdir,),
        budget=text("budget", lambda v: parse_budget("scratch_image_budget", v), defaults.budget),
        budget_metric=text("budget_metric", parse_metric, defaults.budget_metric),
        budget_warn=text("budget_warn", lambda v: parse_budget("scratch_image_budget_warn", v), None),
        max_growth=text("max_growth", parse_growth, defaults.max_growth),
        user=text("user", parse_user, defaults.user),
        port=text("port", parse_port, defaults.port),
        workers=text("workers", lambda v: parse_positive_int("scratch_image_workers", v), defaults.workers),
        health_path=text("health_path", parse_health_path, defaults.health_path),
        hidden_imports=lines("hidden_imports"),
        excludes=lines("excludes"),
        collect_data=lines("collect_data"),
        copy_metadata=lines("copy_metadata"),
        trim=tuple(parse_trim(name) for name in lines("trim")),
        exclude_files=lines("exclude_files"),
        extra_files=tuple(parse_extra_file(line, rootdir) for line in lines("extra_files")),
        worker_class=text("worker_class", parse_worker_class, defaults.worker_class),
        compression=text("compression", parse_compression, defaults.compression),
        env=tuple(parse_env(line) for line in lines("env")),
        hardened=parse_bool("scratch_image_hardened", raw.get("hardened", True)),
        ready_timeout=text(
            "ready_timeout", lambda v: parse_seconds("scratch_image_ready_timeout", v), defaults.ready_timeout
        ),
    )
    check_consistent(settings)
    return settings


def check_consistent(settings: Settings) -> None:
    """Refuse combinations that cannot work: the hardened run is non-root and holds no capabilities."""
    if settings.budget_warn is not None and settings.budget_warn > settings.budget:
        raise SettingsError(
            "scratch_image_budget_warn",
            str(settings.budget_warn),
            f"a size at most scratch_image_budget ({settings.budget:,} bytes)",
        )
    if settings.hardened and settings.user == 0:
        raise SettingsError(
            "scratch_image_user", "0", "a non-root UID while scratch_image_hardened is true (the default)"
        )
    if settings.user != 0 and settings.port < 1024:
        raise SettingsError(
            "scratch_image_port",
            str(settings.port),
            f"a port of 1024 or more: user {settings.user} cannot bind below 1024",
        )

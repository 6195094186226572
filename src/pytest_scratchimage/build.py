"""The build of the static binary: launcher → freeze → staticize, cached on disk by a content hash.

The key covers everything that decides the binary: the launcher and freeze settings, the app's
sources, the installed distributions and the versions of Python and the tools. A hit skips the
tens of seconds of PyInstaller and StaticX; the image itself is rebuilt in about a second.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from filelock import FileLock

from . import trim
from .breakdown import Contributor, breakdown
from .errors import ScratchImageError
from .freeze import FreezeSpec, freeze
from .launcher import Launcher
from .settings import Settings, app_of
from .staticize import XZ, staticize

BINARY = "app"
FACTS = "build.json"  # written last: its presence marks a complete build
T = TypeVar("T")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Build:
    """A static binary ready for the image, with how it was made."""

    binary: Path
    key: str
    cached: bool
    seconds: dict[str, float] = field(default_factory=dict)
    contributors: list[Contributor] = field(default_factory=list)


def launcher_of(settings: Settings) -> Launcher:
    return Launcher(app_of(settings), settings.port, settings.workers, settings.worker_class)


def own_distributions(settings: Settings) -> tuple[str, ...]:
    """The distributions that provide the app's top-level module, when it is installed: their
    metadata is copied without being asked (``importlib.metadata.version(__name__)`` is common)."""
    top = app_of(settings).module.split(".")[0]
    return tuple(sorted(importlib.metadata.packages_distributions().get(top, ())))


def freeze_spec(settings: Settings, launcher: Path) -> FreezeSpec:
    copy_metadata = settings.copy_metadata + tuple(
        d for d in own_distributions(settings) if d not in settings.copy_metadata
    )
    return FreezeSpec(
        app=str(settings.app),
        launcher=launcher,
        pathex=settings.app_path,
        hidden_imports=launcher_of(settings).hidden_imports() + settings.hidden_imports,
        excludes=settings.excludes + trim.excludes(settings.trim),
        collect_data=settings.collect_data,
        copy_metadata=copy_metadata,
        extra_files=tuple((str(source), destination) for source, destination in settings.extra_files),
        runtime_hooks=trim.runtime_hooks(settings.trim),
        exclude_files=settings.exclude_files,
        compression=settings.compression,
    )


SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules", "build", "dist"})


def source_files(settings: Settings) -> Iterator[Path]:
    """Every file under the app paths that the app may import or collect, in a stable order.

    Skipped: hidden folders (.git, .tox, .pytest_cache with this very cache), virtual environments,
    bytecode and build output. Hashing a little too much costs a rebuild; too little ships stale code.
    """
    for folder in settings.app_path:
        if folder.is_dir():
            yield from sorted(_walk(folder))


def extra_files(settings: Settings) -> Iterator[Path]:
    for source, _ in settings.extra_files:
        yield from sorted(_walk(source)) if source.is_dir() else [source]


def _walk(folder: Path) -> Iterator[Path]:
    for path in folder.iterdir():
        if path.is_dir():
            skipped = path.name.startswith(".") or path.name in SKIPPED_FOLDERS or path.name.endswith(".egg-info")
            if not skipped and not (path / "pyvenv.cfg").exists():
                yield from _walk(path)
        elif path.suffix != ".pyc":
            yield path


def tool_versions() -> dict[str, str]:
    names = ("pytest-scratchimage", "pyinstaller", "staticx", "gunicorn")
    return {"python": sys.version, "prefix": sys.prefix} | {name: importlib.metadata.version(name) for name in names}


def cache_key(settings: Settings) -> str:
    digest = hashlib.sha256()
    launcher = launcher_of(settings).render()
    frozen = freeze_spec(settings, Path("launcher.py"))
    spec = frozen.render(Path("work")) + frozen.compression
    distributions = sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions())
    for part in (launcher, spec, json.dumps(tool_versions(), sort_keys=True), "\n".join(distributions)):
        digest.update(part.encode())
    for path in [*source_files(settings), *extra_files(settings)]:
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


HOST = Path(__file__).parent / "host"


def check_on_host(settings: Settings) -> None:
    """Before freezing, in a fresh interpreter: the app imports, and every name the settings give exists.

    A typo then costs a second, not a build that fails (or, for a hidden import, ships without it).
    """
    request = {
        "path": [str(p) for p in settings.app_path],
        "module": app_of(settings).module,
        "attribute": app_of(settings).attribute,
        "modules": {
            "scratch_image_hidden_imports": settings.hidden_imports,
            "scratch_image_excludes": settings.excludes,
            "scratch_image_collect_data": settings.collect_data,
        },
        "distributions": settings.copy_metadata,
        "worker_class": settings.worker_class,
    }
    command = [sys.executable, str(HOST / "check.py")]
    done = subprocess.run(command, input=json.dumps(request), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        error = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit code {done.returncode}"
        raise ScratchImageError(
            f"scratch_image_app = {str(settings.app)!r} cannot be imported from scratch_image_app_path "
            f"{[str(p) for p in settings.app_path]}: {error}",
            done.stderr,
        )
    problems = json.loads(done.stdout.splitlines()[0])
    if problems:
        setting, name, why = problems[0]
        others = "\n".join(f"{s} = {n!r}: {w}" for s, n, w in problems[1:])
        raise ScratchImageError(f"check: {setting} = {name!r}: {why} by {sys.executable}; fix or remove it", others)


def build_binary(settings: Settings, cache: Path, progress: Progress, rebuild: bool = False) -> Build:
    """The static binary for ``settings``: from the cache, or built once even by many processes."""
    key = cache_key(settings)
    final = cache.resolve() / key
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(final.with_suffix(".lock"))):
            if (final / FACTS).exists() and not rebuild:
                progress(f"cached build {key} ({final / BINARY})")
                return _read_build(final, key)
            return _build(settings, final, progress)
    except OSError as error:  # a full, read-only or missing cache folder, met by our own writes
        raise ScratchImageError(
            f"build: {error.strerror} writing {error.filename or final}; free space there or point "
            "scratch_image_cache_dir elsewhere"
        ) from None


def _build(settings: Settings, final: Path, progress: Progress) -> Build:
    for failed in final.parent.glob(f"{final.name}.building-*"):  # kept for their logs; the lock is ours now
        shutil.rmtree(failed, ignore_errors=True)
    workdir = final.with_name(f"{final.name}.building-{os.getpid()}")
    workdir.mkdir()
    seconds: dict[str, float] = {}

    def stage(name: str, work: Callable[[], T]) -> T:
        progress(f"{name} ...")
        started = time.monotonic()
        result = work()
        seconds[name] = round(time.monotonic() - started, 2)
        progress(f"{name} done in {seconds[name]:.1f} s")
        return result

    launcher = workdir / "launcher.py"
    stage("check", lambda: check_on_host(settings))
    launcher.write_text(launcher_of(settings).render())
    frozen = stage("freeze", lambda: freeze(freeze_spec(settings, launcher), workdir))
    binary = stage("staticize", lambda: staticize(frozen, workdir / BINARY, XZ[settings.compression]))
    contributors = stage("breakdown", lambda: breakdown(binary, frozen))
    facts = {"seconds": seconds, "contributors": [dataclasses.asdict(c) for c in contributors]}
    (workdir / FACTS).write_text(json.dumps(facts, indent=1))
    for bulky in ("build", "dist", "patched"):
        shutil.rmtree(workdir / bulky, ignore_errors=True)
    shutil.rmtree(final, ignore_errors=True)
    workdir.rename(final)
    return Build(final / BINARY, final.name, cached=False, seconds=seconds, contributors=contributors)


def _read_build(folder: Path, key: str) -> Build:
    facts = json.loads((folder / FACTS).read_text())
    contributors = [Contributor(**c) for c in facts["contributors"]]
    return Build(folder / BINARY, key, cached=True, seconds=facts["seconds"], contributors=contributors)

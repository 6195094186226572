"""The build of the static binary: check → record → freeze → staticize → breakdown, cached on disk.

The check tells the app's interface and so its worker (``auto``); the record learns, besides what the app
loads and reads, the optimisation level it works at (``optimize.learn``).

A build is kept under a key that covers what decides the binary apart from the app's own files: the
launcher and freeze settings (the health and probe paths too: they shape the record), the installed
distributions and the versions of Python and the tools. The app's files are held against a build by
content: each file the binary ships from outside the installed packages (the app's modules and data,
extra files, an editable package's sources) is hashed into the build's facts, with the listing of each
data folder it ships, and a build whose shipped files changed is made again. A test file, a README or
a conftest that the app never imports is not in the binary: editing one rebuilds nothing.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import sys
import sysconfig
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock

from . import sbom, trim
from .advice import Lever, levers
from .breakdown import Contributor, Entry, analyse, extension_module
from .checking import Checked, CheckRequest, check_on_host
from .errors import ScratchImageError
from .freeze import SHIPPED, FreezeSpec, freeze
from .launcher import Launcher
from .layers import (
    APP_FOLDER,
    AppFiles,
    Data,
    app_files,
    beside_modules,
    has_own,
    imports,
    lacking,
    layer,
    own_tops,
    runtime_needs,
)
from .optimize import Level, learn
from .record import Needs, Record, holder, needs, stdlib_roots, unused_modules
from .recording import Recording
from .retention import UNUSED_DAYS, prune, used
from .settings import Settings, app_of
from .sizes import format_size
from .staticize import XZ, recipe, staticize

BINARY = "app"
FACTS = "build.json"  # written last: its presence marks a complete build
PACKAGE = Path(__file__).parent
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
    recorded: bool = True  # whether the app's run on the host was recorded: what ``unused`` rests on
    served: Checked | None = None  # the app's interface and worker (None: a build of an older plugin)
    level: Level = field(default_factory=lambda: Level(2))
    levers: list[Lever] = field(default_factory=list)  # what would shrink it, weighed (advice.levers)
    app_layer: bytes | None = None  # scratch_image_layout = layers: the app's own files, compiled (layers.layer)
    app_files: AppFiles | None = None

    def serving(self) -> str:
        """``ASGI app under gunicorn's asgi worker; optimize 2`` for the report."""
        served = self.served
        kind = f"{served.interface.upper()} app" if served and served.interface else "app"
        worker = f" under gunicorn's {served.worker_class} worker" if served else ""
        return f"{kind}{worker}; {self.level}"


def launcher_of(settings: Settings) -> Launcher:
    layered = settings.layout == "layers" and has_own(app_of(settings).module, settings.app_path)
    layer = APP_FOLDER if layered else None  # an app installed from PyPI is frozen in, as in one layer
    return Launcher(app_of(settings), settings.port, settings.workers, settings.worker_class, layer)


def freeze_spec(
    settings: Settings, launcher: Path, learnt: Needs | None = None, unused: Iterable[str] = (), level: int = 2
) -> FreezeSpec:
    """What PyInstaller is asked: the settings, and what the record taught (``learnt``, ``unused``)."""
    learnt = learnt or Needs()
    extra_files = tuple((str(source), destination) for source, destination in settings.extra_files)
    return FreezeSpec(
        app=str(settings.app),
        launcher=launcher,
        pathex=settings.app_path,
        hidden_imports=(*launcher_of(settings).hidden_imports(), *settings.hidden_imports, *learnt.hidden_imports),
        excludes=(*settings.excludes, *trim.excludes(settings.trim), *unused),
        collect_data=settings.collect_data,
        copy_metadata=tuple(dict.fromkeys((*settings.copy_metadata, *learnt.metadata))),
        extra_files=(*extra_files, *learnt.datas),
        runtime_hooks=trim.runtime_hooks(settings.trim),
        exclude_files=settings.exclude_files,
        compression=settings.compression,
        optimize=level if settings.optimize is None else settings.optimize,
    )


def record_env(settings: Settings) -> dict[str, str]:
    """The app's environment on the host, at the check and the record: the container's, with the record's own."""
    return dict(settings.env) | dict(settings.record_env)


def recording_of(settings: Settings, launcher: Path) -> Recording:
    return Recording(
        launcher=launcher,
        app_path=settings.app_path,
        health_path=settings.health_path,
        probe_paths=settings.probe_paths,
        env=record_env(settings),
        excludes=(*settings.excludes, *trim.excludes(settings.trim)),
        runtime_hooks=trim.runtime_hooks(settings.trim),
        timeout=settings.ready_timeout,
    )


def tool_versions() -> dict[str, str]:
    """The tools' versions, and the digest of the plugin's own code, which decides what is recorded,
    learnt and left out (an editable install changes it without a new version)."""
    names = ("pytest-scratchimage", "pyinstaller", "staticx", "gunicorn")
    code = hashlib.sha256(b"".join(path.read_bytes() for path in sorted(PACKAGE.rglob("*.py"))))
    versions = {name: importlib.metadata.version(name) for name in names}
    return {"python": sys.version, "prefix": sys.prefix, "code": code.hexdigest()} | versions


def cache_key(settings: Settings) -> str:
    """The key of everything that decides the binary but the app's own files (see ``changed``)."""
    digest = hashlib.sha256()
    frozen = freeze_spec(settings, Path("launcher.py"))
    # what the record shapes: whether it is taken, what it probes, and whether what it never saw is left out
    recorded = {
        "record": settings.record,
        "optimize": settings.optimize,
        "health": settings.health_path,
        "probes": settings.probe_paths,
        "trim": settings.trim,
    }
    distributions = sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions())
    parts = (launcher_of(settings).render(), frozen.render(Path("work")) + frozen.compression, json.dumps(recorded))
    staticized = recipe(XZ[settings.compression])  # how the frozen program becomes the static binary
    for part in (*parts, staticized, json.dumps(tool_versions(), sort_keys=True), "\n".join(distributions)):
        digest.update(part.encode())
    return digest.hexdigest()[:20]


def check_request(settings: Settings) -> CheckRequest:
    modules = {
        "scratch_image_hidden_imports": settings.hidden_imports,
        "scratch_image_excludes": settings.excludes,
        "scratch_image_collect_data": settings.collect_data,
    }
    return CheckRequest(
        app_of(settings),
        settings.app_path,
        settings.worker_class,
        modules,
        settings.copy_metadata,
        record_env(settings),
    )


def build_binary(settings: Settings, cache: Path, progress: Progress, rebuild: bool = False) -> Build:
    """The static binary for ``settings``: from the cache, or built once even by many processes."""
    key = cache_key(settings)
    final = cache.resolve() / key
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(final.with_suffix(".lock"))):
            change = "--scratch-image-rebuild" if rebuild else changed(final)
            if change is None and (damage := damaged(final)):
                progress(f"cache: {key} {damage}: rebuilding")
                change = "its cached binary cannot be trusted"
            layered = layered_facts(final) if change is None else None
            own = app_files(layered["tops"], settings.app_path, map(tuple, layered["data"])) if layered else None
            if layered and own is not None:
                change = runtime_lacks(layered, settings, own)
            if change is None:
                progress(f"cached build {key} ({final / BINARY})")
                used(final)
                built = with_app_layer(_read_build(final, key), own)
            else:
                progress(f"building {key}: {change}")
                built = _build(settings, final, progress)
    except OSError as error:  # a full, read-only or missing cache folder, met by our own writes
        raise ScratchImageError(unwritable(error, final)) from None
    pruned = prune(final.parent, time.time(), final)
    if pruned.builds:
        removed = f"{pruned.builds} build{'s' * (pruned.builds > 1)} ({format_size(pruned.size)})"
        progress(f"cache: removed {removed} unused for {UNUSED_DAYS} days")
    return built


def unwritable(error: OSError, final: Path) -> str:
    """What a write into the cache met, and the fix: space for a full disk, else a writable folder."""
    fix = "free space there" if error.errno in (errno.ENOSPC, errno.EDQUOT) else "make it a writable folder"
    return (
        f"build: {error.strerror} writing {error.filename or final}; {fix} or point scratch_image_cache_dir elsewhere"
    )


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
    served = stage("check", lambda: check_on_host(check_request(settings)))
    settings = dataclasses.replace(settings, worker_class=served.worker_class)  # ``auto`` chosen
    launcher.write_text(launcher_of(settings).render())
    recording = recording_of(settings, launcher)
    recorded, level = None, Level(2 if settings.optimize is None else settings.optimize, "")
    if settings.record:
        recorded, level = stage("record", lambda: learn(recording, workdir / "record", settings.optimize))
    elif settings.optimize is None:
        level = Level(2, "not learnt: scratch_image_record is false")
    learnt = needs(recorded, settings.app_path, recording.excludes) if recorded else Needs()
    own: AppFiles | None = None
    beside: tuple[Data, ...] = ()
    if launcher_of(settings).layer is not None:  # the app's own go to a layer of their own; the runtime, their imports
        tops = own_tops(app_of(settings).module, settings.app_path, recorded.modules if recorded else None)
        beside = beside_modules(learnt, tops, settings.app_path)
        own = app_files(tops, settings.app_path, beside)
        learnt = runtime_needs(learnt, own)
    wanted = imports(own) if own is not None else ()
    unused = unused_by(recorded, settings, wanted)
    spec = freeze_spec(settings, launcher, learnt, (*unused, *(own.tops if own else ())), level.level)
    frozen = stage("freeze", lambda: freeze(spec, workdir))
    static = stage("staticize", lambda: staticize(frozen, workdir / BINARY, XZ[settings.compression]))
    analysis = stage("breakdown", lambda: analyse(static.binary, frozen, recorded, learnt, static.tar))
    contributors = analysis.contributors
    found = levers(analysis.entries, analysis.weigh, recorded, settings.trim, settings.exclude_files)
    shipped = json.loads((workdir / SHIPPED).read_text())
    added = [os.path.basename(entry.name) for entry in analysis.entries if entry.group[0] == "staticx"]
    stage("sbom", lambda: sbom.write(workdir, sbom.take(shipped, added)))
    facts = {
        "seconds": seconds,
        "contributors": [dataclasses.asdict(c) for c in contributors],
        "shipped": fingerprint(shipped, [final.parent]),
        "folders": listings(source for source, _ in (*settings.extra_files, *map(_as_path, learnt.datas))),
        "record": recorded.to_dict() if recorded else None,
        "served": dataclasses.asdict(served),
        "level": dataclasses.asdict(level),
        "levers": [lever.to_dict() for lever in found],
        "binary": made(static.binary),
        "layers": None if own is None else {"tops": list(own.tops), "data": beside, "modules": held(analysis.entries)},
    }
    (workdir / FACTS).write_text(json.dumps(facts, indent=1))
    for bulky in ("build", "dist", "patched"):
        shutil.rmtree(workdir / bulky, ignore_errors=True)
    shutil.rmtree(final, ignore_errors=True)
    workdir.rename(final)
    done = recorded is not None
    built = Build(final / BINARY, final.name, False, seconds, contributors, done, served, level, found)
    return with_app_layer(built, own)


def held(entries: Iterable[Entry]) -> list[str]:
    """The modules the runtime holds: its archive's, its base library's (os, encodings, …) and its
    extension modules'."""
    names: set[str] = set()
    for entry in entries:
        if entry.kind == "module":
            names.add(entry.name)
        elif entry.kind == "binary" and entry.name.endswith(".so"):
            names.add(extension_module(entry.name))
        elif entry.name == "base_library.zip":
            stored = (
                entry.data if entry.data.startswith(b"PK") else zlib.decompress(entry.data)
            )  # as the CArchive keeps it
            with zipfile.ZipFile(io.BytesIO(stored)) as library:
                stems = (name.removesuffix(".pyc").removesuffix("/__init__") for name in library.namelist())
                names |= {stem.replace("/", ".") for stem in stems}
    return sorted(names)


def with_app_layer(build: Build, own: AppFiles | None) -> Build:
    """The build with the app's layer made of ``own`` (milliseconds: compiled again at every session)."""
    if own is None:
        return build
    return dataclasses.replace(build, app_layer=layer(own, build.level.level), app_files=own)


def _as_path(data: tuple[str, str]) -> tuple[Path, str]:
    return Path(data[0]), data[1]


def unused_by(recorded: Record | None, settings: Settings, wanted: Iterable[str] = ()) -> tuple[str, ...]:
    """What the ``unused`` trim leaves out: none of what the frozen app's bootstrap needs, the app's own
    code imports (``wanted``, under two layers) or the settings' hidden imports ask for."""
    if recorded is None or "unused" not in settings.trim:  # the settings refuse the trim without a record
        return ()
    return unused_modules(recorded, settings.app_path, (*bootstrap_modules(), *wanted, *settings.hidden_imports))


def bootstrap_modules() -> tuple[str, ...]:
    """What a frozen app needs to start whatever it imports: PyInstaller's base library, the modules its
    bootstrap imports (read from its loader's sources) and the codecs Python relies on."""
    import ast

    import PyInstaller
    from PyInstaller.compat import PY3_BASE_MODULES

    loader = Path(PyInstaller.__file__).parent / "loader"
    imported: set[str] = set()
    for source in loader.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module)
    optional = ("ctypes", "pyimod", "pywin")  # the bootstrap tries ctypes, and only when it is there
    codecs = {f"encodings.{name}" for name in trim.KEPT_CODECS}
    return tuple(sorted({*PY3_BASE_MODULES, *codecs, *(m for m in imported if not m.startswith(optional))}))


def fingerprint(shipped: Iterable[str], skipped: Iterable[Path] = ()) -> dict[str, str]:
    """sha256 of each shipped file that no installed distribution or the standard library holds."""
    paths = sysconfig.get_paths()
    installed = [*stdlib_roots(), paths["purelib"], paths["platlib"], *map(str, skipped)]
    mine = [path for path in shipped if os.path.isfile(path) and holder(path, installed) is None]
    return {path: _sha256(Path(path)) for path in mine}  # PyInstaller names "-" the source of what it made


def listings(folders: Iterable[Path]) -> dict[str, list[str]]:
    """The files below each folder the binary ships whole: a new one there is a change too."""
    return {str(folder): _listing(folder) for folder in folders if folder.is_dir()}


def changed(folder: Path) -> str | None:
    """Why the build in ``folder`` is not the one to use, or None when it is."""
    try:
        facts = json.loads((folder / FACTS).read_text())
    except FileNotFoundError:
        return "no build yet"
    except (OSError, ValueError):  # cut short (a full disk, a partly restored CI cache) or unreadable
        return f"its cached facts ({folder / FACTS}) cannot be read"
    for path, digest in facts.get("shipped", {}).items():
        if not Path(path).is_file() or _sha256(Path(path)) != digest:
            return f"{path} changed"
    for path, names in facts.get("folders", {}).items():
        if _listing(Path(path)) != names:
            return f"the files in {path} changed"
    return None


def layered_facts(folder: Path) -> dict[str, Any] | None:
    """What a cached build of ``scratch_image_layout = layers`` knows of its runtime (None: one layer)."""
    layered: dict[str, Any] | None = json.loads((folder / FACTS).read_text()).get("layers")
    return layered


def runtime_lacks(layered: dict[str, Any], settings: Settings, own: AppFiles) -> str | None:
    """Why the cached runtime cannot serve the app as it is now: it imports a module the runtime lacks."""
    excluded = (*settings.excludes, *trim.excludes(settings.trim))
    missing = lacking(imports(own), layered["modules"], excluded)
    return f"the app now imports {missing[0]}, which the runtime lacks" if missing else None


def made(binary: Path) -> dict[str, Any]:
    """What the build made, as the cache checks it before trusting it again."""
    return {"size": binary.stat().st_size, "sha256": _sha256(binary)}


def damaged(folder: Path) -> str | None:
    """How the binary in a finished build ``folder`` differs from what its build made, or None when it
    does not: a partly restored CI cache, a full disk or a hand's edit must not become the image."""
    expected = json.loads((folder / FACTS).read_text()).get("binary")
    if expected is None:
        return "has no digest of its binary (a build of an older plugin)"
    binary = folder / BINARY
    if not binary.is_file():
        return f"was damaged (no binary, expected {expected['size']:,} bytes)"
    if (size := binary.stat().st_size) != expected["size"]:
        return f"was damaged (size {size:,}, expected {expected['size']:,})"
    if (digest := _sha256(binary)) != expected["sha256"]:
        return f"was damaged (sha256 {digest[:12]}…, expected {expected['sha256'][:12]}… at the same size)"
    return None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if "__pycache__" not in path.parts)


def _read_build(folder: Path, key: str) -> Build:
    facts: dict[str, Any] = json.loads((folder / FACTS).read_text())
    contributors = [Contributor(**c) for c in facts["contributors"]]
    served, level = Checked(**facts["served"]), Level(**facts["level"])
    found = [Lever(**lever) for lever in facts.get("levers", [])]
    recorded = facts["record"] is not None
    return Build(folder / BINARY, key, True, facts["seconds"], contributors, recorded, served, level, found)

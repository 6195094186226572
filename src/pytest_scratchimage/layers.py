"""The app layer: the app's own packages, compiled and sourceless, in an image layer apart from the runtime.

With ``scratch_image_layout = layers`` the frozen, static runtime (the interpreter, the dependencies,
gunicorn, the launcher) is one layer, cached under the build's key, and the app's own modules and the
other files of its packages a second, thin one under ``APP_FOLDER``, which the launcher puts first on
``sys.path``. The app's own are its top-level modules and packages in ``scratch_image_app_path``: the
app's, and every other the record saw loaded from there. An edit of the app makes the thin layer again
(milliseconds); the runtime is made again only when the app imports a module that it lacks.
"""

from __future__ import annotations

import ast
import importlib.machinery
import io
import os
import posixpath
import py_compile
import sys
import sysconfig
import tarfile
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import ScratchImageError
from .record import Needs, holder, stdlib_roots

APP_FOLDER = "/opt/app"  # not /app: the entrypoint, the static binary, is that file
_CODE = (".pyc", ".pyo")  # left out: the layer's own are compiled for the frozen interpreter
Data = tuple[str, str]  # a file or folder the record saw read, and its folder in the app (record.data)


@dataclass(frozen=True)
class AppFiles:
    """The files of the app's own packages: sources to compile and the rest, each with its path in the layer."""

    tops: tuple[str, ...]
    sources: tuple[tuple[Path, str], ...] = ()
    others: tuple[tuple[Path, str], ...] = ()


def own_tops(app_module: str, app_path: Iterable[Path], modules: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The app's own top-level modules and packages: the app's, and each one the record loaded (``modules``:
    name → file) from a module file or package folder directly in an app folder, not from an installed
    distribution there (a virtual environment in the rootdir). An app installed from PyPI has none."""
    folders = [Path(os.path.realpath(folder)) for folder in app_path]
    installed = [*stdlib_roots(), *{sysconfig.get_paths()[name] for name in ("purelib", "platlib")}]
    top = app_module.partition(".")[0]
    tops = {top} if _located(top, folders) is not None else set()  # an installed app (wsgidav) has no own files
    for name, file in (modules or {}).items():
        top, real = name.partition(".")[0], os.path.realpath(file) if file else ""
        if not real or holder(real, map(str, installed)):
            continue
        found = _located(top, folders)
        if found is not None and holder(real, [str(found)]):
            tops.add(top)
    return tuple(sorted(tops))


def has_own(app_module: str, app_path: Iterable[Path]) -> bool:
    """Whether the app's module lies in an app folder: an app installed from PyPI leaves its layer nothing."""
    return _located(app_module.partition(".")[0], [Path(os.path.realpath(folder)) for folder in app_path]) is not None


def _located(top: str, folders: Iterable[Path]) -> Path | None:
    """The package folder or module file of ``top`` in the first of ``folders`` that has one."""
    for folder in folders:
        if (folder / top).is_dir():
            return folder / top
        if (folder / f"{top}.py").is_file():
            return folder / f"{top}.py"
    return None


def app_files(tops: Iterable[str], app_path: Iterable[Path], beside: Iterable[Data] = ()) -> AppFiles:
    """Every file of the app's own: a module file, or each file below a package folder but bytecode; and the
    data ``beside`` its modules (see ``beside_modules``), each where the record saw it."""
    folders = [Path(os.path.realpath(folder)) for folder in app_path]
    sources: list[tuple[Path, str]] = []
    others: list[tuple[Path, str]] = []
    for top in tops:
        found = _located(top, folders)
        if found is None:
            continue
        for path in _files(found):
            relative = path.relative_to(found.parent).as_posix()
            (sources if path.suffix == ".py" else others).append((path, relative))
    for source, where in beside:
        found = Path(source)
        if found.is_file():
            others.append((found, posixpath.normpath(posixpath.join(where, found.name))))
        for path in _files(found) if found.is_dir() else ():  # one gone since the record is left out
            others.append((path, posixpath.normpath(posixpath.join(where, path.relative_to(found).as_posix()))))
    return AppFiles(tuple(tops), tuple(sources), tuple(dict.fromkeys(others)))


def _files(found: Path) -> list[Path]:
    """A file, or each file below a folder, bytecode aside."""
    files = [found] if found.is_file() else sorted(p for p in found.rglob("*") if p.is_file())
    return [path for path in files if "__pycache__" not in path.parts and path.suffix not in _CODE]


def beside_modules(learnt: Needs, tops: Iterable[str], app_path: Iterable[Path]) -> tuple[Data, ...]:
    """The data the record saw read in the folder of one of the app's own top-level *modules*: the module
    finds it from its ``__file__`` (``Path(__file__).parent / "templates"``), which this layout puts in
    APP_FOLDER, so the data goes there too. A package's data is in its folder, which goes whole; the data of
    an installed package (a venv in the app folder) was placed by its site-packages, and stays with it."""
    folders = [Path(os.path.realpath(folder)) for folder in app_path]
    found = [place for place in (_located(top, folders) for top in tops) if place is not None]
    homes = [str(place.parent) for place in found if place.is_file()]
    packages = [str(place) for place in found if place.is_dir()]
    return tuple(
        (source, where)
        for source, where in learnt.datas
        if any(_placed_from(source, where, home) for home in homes) and not holder(os.path.realpath(source), packages)
    )


def _placed_from(source: str, where: str, home: str) -> bool:
    """Whether the record placed ``source`` at ``where`` from ``home``, rather than from a root below it."""
    relative = os.path.relpath(os.path.realpath(source), home)
    if relative == ".." or relative.startswith("../"):
        return False
    placed = relative if os.path.isdir(source) else os.path.dirname(relative) or "."
    return posixpath.normpath(placed) == posixpath.normpath(where)


def imports(files: AppFiles) -> tuple[str, ...]:
    """The modules outside the app that its sources import by absolute import, found without importing:
    ``import a.b`` gives a.b; ``from a import b`` gives a, and a.b when that is a module on this host."""
    found: set[str] = set()
    for path, _ in files.sources:
        try:
            tree = ast.parse(path.read_bytes(), str(path))
        except (SyntaxError, ValueError):
            continue  # compiling the layer says so, with the line
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names if _is_module(f"{node.module}.{a.name}")}
    return tuple(sorted(name for name in found if name.partition(".")[0] not in files.tops))


def _is_module(name: str) -> bool:
    """Whether ``name`` is a module or package on this host's ``sys.path``, found on disk (nothing is imported)."""
    top, *parts = name.split(".")
    spec = importlib.machinery.PathFinder.find_spec(top)
    places = list(spec.submodule_search_locations or []) if spec else []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        below = [Path(place) / part for place in places]
        if last:
            suffixes = importlib.machinery.all_suffixes()
            return any(p.is_dir() or any(p.with_name(part + s).is_file() for s in suffixes) for p in below)
        places = [str(p) for p in below if p.is_dir()]
    return False


def runtime_needs(learnt: Needs, own: AppFiles) -> Needs:
    """What the record taught, for a runtime without the app's own: their imports in, their modules and
    files out (the app's layer holds them)."""
    tops = tuple(own.tops)
    homes = [str(path) for path, _ in (*own.sources, *own.others)]
    hidden = [name for name in learnt.hidden_imports if name.partition(".")[0] not in tops]
    datas = [(source, where) for source, where in learnt.datas if not _within(source, homes)]
    return Needs(tuple(dict.fromkeys((*hidden, *imports(own)))), tuple(datas), learnt.metadata)


def _within(source: str, files: list[str]) -> bool:
    """Whether ``source`` (a file or a folder) is one of ``files`` or holds one."""
    real = os.path.realpath(source)
    return any(file == real or file.startswith(real.rstrip("/") + "/") for file in files)


def lacking(wanted: Iterable[str], held: Iterable[str], excluded: Iterable[str] = ()) -> list[str]:
    """What of ``wanted`` the runtime does not hold (``held``: its modules), built-ins and ``excluded`` aside."""
    have, gone = set(held) | set(sys.builtin_module_names), tuple(excluded)
    return [
        name
        for name in wanted
        if name not in have and not any(name == out or name.startswith(out + ".") for out in gone)
    ]


def layer(files: AppFiles, optimize: int) -> bytes:
    """The layer's tar: the sources compiled at ``optimize`` (unchecked hash-based: no timestamps, so the same
    files make the same bytes), the other files as they are, all root's and read-only."""
    members: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="scratch-layer-") as scratch:
        compiled = Path(scratch) / "module.pyc"
        for path, relative in files.sources:
            shown = f"{APP_FOLDER}/{relative}"  # the name in tracebacks: where it lives in the image
            try:
                py_compile.compile(
                    str(path),
                    str(compiled),
                    shown,
                    doraise=True,
                    optimize=optimize,
                    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
                )
            except py_compile.PyCompileError as error:
                raise ScratchImageError(f"layers: {path} does not compile: {error.msg.strip()}") from None
            members[f"{shown}c"] = compiled.read_bytes()
    for path, relative in files.others:
        members[f"{APP_FOLDER}/{relative}"] = path.read_bytes()
    return tar_of(members)


def tar_of(files: Mapping[str, bytes]) -> bytes:
    """``files`` alone as a tar, as ``add_files`` lays them out."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add_files(tar, files)
    return buffer.getvalue()


def add_files(tar: tarfile.TarFile, files: Mapping[str, bytes]) -> None:
    """``files`` as root's read-only members (0444, folders 0555), each folder once, before its files; no times."""
    named = {path.lstrip("/"): content for path, content in files.items()}
    folders = sorted({str(parent) for path in named for parent in Path(path).parents if str(parent) != "."})
    for folder in folders:
        tar.addfile(entry(folder, tarfile.DIRTYPE, 0o555))
    for path, content in sorted(named.items()):
        member = entry(path, tarfile.REGTYPE, 0o444)
        member.size = len(content)
        tar.addfile(member, io.BytesIO(content))


def entry(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    """A tar member of root's, timeless: the same files make the same bytes."""
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.uid, info.gid, info.mtime = kind, mode, 0, 0, 0
    return info

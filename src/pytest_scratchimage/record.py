"""What a record of the app's run on the host says: what to freeze, and what the image carries for nothing.

``recording`` makes the record; this module reads it. The modules the app used become hidden imports;
the files and folders it read or looked at inside its own folders and the installed packages become
data, at the same place; the distributions whose metadata it read have their metadata copied. The
standard library and the submodules of the packages it used that it never loaded are what the opt-in
``unused`` trim leaves out.
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

_EXTENSION = re.compile(r"\.(cpython-[^.]+\.|abi3\.)?so$")
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
_CODE = (".py", ".pyc", ".pyi", ".so")
_RECORDER = frozenset({"__main__", "_distutils_hack", "sitecustomize", "usercustomize"})
# The folders of tools, never the app's data: an app that lists the project folder (WsgiDAV serving it
# over WebDAV, in the corpus) looks into them, and .pytest_cache holds the plugin's own binaries.
_TOOL_FOLDERS = frozenset(
    {"__pycache__", ".pytest_cache", ".git", ".hg", ".svn", ".tox", ".nox", ".venv", ".mypy_cache", ".ruff_cache",
     ".hypothesis", ".eggs"}
)  # fmt: skip
_FACTS = {
    "started": "started",
    "nospec": "nospec",
    "import": "imports",
    "open": "opened",
    "tls": "tls",
}  # else "looked"


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    status: int
    bytes: int


@dataclass(frozen=True)
class Record:
    """What the app did on the host, every process together."""

    started: frozenset[str] = frozenset()  # modules the interpreter held before the launcher
    modules: dict[str, str] = field(default_factory=dict)  # module → its file ("" when built in) at exit
    nospec: frozenset[str] = frozenset()  # modules held without a spec (lazy overlays): never asked for by name
    imports: frozenset[str] = frozenset()  # import attempts, failed ones too
    opened: frozenset[str] = frozenset()  # files opened for reading (failed opens too)
    looked: frozenset[str] = frozenset()  # paths stat'ed, listed or globbed
    path: tuple[str, ...] = ()  # the app's sys.path
    probes: tuple[Probe, ...] = ()
    seconds: float = 0.0
    tls: frozenset[str] = frozenset()  # TLS connections opened: "client HOST", "server"; none says tls can go

    def to_dict(self) -> dict[str, Any]:
        return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Record:
        return cls(
            started=frozenset(data["started"]),
            modules=dict(data["modules"]),
            nospec=frozenset(data["nospec"]),
            imports=frozenset(data["imports"]),
            opened=frozenset(data["opened"]),
            looked=frozenset(data["looked"]),
            path=tuple(data["path"]),
            probes=tuple(Probe(**probe) for probe in data["probes"]),
            seconds=float(data["seconds"]),
            tls=frozenset(data.get("tls", ())),
        )

    def used(self) -> set[str]:
        """Every module the app held or loaded: at exit, or through the code file it opened (a module
        imported by ``importlib.import_module`` and dropped from ``sys.modules`` later shows only there)."""
        roots = [entry for entry in self.path if os.path.isdir(entry)]
        loaded = {module_of(path, root) for path in self.opened if (root := holder(path, roots))}
        return set(self.modules) | {name for name in loaded if name}


@dataclass(frozen=True)
class Needs:
    """What the freeze must add for the app to run as recorded."""

    hidden_imports: tuple[str, ...] = ()
    datas: tuple[tuple[str, str], ...] = ()  # (file or folder, the folder it goes to in the app)
    metadata: tuple[str, ...] = ()  # distributions whose metadata was read


def read_facts(folder: Path) -> dict[str, Any]:
    """The facts every process wrote, merged: the fields of a ``Record`` but its probes and time."""
    facts: dict[str, set[str]] = {name: set() for name in ("started", "nospec", "imports", "opened", "looked", "tls")}
    modules: dict[str, str] = {}
    path: dict[str, None] = {}
    for file in sorted(folder.glob("rec-*.tsv")):
        for line in file.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
            fact, _, argument, detail = line.split("\t", 3)  # every line has its four fields
            if fact == "module":
                modules.setdefault(argument, detail)
            elif fact == "path":
                path.setdefault(argument)
            elif fact == "open" and detail == "w":
                continue
            else:
                facts[_FACTS.get(fact, "looked")].add(argument)
    return {name: frozenset(values) for name, values in facts.items()} | {"modules": modules, "path": tuple(path)}


# --- what the record says ------------------------------------------------------------------------------


def module_of(path: str, root: str) -> str | None:
    """``<root>/a/b/__pycache__/c.cpython-311.pyc`` → ``a.b.c``; ``<root>/a/__init__.py`` → ``a``; None for data."""
    *folders, filename = os.path.relpath(path, root).split(os.sep)
    if folders and folders[-1] == "__pycache__":
        folders, name = folders[:-1], filename.split(".")[0]
    elif filename.endswith((".py", ".pyc")) or _EXTENSION.search(filename):
        name = filename.split(".")[0]
    else:
        return None
    dotted = ".".join([*folders, name]).removesuffix(".__init__")
    return dotted if _DOTTED.fullmatch(dotted) else None


def holder(path: str, roots: Iterable[str]) -> str | None:
    """The deepest of ``roots`` that holds ``path``."""
    holding = [root for root in roots if path == root or path.startswith(root.rstrip("/") + "/")]
    return max(holding, key=len, default=None)


def stdlib_roots() -> set[str]:
    """The standard library's folders: its modules and its extension modules (``lib-dynload``).

    In a virtual environment ``platstdlib`` names the environment, not the interpreter: the extension
    modules' folder is the one Python was built to install them in.
    """
    return {sysconfig.get_paths()["stdlib"], str(sysconfig.get_config_var("DESTSHARED"))}


def package_roots(record: Record, app_path: Iterable[Path]) -> list[str]:
    """Where the app's packages and files live: the app's folders and every non-stdlib ``sys.path`` entry."""
    skip = stdlib_roots()
    roots = [str(p) for p in app_path] + [entry for entry in record.path if entry and entry not in skip]
    return [os.path.realpath(root) for root in dict.fromkeys(roots) if os.path.isdir(root)]


def needs(record: Record, app_path: Iterable[Path], excludes: Iterable[str] = ()) -> Needs:
    """Hidden imports, data and metadata that make the frozen app do what it did on the host."""
    roots = package_roots(record, app_path)
    excluded = tuple(excludes)
    hidden = sorted(
        name
        for name in record.used() - record.started - record.nospec - _RECORDER
        if _DOTTED.fullmatch(name)
        and not name.startswith(("__editable__", "_virtualenv"))
        and not any(name == gone or name.startswith(gone + ".") for gone in excluded)
        and (record.modules.get(name) or name not in record.modules)  # built-ins live in libpython
    )
    return Needs(tuple(hidden), tuple(data(record, roots)), tuple(metadata(record, roots)))


def data(record: Record, roots: list[str]) -> list[tuple[str, str]]:
    """Non-code files read or looked at, and folders looked into, inside the app's folders and packages.

    A folder goes whole: a package that checks at start that its ``static`` folder exists and serves from
    it later was seen to look at the folder alone. A file inside a folder that goes is not listed again.
    """
    modules = record.used()
    folders: dict[str, str] = {}
    files: dict[str, str] = {}
    for path in sorted(record.opened | record.looked):
        real = os.path.realpath(path)
        root = holder(real, roots)
        if root is None or real == root or _metadata_folder(real):
            continue
        relative = os.path.relpath(real, root)
        if _TOOL_FOLDERS.intersection(relative.split(os.sep)) or _in_environment(root, relative):
            continue
        if os.path.isfile(real) and not real.endswith(_CODE):
            files[real] = os.path.dirname(relative) or "."
        elif os.path.isdir(real) and not _is_package(real, relative, modules) and path in record.looked:
            folders[real] = relative
    for folder in list(folders):
        if any(folder.startswith(other + "/") for other in folders):
            del folders[folder]
    kept = {f: d for f, d in files.items() if not any(f.startswith(folder + "/") for folder in folders)}
    return sorted([*folders.items(), *kept.items()])


def _in_environment(root: str, relative: str) -> bool:
    """Whether ``relative`` is, or lies in, a virtual environment below ``root``: a folder with a ``pyvenv.cfg``,
    whatever its name (``v``, ``env``). Its packages are found through its site-packages, a root of its own."""
    parts = relative.split(os.sep)
    return any(os.path.isfile(os.path.join(root, *parts[:depth], "pyvenv.cfg")) for depth in range(1, len(parts) + 1))


def _is_package(folder: str, relative: str, modules: set[str]) -> bool:
    return os.path.isfile(os.path.join(folder, "__init__.py")) or relative.replace(os.sep, ".") in modules


def _metadata_folder(path: str) -> str | None:
    match = re.search(r"^(.*?/[^/]+\.(?:dist|egg)-info)(?:/|$)", path)
    return match[1] if match else None


def metadata(record: Record, roots: list[str]) -> list[str]:
    """The distributions whose metadata files the app read (``importlib.metadata``).

    A distribution of which only ``entry_points.txt`` was read, and none of whose code ran, was passed over
    by a scan of every distribution's entry points (pydantic looks for its plugins so at import): the frozen
    app, which holds none of its code, needs none of its metadata. Copied, it would tell the frozen app
    that the venv's every other distribution is installed (a FastAPI app's record read 44 of them).
    """
    read: dict[str, set[str]] = {}
    for path in record.opened:
        real = os.path.realpath(path)
        folder = _metadata_folder(real)
        if folder and os.path.isfile(real) and holder(real, roots):
            read.setdefault(folder, set()).add(os.path.basename(real))
    code = _code_files(record)
    return sorted(
        _distribution(Path(folder))
        for folder, files in read.items()
        if files != {"entry_points.txt"} or _ran_code_of(Path(folder), code)
    )


def _code_files(record: Record) -> set[str]:
    """The real paths of the code the app ran: its modules' files, and the code files it opened."""
    files = {path for path in record.modules.values() if path} | {p for p in record.opened if p.endswith(_CODE)}
    return {os.path.realpath(path) for path in files}


def _ran_code_of(folder: Path, code: set[str]) -> bool:
    """Whether the app ran code of the distribution ``folder`` describes (its RECORD's files); True when
    there is no RECORD to tell."""
    try:
        lines = (folder / "RECORD").read_text(errors="replace").splitlines()
    except OSError:
        return True
    files = (line.split(",", 1)[0] for line in lines if line)
    return any(os.path.realpath(folder.parent / name) in code for name in files)


def _distribution(folder: Path) -> str:
    for name in ("METADATA", "PKG-INFO"):
        if (folder / name).is_file():
            for line in (folder / name).read_text(errors="replace").splitlines():
                if line.startswith("Name:"):
                    return line.partition(":")[2].strip()
    return folder.name.split("-")[0]


def unused_modules(record: Record, app_path: Iterable[Path], keep: Iterable[str] = ()) -> tuple[str, ...]:
    """The fewest names that cover every module the frozen app could carry and the record never saw.

    Candidates are the standard library's modules, the installed top-level modules and packages, and the
    submodules of every package the app used, found on disk (nothing is imported). Kept: whatever the
    record saw loaded (the interpreter's own start included), ``keep`` (what the frozen app's bootstrap
    needs, the hidden imports asked for), what the used modules import at their top level in any branch
    (``eager``), the parents of all of those, and the app's own folders, which are never trimmed.
    """
    from .eager import eager_imports

    roots = package_roots(record, [])
    kept = record.used() | record.started | set(keep) | eager_imports(record.modules, roots, stdlib_roots())
    used = {name.rsplit(".", depth)[0] for name in kept for depth in range(name.count(".") + 1)}
    mine = [str(path) for path in app_path]
    vendored = [root for root in roots if _vendored(root)]
    unused = {name for name in sys.stdlib_module_names if name not in used}
    for root in roots:
        if not holder(root, [os.path.realpath(path) for path in mine]) and root not in vendored:
            unused |= {name for name in _modules_in(Path(root)) if name not in used}
    for name in sorted(used):
        origin = record.modules.get(name, "")
        if _named_as_found(name, origin) and Path(origin).parent.is_dir() and not holder(origin, mine + vendored):
            unused |= _unused_below(name, Path(origin).parent, used)
    return tuple(sorted(unused))


# PyInstaller's own hooks give a package vendored in another its names twice, the vendor's and the outer ones
# (setuptools._distutils as distutils from Python 3.12; setuptools/_vendor's jaraco.text as jaraco.text), and
# its module graph fails on an alias whose name is excluded: the outer names are never trimmed.
def _named_as_found(package: str, origin: str) -> bool:
    """A package whose folder bears its name: not one loaded under another (distutils, from setuptools)."""
    return origin.endswith(f"/{package.replace('.', '/')}/__init__.py")


def _vendored(root: str) -> bool:
    """A ``sys.path`` entry inside a package (setuptools/_vendor): what it holds is another's, vendored."""
    return (Path(root).parent / "__init__.py").is_file()


def _modules_in(folder: Path) -> dict[str, bool]:
    """The modules and packages ``folder`` holds (name → whether a package), by their files alone."""
    found: dict[str, bool] = {}
    for entry in folder.iterdir():
        name = entry.name.split(".")[0]
        is_module = entry.suffix == ".py" or bool(_EXTENSION.search(entry.name))
        is_package = entry.is_dir() and (entry / "__init__.py").is_file()
        if name != "__init__" and (is_module or is_package) and name.isidentifier():
            found[name] = found.get(name, False) or is_package
    return found


def _unused_below(package: str, folder: Path, used: set[str]) -> set[str]:
    """Submodules of ``package`` (in ``folder``) that neither are used nor hold a used module."""
    found: set[str] = set()
    for name, is_package in _modules_in(folder).items():
        dotted = f"{package}.{name}"
        if dotted not in used and not any(other.startswith(dotted + ".") for other in used):
            found.add(dotted)
        elif is_package:
            found |= _unused_below(dotted, folder / name, used)
    return found

"""Record by running: serve the app on the host as the image will, and learn what it needs.

Static analysis misses what an app imports by name, the data files it reads from its packages and the
package metadata it asks for. Before freezing, the generated launcher runs under gunicorn on the host,
with the interpreter that will be frozen and the build's excludes and runtime hooks in place
(``host/record.py`` records in each process); the health path, the probe paths and what their HTML and
CSS answers link to are requested, plus a 404, a HEAD and a malformed request (gunicorn's error path).
The record then says what to freeze: the modules used (as hidden imports), the files and folders read
or looked at inside the app's folders and installed packages (as data, at the same place), the
distributions whose metadata was read; and what the image would carry for nothing.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .diagnose import hints
from .errors import ScratchImageError

HOST = Path(__file__).parent / "host"
NOT_FOUND = "/__scratch_image_record_404__"
CRAWL_LIMIT = 100  # links followed from the probed pages' HTML and CSS
_LINK = re.compile(rb"""(?:src|href)\s*=\s*["']([^"'#]+)["']|url\(\s*["']?([^"')#]+)["']?\s*\)""", re.I)
_EXTENSION = re.compile(r"\.(cpython-[^.]+\.|abi3\.)?so$")
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
_CODE = (".py", ".pyc", ".pyi", ".so")
_RECORDER = frozenset({"__main__", "_distutils_hack", "sitecustomize", "usercustomize"})
_FACTS = {"started": "started", "nospec": "nospec", "import": "imports", "open": "opened"}  # else "looked"


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
        )

    def used(self) -> set[str]:
        """Every module the app held or loaded: at exit, or through the code file it opened (a module
        imported by ``importlib.import_module`` and dropped from ``sys.modules`` later shows only there)."""
        roots = [entry for entry in self.path if os.path.isdir(entry)]
        loaded = {module_of(path, root) for path in self.opened if (root := _under(path, roots))}
        return set(self.modules) | {name for name in loaded if name}


@dataclass(frozen=True)
class Needs:
    """What the freeze must add for the app to run as recorded."""

    hidden_imports: tuple[str, ...] = ()
    datas: tuple[tuple[str, str], ...] = ()  # (file or folder, the folder it goes to in the app)
    metadata: tuple[str, ...] = ()  # distributions whose metadata was read


@dataclass(frozen=True)
class Recording:
    """How to record: the launcher to run and what to ask it."""

    launcher: Path
    app_path: tuple[Path, ...]
    health_path: str
    probe_paths: tuple[tuple[str, str], ...] = ()  # (method, path)
    env: Mapping[str, str] = field(default_factory=dict)
    excludes: tuple[str, ...] = ()  # the build's: not importable, as in the frozen app
    runtime_hooks: tuple[Path, ...] = ()
    timeout: float = 30.0


# --- running the app --------------------------------------------------------------------------------


def record(recording: Recording, folder: Path) -> Record:
    """Serve the app on the host with ``recording``, ask it the probes, and return what it did.

    ``folder`` holds the facts, the app's log and its working directory; nothing is written elsewhere
    (bytecode included). A failure to start or a probe answering 5xx is a ``ScratchImageError``.
    """
    started = time.monotonic()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cwd").mkdir(exist_ok=True)
    request = {
        "path": [str(p) for p in recording.app_path],
        "excludes": list(recording.excludes),
        "runtime_hooks": [str(hook) for hook in recording.runtime_hooks],
        "launcher": str(recording.launcher),
    }
    (folder / "request.json").write_text(json.dumps(request))
    port = free_port()
    bind = f"--bind 127.0.0.1:{port} --workers 1"  # the launcher honours gunicorn's run-time arguments
    env = {**os.environ, **recording.env, "PYTHONDONTWRITEBYTECODE": "1"}
    env["GUNICORN_CMD_ARGS"] = f"{recording.env.get('GUNICORN_CMD_ARGS', '')} {bind}".strip()
    log = folder / "app.log"
    command = [sys.executable, str(HOST / "record.py"), str(folder / "request.json")]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=folder / "cwd", env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            probes = _ask(recording, f"127.0.0.1:{port}", process, log)
        finally:
            _stop(process)
    facts = read_facts(folder)
    return Record(**facts, probes=tuple(probes), seconds=round(time.monotonic() - started, 2))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ask(recording: Recording, address: str, process: subprocess.Popen[bytes], log: Path) -> list[Probe]:
    health = recording.health_path
    first = _wait(address, health, recording.timeout, process, log)
    probes, pages = [first[0]], {health: first[1]}
    for method, path in recording.probe_paths:
        probe, body = _request(address, method, path)
        _check(probe, process, log)
        probes.append(probe)
        pages[path] = body
    for link in _links(pages):
        probes.append(_request(address, "GET", link)[0])
    probes += [_request(address, "GET", NOT_FOUND)[0], _request(address, "HEAD", health)[0]]
    probes.append(_malformed(address))
    return probes


def _wait(
    address: str, path: str, timeout: float, process: subprocess.Popen[bytes], log: Path
) -> tuple[Probe, tuple[str, bytes]]:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            text = log.read_text(errors="replace")
            fixes = "".join(f"; to fix: {hint}" for hint in hints(text))
            raise ScratchImageError(
                f"record: the app exited with code {process.returncode} on the host before answering {path}"
                f"{fixes}; its log follows",
                text,
            )
        try:
            probe, body = _request(address, "GET", path, timeout=2.0)
        except OSError:
            if time.monotonic() > deadline:
                raise ScratchImageError(
                    f"record: no HTTP answer from the app on the host at http://{address}{path} within "
                    f"{timeout:g} s (scratch_image_ready_timeout); its log follows",
                    log.read_text(errors="replace"),
                ) from None
            time.sleep(0.05)
            continue
        _check(probe, process, log)
        return probe, body


def _check(probe: Probe, process: subprocess.Popen[bytes], log: Path) -> None:
    if probe.status >= 500:
        _stop(process)
        raise ScratchImageError(
            f"record: {probe.method} {probe.path} answered {probe.status} on the host (scratch_image_probe_paths); "
            "the app's log follows",
            log.read_text(errors="replace"),
        )


def _request(address: str, method: str, path: str, timeout: float = 10.0) -> tuple[Probe, tuple[str, bytes]]:
    """One request; the probe and, for a GET, the content type and body (to follow its links)."""
    connection = http.client.HTTPConnection(address, timeout=timeout)
    try:
        connection.request(method, path, headers={"Accept": "*/*", "User-Agent": "pytest-scratchimage record"})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    return Probe(method, path, response.status, len(body)), (response.getheader("Content-Type") or "", body)


def _links(pages: Mapping[str, tuple[str, bytes]]) -> list[str]:
    """What a browser fetches next: same-origin ``src``, ``href`` and CSS ``url()`` of the probed pages."""
    found: dict[str, None] = {}
    for base, (content_type, body) in pages.items():
        if "html" not in content_type and "css" not in content_type:
            continue
        for match in _LINK.finditer(body[:1_000_000]):
            link = (match[1] or match[2]).decode("latin-1").strip()
            parts = urllib.parse.urlsplit(urllib.parse.urljoin(f"http://here{base}", link))
            if parts.netloc == "here" and parts.path not in pages:
                found[parts.path + (f"?{parts.query}" if parts.query else "")] = None
    return list(found)[:CRAWL_LIMIT]


def _malformed(address: str) -> Probe:
    """A request line gunicorn refuses with 400: its error path imports what a good request does not."""
    host, _, port = address.partition(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(b"NOT A REQUEST\r\n\r\n")
        status = connection.recv(64).split(b" ")[1:2]
    return Probe("RAW", "NOT A REQUEST", int(status[0]) if status and status[0].isdigit() else 0, 0)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as docker stop: gunicorn shuts down and every process reaches its exit hooks."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def read_facts(folder: Path) -> dict[str, Any]:
    """The facts every process wrote, merged: the fields of a ``Record`` but its probes and time."""
    facts: dict[str, set[str]] = {name: set() for name in ("started", "nospec", "imports", "opened", "looked")}
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


def _under(path: str, roots: Iterable[str]) -> str | None:
    """The deepest of ``roots`` that holds ``path``."""
    holding = [root for root in roots if path == root or path.startswith(root.rstrip("/") + "/")]
    return max(holding, key=len, default=None)


def stdlib_roots() -> set[str]:
    paths = sysconfig.get_paths()
    return {paths["stdlib"], paths["platstdlib"], os.path.join(paths["platstdlib"], "lib-dynload")}


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
        root = _under(real, roots)
        if root is None or real == root or "__pycache__" in real or _metadata_folder(real):
            continue
        relative = os.path.relpath(real, root)
        if os.path.isfile(real) and not real.endswith(_CODE):
            files[real] = os.path.dirname(relative) or "."
        elif os.path.isdir(real) and not _is_package(real, relative, modules) and path in record.looked:
            folders[real] = relative
    for folder in list(folders):
        if any(folder.startswith(other + "/") for other in folders):
            del folders[folder]
    kept = {f: d for f, d in files.items() if not any(f.startswith(folder + "/") for folder in folders)}
    return sorted([*folders.items(), *kept.items()])


def _is_package(folder: str, relative: str, modules: set[str]) -> bool:
    return os.path.isfile(os.path.join(folder, "__init__.py")) or relative.replace(os.sep, ".") in modules


def _metadata_folder(path: str) -> str | None:
    match = re.search(r"^(.*?/[^/]+\.(?:dist|egg)-info)(?:/|$)", path)
    return match[1] if match else None


def metadata(record: Record, roots: list[str]) -> list[str]:
    """The distributions whose metadata files the app read (``importlib.metadata``)."""
    names = set()
    for path in record.opened:
        real = os.path.realpath(path)
        folder = _metadata_folder(real)
        if folder and os.path.isfile(real) and _under(real, roots):
            names.add(_distribution(Path(folder)))
    return sorted(names)


def _distribution(folder: Path) -> str:
    for name in ("METADATA", "PKG-INFO"):
        if (folder / name).is_file():
            for line in (folder / name).read_text(errors="replace").splitlines():
                if line.startswith("Name:"):
                    return line.partition(":")[2].strip()
    return folder.name.split("-")[0]


def unused_modules(record: Record, app_path: Iterable[Path], keep: Iterable[str] = ()) -> tuple[str, ...]:
    """The fewest names that cover every module the frozen app could carry and the record never saw.

    Candidates are the standard library's modules and the submodules of every package the app used,
    found on disk (nothing is imported). Kept: whatever the record saw loaded (the interpreter's own
    start included), their parents, ``keep`` (what the frozen app's bootstrap needs), and the app's
    own folders, which are never trimmed.
    """
    seen = record.used() | record.started | set(keep)
    used = seen | {".".join(name.split(".")[:depth]) for name in seen for depth in range(1, name.count(".") + 1)}
    mine = [str(path) for path in app_path]
    unused = {name for name in sys.stdlib_module_names if name not in used}
    for name in sorted(used):
        origin = record.modules.get(name, "")
        if origin.endswith("__init__.py") and Path(origin).parent.is_dir() and not _under(origin, mine):
            unused |= _unused_below(name, Path(origin).parent, used)
    return tuple(sorted(unused))


def _unused_below(package: str, folder: Path, used: set[str]) -> set[str]:
    """Submodules of ``package`` (in ``folder``) that neither are used nor hold a used module."""
    found: set[str] = set()
    for entry in folder.iterdir():
        name = entry.name.split(".")[0]
        dotted = f"{package}.{name}"
        is_module = entry.suffix == ".py" or bool(_EXTENSION.search(entry.name))
        is_package = entry.is_dir() and (entry / "__init__.py").is_file()
        if name == "__init__" or not (is_module or is_package) or not name.isidentifier():
            continue
        if dotted not in used and not any(other.startswith(dotted + ".") for other in used):
            found.add(dotted)
        elif is_package and dotted not in found:
            found |= _unused_below(dotted, entry, used)
    return found

"""Run by the interpreter that will be frozen, in a fresh process: can it find what the settings name, and
what does the app speak?

Reads a JSON request on stdin and prints one result line, ``MARK`` then JSON, on stdout last (the app may
print too): the problems with the names the settings give, the app's interface (``wsgi`` or ``asgi``,
told from its callable) and the gunicorn worker that serves it. An app that cannot be imported gives
``error``, one line, and its traceback on stderr with the app's own frames only. Nothing of
pytest-scratchimage is imported: this file runs as a plain script, beside the user's code.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import inspect
import json
import os
import sys
import traceback
from typing import Any

MARK = "@@scratch-image-check@@"
# gunicorn's own workers by what they serve; a dotted class is judged by its base (see worker_interface)
ASGI_WORKERS = frozenset({"asgi"})
WSGI_WORKERS = frozenset({"sync", "gthread", "gevent", "gevent_wsgi", "gevent_pywsgi", "tornado"})
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def findable(name: str) -> bool:
    """A module or package of that name can be imported (its parents are imported to find it)."""
    if name in sys.modules:  # find_spec refuses modules loaded without a spec (lazy overlay modules)
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def worker_class(name: str) -> tuple[type | None, str | None]:
    """gunicorn's worker class ``name`` (a short name or a dotted path), or why it cannot be loaded."""
    from gunicorn.workers import SUPPORTED_WORKERS

    if "." not in name and name not in SUPPORTED_WORKERS:
        return (
            None,
            f"gunicorn has no worker of that name (it has auto, {', '.join(SUPPORTED_WORKERS)}); or give a dotted path",
        )
    path = str(SUPPORTED_WORKERS.get(name, name))
    module, _, attribute = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attribute), None
    except Exception as error:
        return None, f"{path} cannot be loaded ({type(error).__name__}: {error})"


def worker_interface(name: str, cls: type) -> str | None:
    """What a worker class serves: ``asgi``, ``wsgi``, or None when it cannot be told (a class of its own)."""
    if name in ASGI_WORKERS or cls.__module__.split(".")[0] in {"uvicorn", "uvicorn_worker"}:
        return "asgi"
    if name in WSGI_WORKERS:
        return "wsgi"
    bases = {f"{base.__module__}.{base.__qualname__}" for base in inspect.getmro(cls)}
    if "gunicorn.workers.gasgi.ASGIWorker" in bases:
        return "asgi"
    if bases & {"gunicorn.workers.sync.SyncWorker", "gunicorn.workers.gthread.ThreadWorker"}:
        return "wsgi"
    return None


def interface(app: object) -> str | None:
    """``asgi`` for an ASGI 3 callable (a coroutine function or ``__call__``, or three positional parameters:
    scope, receive, send), ``wsgi`` for two (environ, start_response), None when it cannot be told."""
    if inspect.iscoroutinefunction(app):
        return "asgi"
    if callable(app) and not inspect.isroutine(app) and inspect.iscoroutinefunction(type(app).__call__):
        return "asgi"  # Starlette, FastAPI, Litestar, Quart, Django's ASGIHandler, asgiref's adapters
    try:
        parameters = inspect.signature(app).parameters.values()  # type: ignore[arg-type]
    except (TypeError, ValueError):  # a builtin or compiled callable without a signature
        return None
    count = sum(1 for p in parameters if p.kind in _POSITIONAL)
    return {3: "asgi", 2: "wsgi"}.get(count)


def problems(request: dict[str, Any]) -> list[list[str]]:
    found: list[list[str]] = []
    for setting, names in request["modules"].items():
        why = "no module of that name can be imported (a typo, or not installed)"
        found += [[setting, name, why] for name in names if not findable(name)]
    for name in request["distributions"]:
        try:
            importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            found.append(["scratch_image_copy_metadata", name, "no distribution of that name is installed"])
    return found


def serving(chosen: str, app: object) -> tuple[str | None, str, str | None]:
    """The app's interface, the worker that serves it (``auto`` resolved), and why that worker cannot."""
    speaks = interface(app)
    name = ("asgi" if speaks == "asgi" else "sync") if chosen == "auto" else chosen
    cls, problem = worker_class(name)
    if cls is None:
        why = " (chosen for an ASGI app: gunicorn 24 or later has it)" if chosen == "auto" else ""
        return speaks, name, f"{problem}{why}"
    serves = worker_interface(name, cls)
    if speaks and serves and speaks != serves:
        fits = "asgi (or uvicorn_worker.UvicornWorker)" if speaks == "asgi" else "sync or gthread"
        problem = f"the app speaks {speaks.upper()} and this worker serves {serves.upper()} apps: set {fits}, or auto"
    return speaks, name, problem


def own_frames(error: BaseException, mine: list[str], most: int = 8) -> str:
    """The traceback from the first frame outside this file and the import machinery: the app's own.

    A deep one (an error raised in a library the app calls) keeps the frames of the app's folders (``mine``)
    and the innermost ones, ``most`` in all at least, and says how many it leaves out: the log's tail then
    still shows where the app's code was."""
    frames = traceback.extract_tb(error.__traceback__)
    machinery = (__file__, importlib.__file__)
    kept = [f for f in frames if f.filename not in machinery and not f.filename.startswith("<frozen importlib")]
    inner = len(kept) - max(1, most - sum(1 for f in kept if _within(f.filename, mine)))
    lines = ["Traceback (most recent call last):\n"] if kept else []
    left_out = 0
    for index, frame in enumerate(kept):
        if index < inner and not _within(frame.filename, mine):
            left_out += 1
            continue
        if left_out:
            lines.append(f"  [{left_out} frame{'s' * (left_out > 1)} of libraries left out]\n")
            left_out = 0
        lines += traceback.format_list([frame])
    return "".join(lines + traceback.format_exception_only(type(error), error))


def _within(filename: str, folders: list[str]) -> bool:
    return any(filename.startswith(folder.rstrip("/") + "/") for folder in folders)


def one_line(error: BaseException) -> str:
    """The exception as one line: its type and the first line of its message (the rest is in the log)."""
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    return text.splitlines()[0] if text else type(error).__name__


def load(request: dict[str, Any]) -> tuple[object, str | None]:
    """The app's callable (a factory called), or the one line that says why it cannot be had, phrased to
    follow the app line."""
    module_name, attribute = request["module"], request["attribute"]
    mine = [os.path.realpath(folder) for folder in request["path"]]
    cannot = f"cannot be imported from scratch_image_app_path {request['path']}"
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        missing = error.name if isinstance(error, ModuleNotFoundError) else None
        if missing is not None and (module_name == missing or module_name.startswith(missing + ".")):
            searched = ", ".join(f"{p} (no such folder)" if not os.path.isdir(p) else p for p in request["path"])
            searched = searched or "the rootdir"
            return None, f"{cannot}: no module {module_name!r} in {searched} (nor on the rest of sys.path)"
        print(own_frames(error, mine), file=sys.stderr, end="")  # the app's own failure, or a dependency missing
        return None, f"{cannot}: {one_line(error)}"
    if not hasattr(module, attribute):
        names = sorted(name for name in vars(module) if not name.startswith("_") and callable(vars(module)[name]))
        return (
            None,
            f"{cannot}: module {module_name!r} has no {attribute!r}; it has {', '.join(names[:12]) or 'no callable'}",
        )
    target = getattr(module, attribute)
    if not request["call"]:
        return target, None
    try:
        return target(), None
    except Exception as error:
        print(own_frames(error, mine), file=sys.stderr, end="")
        return None, f"imports, but {attribute}() raised {one_line(error)}"


def main() -> None:
    request = json.load(sys.stdin)
    sys.path[:0] = request["path"]
    result: dict[str, Any] = {"problems": problems(request), "error": None, "interface": None, "worker": None}
    app, result["error"] = load(request)
    if result["error"] is None:
        result["interface"], result["worker"], problem = serving(request["worker_class"], app)
        if problem:
            result["problems"].append(["scratch_image_worker_class", request["worker_class"], problem])
    sys.stdout.flush()
    print(f"\n{MARK}{json.dumps(result)}", flush=True)


if __name__ == "__main__":
    main()

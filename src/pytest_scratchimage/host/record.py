"""Run by the interpreter that will be frozen, on the host: serve the app as the image will, and record.

``python record.py REQUEST.json`` installs an audit hook (and a wrapper of ``os.stat``, for which Python
raises no audit event), makes the build's excludes unimportable and runs its runtime hooks, as the frozen
app will find them, then runs the generated launcher: gunicorn's arbiter and its forked worker each write
what they import, open, list and stat to ``rec-<pid>.tsv`` in the request's folder, one line per distinct
fact, with ``os.write`` so that nothing is lost when a worker ends with ``os._exit``. At exit each process
adds the modules it holds and ``sys.path``. Nothing of pytest-scratchimage is imported: this runs beside
the user's code, and only ``sys`` and ``os`` (loaded before it) are used before the hook is in place.

Line format: ``fact<TAB>phase<TAB>argument<TAB>detail``. Facts: ``started`` (a module the interpreter held
before this script), ``import`` (an import attempt), ``open`` (detail ``r`` or ``w``), ``list`` (a folder
listed, scanned or globbed), ``stat``, ``tls`` (a TLS connection: ``client HOST`` or ``server``), and at
exit ``module`` and ``nospec`` (detail: its file) and ``path``. The phase is ``startup``, ``boot`` (the
launcher: the app's import, gunicorn's arbiter) or ``worker`` (a forked worker: its start and the requests).
"""

from __future__ import annotations

import os
import sys

EVENTS = frozenset(
    {
        "import",  # the C import path: import statements, __import__ (not importlib.import_module)
        "open",  # raised before the open: failed opens too
        "os.listdir",
        "os.scandir",
        "glob.glob",
        "glob.glob/2",
        "os.stat",  # not an audit event: raised by the wrapper below (isdir, exists, is_file, getmtime)
    }
)
_state: dict[str, object] = {"fd": -1, "pid": 0, "phase": "startup", "folder": ".", "seen": set(), "busy": False}
_TLS = {"watched": False}


def _open_own_file() -> None:
    _state["pid"], _state["seen"], _state["busy"] = os.getpid(), set(), True
    try:
        path = os.path.join(str(_state["folder"]), f"rec-{os.getpid()}.tsv")
        _state["fd"] = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    finally:
        _state["busy"] = False


def _emit(fact: str, argument: str, detail: str = "") -> None:
    key = (fact, _state["phase"], argument, detail)
    seen = _state["seen"]
    assert isinstance(seen, set)
    if key in seen:
        return
    seen.add(key)
    clean = argument.replace("\t", " ").replace("\n", " ")
    line = f"{fact}\t{_state['phase']}\t{clean}\t{detail}\n"
    os.write(int(str(_state["fd"])), line.encode("utf-8", "surrogateescape"))


def _text(value: object) -> str | None:
    """A path as text; None for a file descriptor or anything else that is not a path."""
    if isinstance(value, str | bytes | os.PathLike):
        return os.fsdecode(value)
    return None


def _watch_tls() -> None:
    """Once ssl is loaded, note every TLS connection: each goes through ``SSLContext._wrap_socket`` (sockets)
    or ``_wrap_bio`` (asyncio, memory BIOs). Python raises no audit event for TLS."""
    context = getattr(sys.modules.get("ssl"), "SSLContext", None)
    if context is None or not hasattr(context, "_wrap_socket"):  # not yet defined, or the trim's stub
        return
    _TLS["watched"] = True
    for name, at in (("_wrap_socket", 1), ("_wrap_bio", 2)):  # where server_side is: (sock, server_side, …)
        real = getattr(context, name)

        def wrapper(self: object, *args: object, _real: object = real, _at: int = at, **kwargs: object) -> object:
            server = args[_at] if len(args) > _at else kwargs.get("server_side")
            host = args[_at + 1] if len(args) > _at + 1 else kwargs.get("server_hostname")
            _hook("tls", (f"client {host}" if not server else "server",))
            return _real(self, *args, **kwargs)  # type: ignore[operator]

        setattr(context, name, wrapper)


def _hook(event: str, arguments: tuple[object, ...]) -> None:
    if not _TLS["watched"] and not _state["busy"] and "ssl" in sys.modules:
        _watch_tls()
    if (event not in EVENTS and event != "tls") or _state["busy"]:
        return
    _state["busy"] = True
    try:
        if os.getpid() != _state["pid"]:  # a fork that register_at_fork did not see
            _open_own_file()
        if event in {"import", "tls"}:
            _emit(event, str(arguments[0]))
        elif event == "open":
            path, mode, flags = arguments
            text = _text(path)
            writes = isinstance(mode, str) and any(c in mode for c in "wax+")
            writes = writes or (isinstance(flags, int) and bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)))
            if text is not None:
                _emit("open", text, "w" if writes else "r")
        elif arguments and (text := _text(arguments[0])) is not None:
            _emit("list" if event != "os.stat" else "stat", text)
    except Exception:
        pass
    finally:
        _state["busy"] = False


def _wrap_stat() -> None:
    """``os.path.isdir`` and friends call ``os.stat``, which raises no audit event; the import system
    calls ``posix.stat`` itself, so the wrapper sees the app's own checks only."""
    for name in ("stat", "lstat", "access"):
        real = getattr(os, name)

        def wrapper(path: object, *args: object, _real: object = real, **kwargs: object) -> object:
            if not _state["busy"] and not isinstance(path, int):
                _hook("os.stat", (path,))
            return _real(path, *args, **kwargs)  # type: ignore[operator]

        wrapper.__name__ = name
        setattr(os, name, wrapper)
        for supported in (os.supports_dir_fd, os.supports_fd, os.supports_follow_symlinks, os.supports_effective_ids):
            if real in supported:
                supported.add(wrapper)  # shutil and pathlib check these sets


def _at_exit() -> None:
    """The modules this process holds, with their files, and its ``sys.path``."""
    _state["busy"] = True
    try:
        if os.getpid() != _state["pid"]:
            _open_own_file()
        for name, module in list(sys.modules.items()):
            spec = getattr(module, "__spec__", None)
            origin = getattr(module, "__file__", None) or getattr(spec, "origin", None) or ""
            _emit("module" if spec is not None else "nospec", name, str(origin))
        for entry in sys.path:
            _emit("path", entry)
    finally:
        _state["busy"] = False


class Excluded:
    """What the build's excludes make of a module: it is not there, as in the frozen app."""

    def __init__(self, names: list[str]) -> None:
        self.names = names

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if any(name == excluded or name.startswith(excluded + ".") for excluded in self.names):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


def _in_worker() -> None:
    _open_own_file()
    _state["phase"] = "worker"


def main() -> None:
    started = list(sys.modules)  # what the interpreter loaded before us: the frozen app has its own start
    _state["folder"] = os.path.dirname(os.path.abspath(sys.argv[1]))
    _open_own_file()
    for name in started:
        _emit("started", name)
    import json  # from here on, what is loaded counts as the app's: json is common, and harmless to ship

    with open(sys.argv[1]) as stream:
        request = json.load(stream)
    hooks, launcher = [], request["launcher"]
    for path in [*request["runtime_hooks"], launcher]:  # read before recording: they are not the app's files
        with open(path) as stream:
            hooks.append(compile(stream.read(), path, "exec"))
    os.register_at_fork(after_in_child=_in_worker)
    import atexit

    atexit.register(_at_exit)
    _wrap_stat()
    sys.addaudithook(_hook)
    sys.path[0:1] = request["path"]
    if request["excludes"]:
        sys.meta_path.insert(0, Excluded(request["excludes"]))
    for hook in hooks[:-1]:  # the frozen app runs them before the launcher, as __main__
        exec(hook, {"__name__": "__main__"})
    _state["phase"] = "boot"
    sys.argv = [launcher]
    try:
        exec(hooks[-1], {"__name__": "__main__", "__file__": launcher, "__builtins__": __builtins__})
    except Exception as error:  # the app's import failed: its traceback, without this file's frames
        import traceback

        frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename != __file__]
        sys.stderr.write("Traceback (most recent call last):\n" + "".join(traceback.format_list(frames)))
        sys.stderr.write("".join(traceback.format_exception_only(type(error), error)))
        sys.exit(1)


if __name__ == "__main__":
    main()

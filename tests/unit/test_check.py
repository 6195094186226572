"""host/check.py's pure parts, run as the plain script it is: an app's interface, a worker's, the app's frames."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pytest_scratchimage.checking import HOST, MARK, result_of

SCRIPT = str(HOST / "check.py")


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scratch_check", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = _load()


def wsgi(environ: Any, start_response: Any) -> list[bytes]:
    return []


async def asgi(scope: Any, receive: Any, send: Any) -> None:
    pass


def three(scope: Any, receive: Any, send: Any) -> None:  # an ASGI app written without async def
    pass


class AsyncCall:
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        pass


class WsgiCall:
    def __call__(self, environ: Any, start_response: Any) -> list[bytes]:
        return []


def one(request: Any) -> None:
    pass


@pytest.mark.parametrize(
    ("app", "kind"),
    [
        (wsgi, "wsgi"), (WsgiCall(), "wsgi"), (asgi, "asgi"), (AsyncCall(), "asgi"), (three, "asgi"),
        (one, None), (len, None), (object(), None),
    ],
)  # fmt: skip
def test_an_apps_interface(app: Callable[..., Any], kind: str | None) -> None:
    assert check.interface(app) == kind


def test_a_partial_of_an_async_function_is_asgi() -> None:
    import functools

    async def app(config: Any, scope: Any, receive: Any, send: Any) -> None:
        pass

    assert check.interface(functools.partial(app, {})) == "asgi"


@pytest.mark.parametrize(
    ("name", "kind"),
    [("sync", "wsgi"), ("gthread", "wsgi"), ("asgi", "asgi"), ("tornado", "wsgi")],
)
def test_gunicorns_own_workers(name: str, kind: str) -> None:
    assert check.worker_interface(name, object) == kind


def test_a_dotted_worker_is_judged_by_its_bases() -> None:
    from gunicorn.workers.gasgi import ASGIWorker
    from gunicorn.workers.sync import SyncWorker

    class Faster(SyncWorker):  # type: ignore[misc]
        pass

    class Evented(ASGIWorker):  # type: ignore[misc]
        pass

    assert check.worker_interface("my.Faster", Faster) == "wsgi"
    assert check.worker_interface("my.Evented", Evented) == "asgi"
    assert check.worker_interface("my.Own", object) is None
    uvicorn = type("UvicornWorker", (), {"__module__": "uvicorn_worker"})
    assert check.worker_interface("uvicorn_worker.UvicornWorker", uvicorn) == "asgi"


@pytest.mark.parametrize(
    ("chosen", "app", "served"),
    [("auto", wsgi, ("wsgi", "sync", None)), ("auto", asgi, ("asgi", "asgi", None)),
     ("auto", one, (None, "sync", None)), ("gthread", wsgi, ("wsgi", "gthread", None))],
)  # fmt: skip
def test_auto_serves_each_interface_with_its_worker(chosen: str, app: Any, served: tuple[Any, ...]) -> None:
    assert check.serving(chosen, app) == served


def test_a_worker_of_the_other_interface_is_a_problem() -> None:
    assert check.serving("asgi", wsgi)[2] == (
        "the app speaks WSGI and this worker serves ASGI apps: set sync or gthread, or auto"
    )
    assert check.serving("sync", asgi)[2] == (
        "the app speaks ASGI and this worker serves WSGI apps: set asgi (or uvicorn_worker.UvicornWorker), or auto"
    )


def test_the_frames_kept_are_the_apps() -> None:
    def apps_own() -> None:
        raise KeyError("DATABASE_URL")

    try:
        apps_own()
    except KeyError as error:
        text = check.own_frames(error, [])
    assert text.startswith("Traceback (most recent call last):\n")
    assert "in apps_own" in text
    assert text.endswith("KeyError: 'DATABASE_URL'\n")
    assert SCRIPT not in text


LIBRARY = """
def connect(depth):
    if depth:
        return connect(depth - 1)
    raise OSError("unable to open notes.db\\n(Background on this error at: https://example.org/e)")
"""


def test_a_deep_traceback_keeps_the_apps_frames_and_the_innermost() -> None:
    library: dict[str, Any] = {}
    exec(compile(LIBRARY, "/site-packages/dblib.py", "exec"), library)

    def create_app() -> None:
        library["connect"](12)

    try:
        create_app()
    except OSError as error:
        text = check.own_frames(error, [str(Path(__file__).parent)], most=4)
        line = check.one_line(error)
        whole = check.own_frames(error, [str(Path(__file__).parent)], most=20)
    assert text.count("in create_app") == 1
    assert "  [11 frames of libraries left out]\n" in text
    assert text.count('dblib.py", line 4, in connect') == 1
    assert text.count('dblib.py", line 5, in connect') == 1
    assert line == "OSError: unable to open notes.db"
    assert whole.count("dblib.py") == 13
    assert "left out" not in whole


def test_the_result_is_the_last_marked_line() -> None:
    printed = f'{MARK}{{"old": 1}}\nthe app printed {MARK[:5]}\n{MARK}{json.dumps({"error": None})}\n'
    assert result_of(printed) == {"error": None}
    assert result_of("no result at all\n") is None


def test_the_script_imports_nothing_of_the_plugin() -> None:
    with open(SCRIPT) as script:
        assert "pytest_scratchimage" not in script.read().split('"""', 2)[2]

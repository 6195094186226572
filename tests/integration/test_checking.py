"""The check on the host, with the interpreter that will be frozen: real apps of real frameworks, and bad
app lines that fail in one line with the app's own frames only (no engine needed)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pytest_scratchimage.checking import Checked, CheckRequest, check_on_host
from pytest_scratchimage.errors import ScratchImageError
from pytest_scratchimage.schema import parse_app

ROOT = Path(__file__).parents[2]
QUART = "from quart import Quart\n\napp = Quart(__name__)\n"
STARLETTE = "from starlette.applications import Starlette\n\napp = Starlette()\n"
DJANGO_ASGI = (
    "import os\n\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n"
    "from django.core.asgi import get_asgi_application\n\napplication = get_asgi_application()\n"
)
FALCON_ASGI = "import falcon.asgi\n\napp = falcon.asgi.App()\n"
FUNCTION = "async def app(scope, receive, send):\n    pass\n"


def check(app: str, *path: Path, worker: str = "auto") -> Checked:
    return check_on_host(CheckRequest(parse_app(app), path, worker, {}))


def module(tmp_path: Path, name: str, source: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / f"{name}.py").write_text(source)
    return tmp_path


@pytest.mark.parametrize(
    ("app", "folder"),
    [
        ("random_api:app", ROOT / "fixtures/app"),
        ("hello:create_app()", ROOT / "examples/flask"),
        ("mysite.wsgi:application", ROOT / "examples/django"),
        ("plain_wsgi:application", ROOT / "tests/apps"),
    ],
)
def test_a_wsgi_app_is_served_by_the_sync_worker(app: str, folder: Path) -> None:
    assert check(app, folder) == Checked("wsgi", "sync")


@pytest.mark.parametrize(
    ("app", "source"),
    [("notes:app", None), ("shelf:app", None), ("q:app", QUART), ("s:app", STARLETTE), ("f:app", FALCON_ASGI),
     ("fn:app", FUNCTION)],
)  # fmt: skip
def test_an_asgi_app_is_served_by_the_asgi_worker(tmp_path: Path, app: str, source: str | None) -> None:
    name = app.partition(":")[0]
    folders = {"notes": ROOT / "examples/fastapi", "shelf": ROOT / "examples/litestar"}
    folder = folders[name] if source is None else module(tmp_path, name, source)
    assert check(app, folder) == Checked("asgi", "asgi")


def test_django_s_asgi_handler_is_asgi(tmp_path: Path) -> None:
    assert check("myasgi:application", module(tmp_path, "myasgi", DJANGO_ASGI), ROOT / "examples/django") == Checked(
        "asgi", "asgi"
    )


def test_a_worker_set_by_hand_is_kept(tmp_path: Path) -> None:
    assert check("random_api:app", ROOT / "fixtures/app", worker="gthread") == Checked("wsgi", "gthread")


@pytest.mark.parametrize(
    ("app", "folder", "worker", "message"),
    [
        (
            "random_api:app", ROOT / "fixtures/app", "asgi",
            "check: scratch_image_worker_class = 'asgi': the app speaks WSGI and this worker serves ASGI apps: "
            "set sync or gthread, or auto by ",
        ),
        (
            "notes:app", ROOT / "examples/fastapi", "sync",
            "check: scratch_image_worker_class = 'sync': the app speaks ASGI and this worker serves WSGI apps: "
            "set asgi (or uvicorn_worker.UvicornWorker), or auto by ",
        ),
    ],
)  # fmt: skip
def test_an_app_under_a_worker_of_the_other_interface_is_one_line(
    app: str, folder: Path, worker: str, message: str
) -> None:
    with pytest.raises(ScratchImageError) as failure:
        check(app, folder, worker=worker)
    assert failure.value.headline.startswith(message)
    assert failure.value.headline.endswith("; fix or remove it")


def test_an_attribute_the_module_lacks_is_one_line_that_lists_what_it_has() -> None:
    with pytest.raises(ScratchImageError) as failure:
        check("random_api:nope", ROOT / "fixtures/app")
    assert failure.value.headline == (
        f"check: scratch_image_app = 'random_api:nope' cannot be imported from scratch_image_app_path "
        f"['{ROOT / 'fixtures/app'}']: module 'random_api' has no 'nope'; it has Health, RandomNumber, app, wait_time"
    )
    assert failure.value.log == ""


def test_a_missing_module_says_where_it_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(ScratchImageError) as failure:
        check("no_such_module:app", tmp_path)
    assert failure.value.headline.endswith(f": no module 'no_such_module' in {tmp_path} (nor on the rest of sys.path)")


def test_an_app_path_that_is_no_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(ScratchImageError) as failure:
        check("hello:app", tmp_path / "srcc")
    assert failure.value.headline.endswith(
        f": no module 'hello' in {tmp_path / 'srcc'} (no such folder) (nor on the rest of sys.path)"
    )


def test_an_app_that_raises_at_import_shows_its_own_frames_only(tmp_path: Path) -> None:
    folder = module(tmp_path, "shaky", "import json\n\n\ndef boot():\n    raise KeyError('DATABASE_URL')\n\n\nboot()\n")
    with pytest.raises(ScratchImageError) as failure:
        check("shaky:app", folder)
    assert failure.value.headline.endswith(": KeyError: 'DATABASE_URL'; its traceback follows")
    assert 'shaky.py", line 8, in <module>' in failure.value.log
    assert 'shaky.py", line 5, in boot' in failure.value.log
    assert "pytest_scratchimage" not in failure.value.log
    assert "importlib" not in failure.value.log


def test_a_missing_dependency_of_the_app_is_its_own_traceback(tmp_path: Path) -> None:
    with pytest.raises(ScratchImageError) as failure:
        check("needy:app", module(tmp_path, "needy", "import no_such_dependency\n"))
    assert failure.value.headline.endswith(
        ": ModuleNotFoundError: No module named 'no_such_dependency'; its traceback follows"
    )
    assert 'needy.py", line 1, in <module>' in failure.value.log
    assert "pytest_scratchimage" not in failure.value.log


def test_a_factory_that_raises_names_it(tmp_path: Path) -> None:
    folder = module(tmp_path, "fact", "def make():\n    raise RuntimeError('no config')\n")
    with pytest.raises(ScratchImageError) as failure:
        check("fact:make()", folder)
    assert failure.value.headline == (
        "check: scratch_image_app = 'fact:make()' imports, but make() raised RuntimeError: no config; "
        "its traceback follows"
    )
    assert "pytest_scratchimage" not in failure.value.log


DEEP_LIBRARY = """
def connect(url, depth=20):
    if depth:
        return connect(url, depth - 1)
    raise OSError(f"unable to open {url}\\n(Background on this error at: https://example.org/e)")
"""


def test_an_error_deep_in_a_library_keeps_the_apps_own_frame_in_the_tail(tmp_path: Path) -> None:
    """The log's tail is 30 lines: the app's frame must not be left above 20 of a library's."""
    library, app = tmp_path / "site", tmp_path / "app"
    module(library, "dblib", DEEP_LIBRARY)
    module(app, "notes", "import dblib\n\n\ndef create_app():\n    return dblib.connect('/data/notes.db')\n")
    request = CheckRequest(parse_app("notes:create_app()"), (app,), "auto", {}, env={"PYTHONPATH": str(library)})
    with pytest.raises(ScratchImageError) as failure:
        check_on_host(request)
    assert failure.value.headline == (
        "check: scratch_image_app = 'notes:create_app()' imports, but create_app() raised OSError: unable to open "
        "/data/notes.db; its traceback follows"
    )
    tail = failure.value.log.splitlines()[-30:]
    assert any('notes.py", line 5, in create_app' in line for line in tail)
    assert "  [14 frames of libraries left out]" in tail
    assert sum('dblib.py", line 4, in connect' in line for line in tail) == 6


def test_what_the_app_writes_at_import_lands_outside_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    folder = module(
        project,
        "writer",
        "open('state.txt', 'w').write('started')\n\n\ndef app(environ, start_response):\n    return []\n",
    )
    monkeypatch.chdir(project)
    assert check("writer:app", folder) == Checked("wsgi", "sync")
    assert sorted(path.name for path in project.iterdir()) == ["writer.py"]


def test_an_app_that_prints_at_import_is_still_understood(tmp_path: Path) -> None:
    source = "print('{\"banner\": 1}')\n\n\ndef app(environ, start_response):\n    return []\n"
    assert check("noisy:app", module(tmp_path, "noisy", source)) == Checked("wsgi", "sync")


def test_an_app_that_exits_at_import_says_so(tmp_path: Path) -> None:
    with pytest.raises(ScratchImageError) as failure:
        check("quits:app", module(tmp_path, "quits", "import os\n\nos._exit(4)\n"))
    assert failure.value.headline == (
        "check: importing scratch_image_app = 'quits:app' ended the process with code 4; its output follows"
    )


FACTORY_OF_THE_ENV = (  # an app that connects to its database when it is made, as most do
    "import os, psycopg\n\n"
    "def create_app():\n"
    "    psycopg.connect(f\"postgresql://app@127.0.0.1:{os.environ['DB_PORT']}/app\", connect_timeout=2).close()\n"
    "    return lambda environ, start_response: []\n"
)


def test_a_factory_is_made_with_the_records_environment(tmp_path: Path) -> None:
    request = CheckRequest(parse_app("svc:create_app()"), (module(tmp_path, "svc", FACTORY_OF_THE_ENV),), "auto", {})
    with pytest.raises(ScratchImageError, match="create_app\\(\\) raised KeyError: 'DB_PORT'"):
        check_on_host(request)


def test_a_factory_that_finds_no_service_says_where_the_record_looked(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = str(closed.getsockname()[1])  # bound, never listening: refused
        request = CheckRequest(
            parse_app("svc:create_app()"),
            (module(tmp_path, "svc", FACTORY_OF_THE_ENV),),
            "auto",
            {},
            env={"DB_PORT": port},
        )
        with pytest.raises(ScratchImageError) as failure:
            check_on_host(request)
    assert f'connection to server at "127.0.0.1", port {port} failed: Connection refused' in failure.value.headline
    assert failure.value.headline.endswith(
        f"; to fix: nothing answers at 127.0.0.1:{port} on this host, where the record runs the app: start the service "
        "before the tests, or give the record its address in scratch_image_record_env; its traceback follows"
    )

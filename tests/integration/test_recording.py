"""Recording real apps on the host, with real gunicorn: what the record learns, and failures that teach.

No engine is needed: the recording runs before anything reaches Docker.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_scratchimage.errors import ScratchImageError
from pytest_scratchimage.launcher import Launcher
from pytest_scratchimage.record import needs
from pytest_scratchimage.recording import Recording, record
from pytest_scratchimage.wsgi import AppSpec

APP = """
import importlib, json, os, pathlib

plugin = importlib.import_module(os.environ.get("PLUGIN_MODULE", "colorsys"))
HERE = pathlib.Path(__file__).parent
STATIC = HERE / "static"
assert STATIC.is_dir()  # looked at once, at start; served from later


def create():
    if os.environ.get("FAIL_AT_START"):
        raise RuntimeError("the factory refuses: FAIL_AT_START is set")
    return app


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/boom":
        raise ValueError("boom on purpose")
    if path == "/tls":  # a TLS client's first step, in memory: no network
        import ssl

        ssl.create_default_context().wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="example.org")
    if path == "/page":
        body = (HERE / "templates" / "page.html").read_bytes()
    elif path.startswith("/static/"):
        body = (STATIC / path.removeprefix("/static/")).read_bytes()
    else:
        body = json.dumps({"plugin": plugin.__name__}).encode()
    start_response("200 OK", [("Content-Type", "text/html" if path == "/page" else "text/plain")])
    return [body]
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A small app that imports a module by name, reads a template and serves a static folder."""
    folder = tmp_path / "app"
    (folder / "templates").mkdir(parents=True)
    (folder / "static").mkdir()
    (folder / "shop.py").write_text(APP)
    (folder / "templates" / "page.html").write_text('<link href="/static/site.css"><p>page</p>')
    (folder / "static" / "site.css").write_text("p {}")
    (folder / "static" / "unasked.js").write_text("")
    return folder


def recording(app: Path, tmp_path: Path, probes: tuple[str, ...] = (), **env: str) -> Recording:
    launcher = tmp_path / "launcher.py"
    launcher.write_text(Launcher(AppSpec("shop", "create", call=True), 8000, 2).render())
    paths = tuple(("GET", path) for path in probes)
    return Recording(launcher, (app,), "/", paths, env=env, timeout=20)


def tree(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def test_a_recording_learns_modules_by_name_templates_and_folders(app: Path, tmp_path: Path) -> None:
    before = tree(app)
    recorded = record(recording(app, tmp_path, ("/page",)), tmp_path / "record")
    learnt = needs(recorded, [app])
    assert "colorsys" in learnt.hidden_imports
    assert (str(app / "static"), "static") in learnt.datas
    assert (str(app / "templates" / "page.html"), "templates") in learnt.datas
    statuses = {(probe.method, probe.path): probe.status for probe in recorded.probes}
    assert statuses[("GET", "/page")] == 200
    assert statuses[("GET", "/static/site.css")] == 200  # a link of the page, followed
    assert statuses[("GET", "/__scratch_image_record_404__")] == 200  # this app answers every path
    assert statuses[("RAW", "NOT A REQUEST")] == 400
    assert statuses[("WS", "/")] == 200  # a WSGI worker answers the handshake as a plain GET
    assert tree(app) == before  # nothing written into the app's folder, bytecode included
    assert recorded.tls == frozenset()  # gunicorn loads ssl; no run opened TLS: the advisor offers the trim


def test_a_recording_notes_every_tls_connection_the_app_opens(app: Path, tmp_path: Path) -> None:
    recorded = record(recording(app, tmp_path, ("/tls",)), tmp_path / "record")
    assert recorded.tls == frozenset({"client example.org"})


def test_an_app_that_dies_at_start_names_the_stage_and_shows_its_traceback(app: Path, tmp_path: Path) -> None:
    with pytest.raises(ScratchImageError) as failure:
        record(recording(app, tmp_path, FAIL_AT_START="1"), tmp_path / "record")
    assert failure.value.headline.startswith("record: the app exited with code ")
    assert "on the host before answering /; its log follows" in failure.value.headline
    assert "RuntimeError: the factory refuses: FAIL_AT_START is set" in failure.value.log


def test_a_module_that_is_missing_on_the_host_too_is_the_apps_own_failure(app: Path, tmp_path: Path) -> None:
    with pytest.raises(ScratchImageError) as failure:
        record(recording(app, tmp_path, PLUGIN_MODULE="no_such_plugin"), tmp_path / "record")
    assert "hidden_imports" not in failure.value.headline  # no setting of the plugin's can fix that
    assert "ModuleNotFoundError: No module named 'no_such_plugin'" in failure.value.log


def test_a_probe_answering_500_is_one_line_naming_the_path(app: Path, tmp_path: Path) -> None:
    with pytest.raises(ScratchImageError) as failure:
        record(recording(app, tmp_path, ("/page", "/boom")), tmp_path / "record")
    assert failure.value.headline == (
        "record: GET /boom answered 500 on the host (scratch_image_probe_paths); the app's log follows"
    )
    assert "ValueError: boom on purpose" in failure.value.log


def test_an_asgi_app_is_recorded_under_the_asgi_worker_websocket_protocol_included(tmp_path: Path) -> None:
    launcher = tmp_path / "launcher.py"
    launcher.write_text(Launcher(AppSpec("notes", "app"), 8000, 1, "asgi").render())
    folder = Path(__file__).parents[2] / "examples" / "fastapi"
    recorded = record(Recording(launcher, (folder,), "/health", timeout=20), tmp_path / "record")
    statuses = {(probe.method, probe.path): probe.status for probe in recorded.probes}
    assert statuses[("GET", "/health")] == 200
    assert statuses[("WS", "/health")] == 403  # no WebSocket route there: the app refuses the handshake
    assert {"gunicorn.workers.gasgi", "gunicorn.asgi.websocket", "gunicorn.asgi.lifespan"} <= recorded.used()


LANDING = """
import os, pathlib

HERE = pathlib.Path(__file__).parent


def app(environ, start_response):
    if environ["PATH_INFO"] == "/":
        if os.environ.get("ROOT_FAILS"):
            raise ValueError("no landing page today")
        body, kind = (HERE / "templates" / "index.html").read_bytes(), "text/html"
    else:
        body, kind = b"ok", "text/plain"
    start_response("200 OK", [("Content-Type", kind)])
    return [body]
"""


def landing(tmp_path: Path, **env: str) -> tuple[Path, Recording]:
    folder = tmp_path / "app"
    (folder / "templates").mkdir(parents=True)
    (folder / "landing.py").write_text(LANDING)
    (folder / "templates" / "index.html").write_text('<p>landing</p><a href="/delay/10">slow</a>')
    launcher = tmp_path / "launcher.py"
    launcher.write_text(Launcher(AppSpec("landing", "app"), 8000, 1).render())
    return folder, Recording(launcher, (folder,), "/health", env=env, timeout=20)


def test_the_root_page_is_recorded_whatever_the_health_path(tmp_path: Path) -> None:
    folder, asked = landing(tmp_path)
    recorded = record(asked, tmp_path / "record")
    statuses = {(probe.method, probe.path): probe.status for probe in recorded.probes}
    assert statuses[("GET", "/")] == 200
    assert ("GET", "/delay/10") not in statuses  # the root page is asked, its links are not followed
    assert (str(folder / "templates" / "index.html"), "templates") in needs(recorded, [folder]).datas


def test_a_root_page_that_fails_fails_no_record(tmp_path: Path) -> None:
    _, asked = landing(tmp_path, ROOT_FAILS="1")
    recorded = record(asked, tmp_path / "record")
    statuses = {(probe.method, probe.path): probe.status for probe in recorded.probes}
    assert statuses[("GET", "/")] == 500
    assert statuses[("GET", "/health")] == 200


REDIRECTING = """
import os, pathlib

HERE = pathlib.Path(__file__).parent
PAGE = b'<html><link href="style.css"><script>function go(q) { updateURL({ q: q }); }</script></html>'


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/die":
        os._exit(3)  # the worker dies mid-request: no answer at all
    if path == "/ui":  # as Starlette answers a path without its slash
        start_response("307 Temporary Redirect", [("Location", "http://" + environ["HTTP_HOST"] + "/ui/")])
        return [b""]
    if path == "/ui/":
        body, kind = PAGE, "text/html"
    elif path == "/ui/style.css":
        body, kind = (HERE / "assets" / "style.css").read_bytes(), "text/css"
    else:
        body, kind = b"ok", "text/plain"
    start_response("200 OK", [("Content-Type", kind)])
    return [body]
"""


def redirecting(tmp_path: Path, *probes: str) -> tuple[Path, Recording]:
    folder = tmp_path / "app"
    (folder / "assets").mkdir(parents=True)
    (folder / "ui_app.py").write_text(REDIRECTING)
    (folder / "assets" / "style.css").write_text("p {}")
    launcher = tmp_path / "launcher.py"
    launcher.write_text(Launcher(AppSpec("ui_app", "app"), 8000, 1).render())
    return folder, Recording(launcher, (folder,), "/health", tuple(("GET", p) for p in probes), timeout=20)


def test_a_redirect_is_followed_and_a_scripts_text_is_no_link(tmp_path: Path) -> None:
    folder, asked = redirecting(tmp_path, "/ui")
    recorded = record(asked, tmp_path / "record")
    statuses = {(probe.method, probe.path): probe.status for probe in recorded.probes}
    assert (statuses[("GET", "/ui")], statuses[("GET", "/ui/")], statuses[("GET", "/ui/style.css")]) == (307, 200, 200)
    assert not [path for _, path in statuses if "{" in path or "updateURL" in path]
    assert str(folder / "assets" / "style.css") in {source for source, _ in needs(recorded, [folder]).datas}


def test_a_probe_with_no_answer_at_all_is_one_line_naming_it(tmp_path: Path) -> None:
    _, asked = redirecting(tmp_path, "/die")
    with pytest.raises(ScratchImageError) as failure:
        record(asked, tmp_path / "record")
    assert failure.value.headline.startswith("record: GET /die got no HTTP answer from the app on the host (")
    assert failure.value.headline.endswith("); the app's log follows")

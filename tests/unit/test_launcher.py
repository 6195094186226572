"""The launcher script: valid Python that imports the app literally, so that PyInstaller finds it."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_scratchimage.launcher import GUNICORN_HIDDEN_IMPORTS, Launcher
from pytest_scratchimage.wsgi import AppSpec


def _options(source: str) -> object:
    """The literal value of the script's ``OPTIONS``."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["OPTIONS"]:
            return ast.literal_eval(node.value)
    raise AssertionError("no OPTIONS in the launcher")


@pytest.mark.parametrize("app", [AppSpec("random_api", "app"), AppSpec("my.pkg.wsgi", "create", call=True)], ids=str)
def test_render_is_valid_python(app: AppSpec) -> None:
    compile(Launcher(app, port=8000, workers=2).render(), "launcher.py", "exec")


def test_render_imports_the_app_literally() -> None:
    source = Launcher(AppSpec("random_api", "app"), port=8000, workers=2).render()
    assert "from random_api import app as _target\n" in source
    assert "return _target\n" in source
    assert "importlib" not in source


def test_render_calls_a_factory() -> None:
    source = Launcher(AppSpec("myproject.factory", "create_app", call=True), port=8000, workers=2).render()
    assert "from myproject.factory import create_app as _target\n" in source
    assert "return _target()\n" in source


def test_options_bind_all_interfaces_and_disable_the_control_socket() -> None:
    source = Launcher(AppSpec("random_api", "app"), port=8123, workers=3).render()
    assert _options(source) == {
        "bind": "0.0.0.0:8123",
        "workers": 3,
        "worker_class": "sync",
        "worker_tmp_dir": "/tmp",
        "control_socket_disable": True,
        "errorlog": "-",
    }


def test_the_script_runs_the_application_when_main() -> None:
    tree = ast.parse(Launcher(AppSpec("random_api", "app"), port=8000, workers=2).render())
    main = [node for node in tree.body if isinstance(node, ast.If)]
    assert [ast.unparse(node.test) for node in main] == ["__name__ == '__main__'"]
    assert ast.unparse(main[0].body[0]) == "ScratchApplication().run()"


@pytest.mark.parametrize(
    ("worker_class", "module"),
    [
        ("sync", "gunicorn.workers.sync"),
        ("gthread", "gunicorn.workers.gthread"),
        ("myapp.workers.Fast", "myapp.workers"),
    ],
)
def test_the_worker_class_is_a_hidden_import(worker_class: str, module: str) -> None:
    launcher = Launcher(AppSpec("random_api", "app"), port=8000, workers=2, worker_class=worker_class)
    assert launcher.hidden_imports() == (module,)
    assert _options(launcher.render()) == launcher.options()


def test_an_unknown_worker_name_adds_no_hidden_import_and_a_launcher_is_a_value() -> None:
    launcher = Launcher(AppSpec("random_api", "app"), port=8000, workers=2, worker_class="gthred")
    assert launcher.hidden_imports() == ()
    assert hash(launcher) == hash(Launcher(AppSpec("random_api", "app"), port=8000, workers=2, worker_class="gthred"))
    with pytest.raises(AttributeError):
        launcher.port = 1  # type: ignore[misc]


def test_the_gunicorn_hidden_imports_are_what_gunicorn_loads_by_name_by_default() -> None:
    from gunicorn.config import Config
    from gunicorn.workers import SUPPORTED_WORKERS

    config = Config()
    loaded_by_name = {config.logger_class.__module__, SUPPORTED_WORKERS[config.worker_class_str].rpartition(".")[0]}
    assert set(GUNICORN_HIDDEN_IMPORTS) == loaded_by_name


def test_the_imports_run_without_the_collector_and_what_they_made_is_frozen() -> None:
    statements = [ast.unparse(node) for node in ast.parse(Launcher(AppSpec("api", "app"), 8000, 2).render()).body]
    imports = [i for i, line in enumerate(statements) if line.startswith("from ")]
    assert statements.index("gc.disable()") < imports[0]
    assert statements[imports[-1] + 1 : imports[-1] + 3] == ["gc.enable()", "gc.freeze()"]
    assert statements[imports[-1]] == "from api import app as _target"


TINY_APP = """\
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""

# gunicorn logs "Booting worker" in the worker between its fork and its own signal handlers: a logger that
# sleeps there holds the worker in the moment that a stop from the arbiter has to survive.
SLOW_BOOT = """\
import time

from gunicorn.glogging import Logger


class SlowBoot(Logger):
    def info(self, msg, *args, **kwargs):
        super().info(msg, *args, **kwargs)
        if msg.startswith("Booting worker"):
            time.sleep(1)
"""


def _launcher_in(folder: Path, app: str = TINY_APP) -> None:
    """``serve.py``, the launcher of ``tiny:app``, beside the app's module."""
    (folder / "tiny.py").write_text(app)
    (folder / "serve.py").write_text(Launcher(AppSpec("tiny", "app"), port=8000, workers=1).render())


def _serve(folder: Path) -> tuple[subprocess.Popen[bytes], Path]:
    _launcher_in(folder)
    (folder / "slowboot.py").write_text(SLOW_BOOT)
    arguments = "--bind 127.0.0.1:0 --logger-class slowboot.SlowBoot --graceful-timeout 5 --worker-tmp-dir ."
    environment = os.environ | {"GUNICORN_CMD_ARGS": arguments, "PYTHONPATH": str(folder)}
    log = folder / "gunicorn.log"
    with log.open("wb") as sink:
        server = subprocess.Popen([sys.executable, "serve.py"], cwd=folder, env=environment, stdout=sink, stderr=sink)
    return server, log


def _wait_for(log: Path, text: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while text not in log.read_text(errors="replace"):
        assert server.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, log.read_text(errors="replace")
        time.sleep(0.01)


def test_a_stop_that_reaches_a_worker_before_its_own_handlers_still_stops_it(tmp_path: Path) -> None:
    server, log = _serve(tmp_path)
    try:
        _wait_for(log, "Booting worker", server)
        server.send_signal(signal.SIGTERM)  # the arbiter passes it on while the worker is still booting
        code = server.wait(timeout=30)
    finally:
        server.kill()
    shown = log.read_text(errors="replace")
    # lost, the worker would serve on until the arbiter's graceful timeout ran out and it sent SIGKILL
    assert "SIGKILL" not in shown, shown
    assert "Worker exiting" in shown, shown
    assert code == 0, shown


def test_a_fork_of_the_apps_own_keeps_its_signals_as_they_were(tmp_path: Path) -> None:
    _launcher_in(tmp_path)
    child = (
        "import os, signal, serve\n"
        "before = [signal.getsignal(s) for s in serve._STOPS]\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os._exit(0 if [signal.getsignal(s) for s in serve._STOPS] == before else 3)\n"
        "print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))\n"
    )
    shown = subprocess.run([sys.executable, "-c", child], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert shown.stdout == "0\n"


def test_a_stop_while_the_app_is_imported_ends_the_start_cleanly(tmp_path: Path) -> None:
    slow_import = 'import sys, time\nprint("importing", flush=True)\ntime.sleep(30)\n' + TINY_APP
    _launcher_in(tmp_path, slow_import)
    with subprocess.Popen([sys.executable, "serve.py"], cwd=tmp_path, stdout=subprocess.PIPE) as server:
        try:
            assert server.stdout is not None
            assert server.stdout.readline() == b"importing\n"
            server.send_signal(signal.SIGTERM)
            assert server.wait(timeout=10) == 0  # not -15, which StaticX's bootloader reports as "unknown reason"
        finally:
            server.kill()

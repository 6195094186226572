"""The launcher script: valid Python that imports the app literally, so that PyInstaller finds it."""

from __future__ import annotations

import ast

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
    assert statements[1:3] == ["import gc", "gc.disable()"]
    assert statements[imports[-1] + 1 : imports[-1] + 3] == ["gc.enable()", "gc.freeze()"]
    assert statements[imports[-1]] == "from api import app as _target"

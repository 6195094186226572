"""The optimisation level, learnt by recording real apps on the host under real gunicorn (no engine needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_scratchimage.launcher import Launcher
from pytest_scratchimage.optimize import learn
from pytest_scratchimage.recording import AppFailed, Recording
from pytest_scratchimage.wsgi import AppSpec

APPS = Path(__file__).parents[1] / "apps"
# Answers 404 once its docstring is gone: it works under -OO, yet not as it does without it.
ROUTED = '''
def application(environ, start_response):
    """The docstring is the route table: /hello."""
    known = (application.__doc__ or "").rstrip(".").split(": ")[-1:]
    status = "200 OK" if environ["PATH_INFO"] in known else "404 Not Found"
    start_response(status, [("Content-Type", "text/plain")])
    return [status.encode()]
'''
# Refuses to start without asserts: -O and -OO both break it.
ASSERTING = """
if not __debug__:
    raise RuntimeError("this app validates its input with assert: run it without -O")


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


def recording(tmp_path: Path, module: str, folder: Path = APPS, health: str = "/") -> Recording:
    launcher = tmp_path / "launcher.py"
    launcher.write_text(Launcher(AppSpec(module, "application"), 8000, 1).render())
    return Recording(launcher, (folder,), health, timeout=20)


def app_folder(tmp_path: Path, name: str, source: str) -> Path:
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / f"{name}.py").write_text(source)
    return folder


def test_an_app_that_works_under_OO_is_frozen_at_2(tmp_path: Path) -> None:
    recorded, level = learn(recording(tmp_path, "plain_wsgi"), tmp_path / "record", None)
    assert (level.level, level.why) == (2, "")
    assert str(level) == "optimize 2"
    assert "json" in recorded.used()


def test_an_app_that_reads_its_docstring_at_import_is_frozen_at_1_and_says_why(tmp_path: Path) -> None:
    recorded, level = learn(recording(tmp_path, "docstring_app"), tmp_path / "record", None)
    assert level.level == 1
    assert level.why == (
        'the app reads docstrings at run time (TypeError: can only concatenate str (not "NoneType") to str)'
    )
    assert {probe.status for probe in recorded.probes if probe.path == "/"} == {200}  # the record at level 1


def test_an_app_that_answers_otherwise_under_OO_is_frozen_at_1(tmp_path: Path) -> None:
    folder = app_folder(tmp_path, "routed", ROUTED)
    _, level = learn(recording(tmp_path, "routed", folder, "/hello"), tmp_path / "record", None)
    assert level.level == 1
    assert level.why == "the app reads docstrings at run time (GET /hello answers 404 under -OO, 200 without -O)"


def test_an_app_that_needs_its_asserts_is_frozen_at_0(tmp_path: Path) -> None:
    folder = app_folder(tmp_path, "asserting", ASSERTING)
    _, level = learn(recording(tmp_path, "asserting", folder), tmp_path / "record", None)
    assert level.level == 0
    assert level.why == (
        "the app relies on asserts or __debug__ at run time "
        "(RuntimeError: this app validates its input with assert: run it without -O)"
    )


def test_a_level_set_that_the_app_cannot_run_at_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(AppFailed) as failure:
        learn(recording(tmp_path, "docstring_app"), tmp_path / "record", 2)
    assert failure.value.headline.startswith("record: the app exited with code ")
    assert "at scratch_image_optimize = 2, and works without -O: it reads docstrings at run time; " in str(
        failure.value
    )
    assert "set scratch_image_optimize = auto (or 0); its log follows" in failure.value.headline
    assert "TypeError: can only concatenate str" in failure.value.log
    assert "pytest_scratchimage" not in failure.value.log  # the app's frames, none of the plugin's


def test_a_level_set_is_used_as_it_is(tmp_path: Path) -> None:
    _, level = learn(recording(tmp_path, "docstring_app"), tmp_path / "record", 0)
    assert (level.level, level.why) == (0, "")


def test_an_app_that_fails_at_every_level_fails_as_itself(tmp_path: Path) -> None:
    folder = app_folder(tmp_path, "broken", "raise RuntimeError('broken at import, whatever the level')\n")
    with pytest.raises(AppFailed) as failure:
        learn(recording(tmp_path, "broken", folder), tmp_path / "record", None)
    assert "scratch_image_optimize" not in failure.value.headline
    assert "RuntimeError: broken at import, whatever the level" in failure.value.log

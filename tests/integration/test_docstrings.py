"""An app that builds a string from its docstring at import: frozen at the level it works at, and said why."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from pytest_scratchimage import ScratchImageError, ScratchSession

pytestmark = pytest.mark.integration

APPS = Path(__file__).parent.parent / "apps"
SETTINGS = {"app": "docstring_app:application", "app_path": str(APPS), "health_path": "/", "trim": []}


def test_auto_freezes_it_at_1_and_the_report_says_why(scratch_image_factory: Callable[..., ScratchSession]) -> None:
    session = scratch_image_factory(**SETTINGS)
    response = requests.get(session.container().url + "/", timeout=10)
    # The docstring is there, and the frozen interpreter runs at the level its modules were compiled at.
    assert response.text == "banner: Greets whoever asks, with a banner made of this very docstring. (optimize 1)\n"
    assert (
        "served   WSGI app under gunicorn's sync worker; optimize 1: the app reads docstrings at run time "
        '(TypeError: can only concatenate str (not "NoneType") to str)'
    ) in session.report().lines()


def test_level_2_set_by_hand_fails_before_freezing_naming_the_setting(
    scratch_image_factory: Callable[..., ScratchSession],
) -> None:
    with pytest.raises(ScratchImageError) as failure:
        scratch_image_factory(**SETTINGS, optimize=2).image()
    headline = failure.value.headline
    assert headline.startswith("record: the app exited with code 1 on the host before answering / ")
    assert "at scratch_image_optimize = 2, and works without -O: it reads docstrings at run time" in headline
    assert "set scratch_image_optimize = auto (or 0)" in headline

"""Failures that teach, on a real frozen app: a plain WSGI function that imports a module by name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from pytest_scratchimage import ScratchImageError, ScratchSession

pytestmark = pytest.mark.integration

APPS = Path(__file__).parent.parent / "apps"


@pytest.fixture(scope="module")
def plain_wsgi(scratch_image_factory: Callable[..., ScratchSession]) -> ScratchSession:
    """The plain WSGI app's image: one cold build, shared by the tests below."""
    return scratch_image_factory(app="plain_wsgi:application", app_path=str(APPS), health_path="/", trim=[])


def test_a_plain_wsgi_function_is_served(plain_wsgi: ScratchSession) -> None:
    response = requests.get(plain_wsgi.container().url + "/anything", timeout=10)
    assert response.text == "plain WSGI with json\n"


def test_a_module_imported_by_name_and_not_frozen_names_the_fix(plain_wsgi: ScratchSession) -> None:
    with pytest.raises(ScratchImageError) as failure:
        plain_wsgi.start({"PLUGIN_MODULE": "colorsys"})
    headline = failure.value.headline
    assert headline.startswith("run: the app exited with code ")
    assert "to fix: add colorsys to scratch_image_hidden_imports" in headline
    assert "ModuleNotFoundError: No module named 'colorsys'" in failure.value.log

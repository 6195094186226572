"""Failures that teach, on a real frozen app: a plain WSGI function that imports a module by name.

Its build is also the suite's one build with ``compression = zlib-only`` (StaticX stores its archive),
and its one build without the record of the app's run on the host (``record = false``).
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from pytest_scratchimage import ScratchImageError, ScratchSession
from pytest_scratchimage.staticize import staticx_archive

pytestmark = pytest.mark.integration

APPS = Path(__file__).parent.parent / "apps"


@pytest.fixture(scope="module")
def plain_wsgi(scratch_image_factory: Callable[..., ScratchSession]) -> ScratchSession:
    """The plain WSGI app's image: one cold build, shared by the tests below."""
    settings = {"app": "plain_wsgi:application", "app_path": str(APPS), "health_path": "/", "compression": "zlib-only"}
    return scratch_image_factory(**settings, trim=[], record=False)


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


def test_compression_zlib_only_stores_the_staticx_archive_and_weighs_it_exactly(plain_wsgi: ScratchSession) -> None:
    plain_wsgi.image()
    assert plain_wsgi.build is not None
    with tarfile.open(fileobj=io.BytesIO(staticx_archive(plain_wsgi.build.binary)), mode="r:") as tar:  # not xz
        libc = next(member.size for member in tar if member.name.startswith("libc.so"))
    weighed = {c.name: c.bytes for c in plain_wsgi.build.contributors if c.kind == "staticx"}
    assert weighed["libc"] == pytest.approx(libc, rel=0.01)  # what it stores, not an estimate


def test_without_a_record_nothing_is_learnt_and_the_unused_share_is_not_claimed(plain_wsgi: ScratchSession) -> None:
    lines = plain_wsgi.report().lines()
    assert "unused   not known: scratch_image_record is false" in lines
    assert plain_wsgi.build is not None
    assert "record" not in plain_wsgi.build.seconds

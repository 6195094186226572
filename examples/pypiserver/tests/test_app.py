"""pypiserver's image, probed over HTTP as it ships: its welcome page and the simple index."""

from __future__ import annotations

import requests

from pytest_scratchimage import ScratchContainer, ScratchImage, assert_no_shell, assert_runs_as


def test_the_welcome_page_is_rendered_from_its_template(scratch_http: requests.Session) -> None:
    page = scratch_http.get("/")
    assert page.status_code == 200
    assert "Welcome to pypiserver!" in page.text
    assert "pypiserver" in page.text


def test_the_simple_index_answers(scratch_http: requests.Session) -> None:
    index = scratch_http.get("/simple/")
    assert index.status_code == 200
    assert "Simple Index" in index.text
    assert scratch_http.get("/packages/").status_code == 200


def test_hardened_and_shell_less(scratch_image: ScratchImage, scratch_container: ScratchContainer) -> None:
    assert_runs_as(scratch_container, 65535)
    assert_no_shell(scratch_image, scratch_container)

"""The Litestar example's image, probed over HTTP as it ships."""

from __future__ import annotations

import pytest
import requests

from pytest_scratchimage import ScratchContainer, ScratchImage, assert_no_shell, assert_runs_as


def test_the_startup_hook_ran(scratch_http: requests.Session) -> None:
    assert scratch_http.get("/health").json() == {"status": "ok", "started": "yes"}


def test_a_book_and_a_missing_one(scratch_http: requests.Session) -> None:
    assert scratch_http.get("/books/1").json() == {"id": 1, "title": "The Mythical Man-Month"}
    assert scratch_http.get("/books/99").status_code == 404


def test_the_body_is_typed(scratch_http: requests.Session) -> None:
    assert scratch_http.post("/books/shout", json={"title": "dune"}).json() == {"title": "DUNE"}
    assert scratch_http.post("/books/shout", json={"name": "dune"}).status_code == 400


@pytest.mark.size_budget("9MB")
def test_small_hardened_and_shell_less(scratch_image: ScratchImage, scratch_container: ScratchContainer) -> None:
    assert_runs_as(scratch_container, 65535)
    assert_no_shell(scratch_image, scratch_container)

"""The Flask example's image, probed over HTTP as it ships."""

from __future__ import annotations

import pytest
import requests

from pytest_scratchimage import ScratchContainer, ScratchImage, assert_no_shell, assert_runs_as


def test_index_renders_the_template(scratch_http: requests.Session) -> None:
    response = scratch_http.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<h1>Hello from scratch!</h1>" in response.text


def test_greeting_is_json(scratch_http: requests.Session) -> None:
    response = scratch_http.get("/api/greeting/Ada")
    assert response.status_code == 200
    assert response.json() == {"greeting": "Hello, Ada!", "length": 3}


def test_unknown_path_is_a_404(scratch_http: requests.Session) -> None:
    assert scratch_http.get("/nowhere").status_code == 404


@pytest.mark.size_budget("9MB")
def test_small_hardened_and_shell_less(scratch_image: ScratchImage, scratch_container: ScratchContainer) -> None:
    assert_runs_as(scratch_container, 65535)
    assert_no_shell(scratch_image, scratch_container)

"""The Django example's image, probed over HTTP as it ships."""

from __future__ import annotations

import pytest
import requests

from pytest_scratchimage import ScratchContainer, ScratchImage, assert_no_shell, assert_runs_as


def test_index_renders_the_app_template(scratch_http: requests.Session) -> None:
    response = scratch_http.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<h1>Django in a FROM scratch image</h1>" in response.text


def test_sum_is_json(scratch_http: requests.Session) -> None:
    response = scratch_http.get("/api/sum/", params={"n": ["1", "2", "39"]})
    assert response.status_code == 200
    assert response.json() == {"numbers": [1, 2, 39], "sum": 42}


def test_a_bad_number_is_a_400(scratch_http: requests.Session) -> None:
    response = scratch_http.get("/api/sum/", params={"n": "x"})
    assert response.status_code == 400
    assert response.json() == {"error": "every n must be an integer"}


def test_unknown_path_is_a_404(scratch_http: requests.Session) -> None:
    assert scratch_http.get("/nowhere").status_code == 404


@pytest.mark.size_budget("17MB")
def test_small_hardened_and_shell_less(scratch_image: ScratchImage, scratch_container: ScratchContainer) -> None:
    assert_runs_as(scratch_container, 65535)
    assert_no_shell(scratch_image, scratch_container)

"""The Bottle example's image, probed over HTTP as it ships."""

from __future__ import annotations

import pytest
import requests

from pytest_scratchimage import ScratchContainer, ScratchImage, assert_no_shell, assert_runs_as


def test_a_note_is_stored_and_read_back(scratch_http: requests.Session) -> None:
    created = scratch_http.post("/notes", json={"text": " buy milk "})
    assert created.status_code == 201
    number = created.json()["id"]
    assert scratch_http.get(f"/notes/{number}").json() == {"id": number, "text": "buy milk"}


def test_an_empty_note_is_refused(scratch_http: requests.Session) -> None:
    response = scratch_http.post("/notes", json={"text": "  "})
    assert response.status_code == 400
    assert response.json() == {"error": "a note needs a non-empty 'text'"}


def test_a_missing_note_is_a_404(scratch_http: requests.Session) -> None:
    assert scratch_http.get("/notes/999").status_code == 404


@pytest.mark.size_budget("10MB")
def test_small_hardened_and_shell_less(scratch_image: ScratchImage, scratch_container: ScratchContainer) -> None:
    assert_runs_as(scratch_container, 65535)
    assert_no_shell(scratch_image, scratch_container)

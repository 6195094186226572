"""WsgiDAV's image, probed over HTTP as it ships: its directory browser and WebDAV."""

from __future__ import annotations

import uuid

import requests

from pytest_scratchimage import ScratchContainer, ScratchImage, assert_no_shell, assert_runs_as


def test_the_directory_browser_and_its_static_files_are_served(scratch_http: requests.Session) -> None:
    page = scratch_http.get("/")
    assert page.status_code == 200
    assert "WsgiDAV" in page.text
    for name in ("style.css", "script.js", "logo.png"):
        assert scratch_http.get(f"/:dir_browser/{name}").status_code == 200, name


def test_a_file_put_is_read_back_and_listed(scratch_http: requests.Session) -> None:
    name = f"note-{uuid.uuid4().hex[:8]}.txt"
    assert scratch_http.put(f"/{name}", data=b"written over WebDAV").status_code == 201
    assert scratch_http.get(f"/{name}").content == b"written over WebDAV"
    listing = scratch_http.request("PROPFIND", "/", headers={"Depth": "1"})
    assert listing.status_code == 207
    assert name in listing.text


def test_hardened_and_shell_less(scratch_image: ScratchImage, scratch_container: ScratchContainer) -> None:
    assert_runs_as(scratch_container, 65535)
    assert_no_shell(scratch_image, scratch_container)

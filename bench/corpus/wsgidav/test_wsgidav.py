"""WebDAV's own verbs against the image: PUT, PROPFIND, MOVE, DELETE."""

from __future__ import annotations

import uuid

import requests


def test_a_file_put_is_listed_moved_and_deleted(scratch_http: requests.Session) -> None:
    name = f"note-{uuid.uuid4().hex[:8]}.txt"
    assert scratch_http.put(f"/{name}", data=b"written over WebDAV").status_code == 201
    listing = scratch_http.request("PROPFIND", "/", headers={"Depth": "1"})
    assert listing.status_code == 207
    assert name in listing.text
    moved = scratch_http.request("MOVE", f"/{name}", headers={"Destination": f"/moved-{name}"})
    assert moved.status_code in (201, 204)
    assert scratch_http.get(f"/moved-{name}").content == b"written over WebDAV"
    assert scratch_http.delete(f"/moved-{name}").status_code == 204
    assert scratch_http.get(f"/moved-{name}").status_code == 404

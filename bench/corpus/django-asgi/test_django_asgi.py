from __future__ import annotations

import requests


def test_views_answer(scratch_http: requests.Session) -> None:
    assert scratch_http.get("/health").json() == {"status": "ok"}
    assert scratch_http.get("/hello/Ada").text == "Hello Ada!"
    assert scratch_http.get("/nowhere").status_code == 404

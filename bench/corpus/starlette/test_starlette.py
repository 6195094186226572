from __future__ import annotations

import requests


def test_routes_answer(scratch_http: requests.Session) -> None:
    assert scratch_http.get("/health").text == "ok"
    assert scratch_http.get("/hello/Ada").json() == {"hello": "Ada"}
    assert scratch_http.get("/nowhere").status_code == 404

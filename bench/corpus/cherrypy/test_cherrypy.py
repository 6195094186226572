from __future__ import annotations

import requests


def test_routes_answer(scratch_http: requests.Session) -> None:
    assert scratch_http.get("/health").json() == {"status": "ok"}
    assert scratch_http.get("/hello/Ada").text == "Hello Ada!"
    assert scratch_http.post("/echo", json={"a": [1, 2]}).json() == {"a": [1, 2]}

from __future__ import annotations

import requests


def test_typed_routes_answer(scratch_http: requests.Session) -> None:
    assert scratch_http.get("/health").json() == {"status": "ok"}
    assert scratch_http.get("/items/3", params={"q": "a"}).json() == {"id": 3, "q": "a"}
    assert scratch_http.get("/items/three").status_code == 422
    assert scratch_http.post("/notes", json={"text": "four"}).json() == {"length": 4}

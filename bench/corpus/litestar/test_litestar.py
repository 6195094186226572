from __future__ import annotations

import requests


def test_typed_routes_answer(scratch_http: requests.Session) -> None:
    assert scratch_http.get("/health").json() == {"status": "ok"}
    assert scratch_http.get("/books/7").json() == {"id": 7}
    assert scratch_http.post("/books", json={"title": "Dune"}).json() == {"added": "Dune"}

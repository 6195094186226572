from __future__ import annotations

import requests


def test_resources_answer(scratch_http: requests.Session) -> None:
    assert scratch_http.get("/health").json() == {"status": "ok"}
    assert scratch_http.get("/things/lamp").json() == {"thing": "lamp"}
    posted = scratch_http.post("/things/lamp", json={"on": True})
    assert posted.status_code == 201
    assert posted.json() == {"thing": "lamp", "got": {"on": True}}

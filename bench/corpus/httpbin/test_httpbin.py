from __future__ import annotations

import requests


def test_httpbin_echoes_what_it_is_sent(scratch_http: requests.Session) -> None:
    assert scratch_http.get("/get", params={"a": "1"}).json()["args"] == {"a": "1"}
    assert scratch_http.post("/post", json={"b": 2}).json()["json"] == {"b": 2}
    assert scratch_http.get("/status/418").status_code == 418
    assert scratch_http.get("/headers", headers={"X-Corpus": "yes"}).json()["headers"]["X-Corpus"] == "yes"
    assert scratch_http.get("/").status_code == 200

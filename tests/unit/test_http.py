"""The HTTP session: relative paths go to the container's URL; every request has a timeout."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from pytest_scratchimage.http import DEFAULT_TIMEOUT, BaseUrlSession


class EchoPath(BaseHTTPRequestHandler):
    """Answers every GET and POST with the path it was asked for."""

    def do_GET(self) -> None:
        body = self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output clean


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoPath)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.parametrize(
    ("base", "url", "path"),
    [
        ("", "/number", "/number"),
        ("", "number?n=3", "/number?n=3"),
        ("/", "/health", "/health"),
        ("/api/", "items", "/api/items"),
        ("/api/", "/items", "/items"),
    ],
)
def test_relative_paths_resolve_against_the_base_url(server_url: str, base: str, url: str, path: str) -> None:
    with BaseUrlSession(server_url + base) as session:
        response = session.get(url)
    assert response.status_code == 200
    assert response.text == path


def test_absolute_urls_are_kept(server_url: str) -> None:
    with BaseUrlSession("http://127.0.0.1:1") as session:
        assert session.get(f"{server_url}/elsewhere").text == "/elsewhere"


def test_every_method_resolves(server_url: str) -> None:
    with BaseUrlSession(server_url) as session:
        assert session.post("/submit", data=b"x").text == "/submit"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The keyword arguments that reach ``requests.Session.request``, which sends nothing."""
    calls: list[dict[str, Any]] = []

    def record(self: requests.Session, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        calls.append({"method": method, "url": url, **kwargs})
        return requests.Response()

    monkeypatch.setattr(requests.Session, "request", record)
    return calls


def test_requests_get_the_default_timeout(sent: list[dict[str, Any]]) -> None:
    BaseUrlSession("http://127.0.0.1:8000").get("/number")
    [call] = sent
    assert (call["method"], call["url"], call["timeout"]) == ("GET", "http://127.0.0.1:8000/number", DEFAULT_TIMEOUT)


def test_an_explicit_timeout_wins(sent: list[dict[str, Any]]) -> None:
    BaseUrlSession("http://127.0.0.1:8000").get("/slow", timeout=60)
    assert sent[0]["timeout"] == 60

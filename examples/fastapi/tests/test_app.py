"""The FastAPI example's image, probed over HTTP and a WebSocket as it ships."""

from __future__ import annotations

import base64
import os
import socket
from urllib.parse import urlsplit

import pytest
import requests

from pytest_scratchimage import ScratchContainer, ScratchImage, assert_no_shell, assert_runs_as


def test_the_lifespan_ran_at_start(scratch_http: requests.Session) -> None:
    assert scratch_http.get("/health").json() == {"status": "ok", "started": "yes"}


def test_a_note_and_a_missing_one(scratch_http: requests.Session) -> None:
    assert scratch_http.get("/notes/1").json() == {"id": 1, "text": "ship it FROM scratch"}
    assert scratch_http.get("/notes/99").status_code == 404


def test_pydantic_validates_the_body(scratch_http: requests.Session) -> None:
    assert scratch_http.post("/notes/count", json={"text": "one two three"}).json() == {"words": 3}
    assert scratch_http.post("/notes/count", json={"txt": 1}).status_code == 422


def test_a_websocket_echoes(scratch_container: ScratchContainer) -> None:
    url = urlsplit(scratch_container.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as connection:
        key = base64.b64encode(os.urandom(16)).decode()
        connection.sendall(
            f"GET /echo HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        assert connection.recv(4096).startswith(b"HTTP/1.1 101")
        text, mask = b"hi", os.urandom(4)  # a client's frame is masked (RFC 6455, 5.3)
        connection.sendall(bytes([0x81, 0x80 | len(text)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(text)))
        frame = connection.recv(4096)
        assert frame[0] == 0x81  # a final text frame
        assert frame[2 : 2 + frame[1]] == b"echo: hi"


@pytest.mark.size_budget("9MB")
def test_small_hardened_and_shell_less(scratch_image: ScratchImage, scratch_container: ScratchContainer) -> None:
    assert_runs_as(scratch_container, 65535)
    assert_no_shell(scratch_image, scratch_container)

"""A Redis server of the session's own, started before the image is built, as CI's services are.

Debian's ``redis-server``: no persistence, listening on 127.0.0.1:56379 alone (the ``REDIS_URL`` of
``pyproject.toml``), stopped by its PID at the end.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

PORT = 56379
URL = f"redis://127.0.0.1:{PORT}/0"


def answers() -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", PORT)) == 0


@pytest.fixture(scope="session", autouse=True)
def redis_url() -> Iterator[str]:
    """The server's URL; it is up before the first test, so before the plugin records the app."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.exit("examples/redis: no redis-server on PATH: apt-get install redis-server", returncode=4)
    if answers():
        pytest.exit(f"examples/redis: 127.0.0.1:{PORT} is taken; stop what listens there", returncode=4)
    options = ["--bind", "127.0.0.1", "--port", str(PORT), "--save", "", "--appendonly", "no", "--dir", "/tmp"]
    process = subprocess.Popen([server, *options], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not answers():
            assert process.poll() is None, "redis-server exited at start"
            assert time.monotonic() < deadline, "redis-server did not answer within 10 s"
            time.sleep(0.05)
        yield URL
    finally:
        process.terminate()
        process.wait(timeout=10)

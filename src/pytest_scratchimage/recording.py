"""Record by running: serve the app on the host as the image will, and note what it does.

Static analysis misses what an app imports by name, the data files it reads from its packages and the
package metadata it asks for. Before freezing, the generated launcher runs under gunicorn on the host,
with the interpreter that will be frozen and the build's excludes and runtime hooks in place
(``host/record.py`` records in each process); the health path, the probe paths and what their HTML and
CSS answers link to are requested, plus the root page (``/``, whatever it answers), a 404, a HEAD, a
malformed request (gunicorn's error path) and a WebSocket handshake (an ASGI worker's WebSocket
protocol, which it loads on the first one).
``record`` says what the record means for the freeze.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .diagnose import fixes, record_hints
from .errors import ScratchImageError
from .record import Probe, Record, read_facts

HOST = Path(__file__).parent / "host"
NOT_FOUND = "/__scratch_image_record_404__"
ROOT = "/"  # the page users and browsers ask first: httpbin renders its landing page from a template there
CRAWL_LIMIT = 100  # links followed from the probed pages' HTML and CSS
_LINK = re.compile(rb"""(?:src|href)\s*=\s*["']([^"'#]+)["']|url\(\s*["']?([^"')#]+)["']?\s*\)""", re.I)


@dataclass(frozen=True)
class Recording:
    """How to record: the launcher to run and what to ask it."""

    launcher: Path
    app_path: tuple[Path, ...]
    health_path: str
    probe_paths: tuple[tuple[str, str], ...] = ()  # (method, path)
    env: Mapping[str, str] = field(default_factory=dict)
    excludes: tuple[str, ...] = ()  # the build's: not importable, as in the frozen app
    runtime_hooks: tuple[Path, ...] = ()
    timeout: float = 30.0
    optimize: int = 0  # Python's -O level the app runs at, as it will be frozen


class AppFailed(ScratchImageError):
    """The app exited or answered 5xx on the host: its own failure (unlike a time-out), which a lower
    optimisation level may cure."""


# --- running the app --------------------------------------------------------------------------------


def record(recording: Recording, folder: Path) -> Record:
    """Serve the app on the host with ``recording``, ask it the probes, and return what it did.

    ``folder`` holds the facts, the app's log and its working directory; nothing is written elsewhere
    (bytecode included). A failure to start or a probe answering 5xx is a ``ScratchImageError``.
    """
    started = time.monotonic()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cwd").mkdir(exist_ok=True)
    request = {
        "path": [str(p) for p in recording.app_path],
        "excludes": list(recording.excludes),
        "runtime_hooks": [str(hook) for hook in recording.runtime_hooks],
        "launcher": str(recording.launcher),
    }
    (folder / "request.json").write_text(json.dumps(request))
    port = free_port()
    bind = f"--bind 127.0.0.1:{port} --workers 1"  # the launcher honours gunicorn's run-time arguments
    env = {**os.environ, **recording.env, "PYTHONDONTWRITEBYTECODE": "1"}
    env["GUNICORN_CMD_ARGS"] = f"{recording.env.get('GUNICORN_CMD_ARGS', '')} {bind}".strip()
    log = folder / "app.log"
    flags = ["-" + "O" * recording.optimize] if recording.optimize else []
    command = [sys.executable, *flags, str(HOST / "record.py"), str(folder / "request.json")]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=folder / "cwd", env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            probes = _ask(recording, f"127.0.0.1:{port}", process, log)
        finally:
            _stop(process)
    facts = read_facts(folder)
    return Record(**facts, probes=tuple(probes), seconds=round(time.monotonic() - started, 2))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ask(recording: Recording, address: str, process: subprocess.Popen[bytes], log: Path) -> list[Probe]:
    health = recording.health_path
    first = _wait(address, health, recording.timeout, process, log)
    probes, pages = [first[0]], {health: first[1]}
    for method, path in recording.probe_paths:
        probe, body = _request(address, method, path)
        _check(probe, process, log)
        probes.append(probe)
        pages[path] = body
    for link in _links(pages):
        probes.append(_request(address, "GET", link)[0])
    if ROOT not in pages:  # asked, not crawled: its links may be any endpoint (httpbin's /delay/10)
        probes.append(_request(address, "GET", ROOT)[0])
    probes += [_request(address, "GET", NOT_FOUND)[0], _request(address, "HEAD", health)[0]]
    probes += [_malformed(address), _upgrade(address, health)]
    return probes


def _wait(
    address: str, path: str, timeout: float, process: subprocess.Popen[bytes], log: Path
) -> tuple[Probe, tuple[str, bytes]]:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:  # on the host, with everything installed: the app's own failure
            text = log.read_text(errors="replace")
            raise AppFailed(
                f"record: the app exited with code {process.returncode} on the host before answering {path}"
                f"{fixes(record_hints(text))}; its log follows",
                text,
            )
        try:
            probe, body = _request(address, "GET", path, timeout=2.0)
        except OSError:
            if time.monotonic() > deadline:
                raise ScratchImageError(
                    f"record: no HTTP answer from the app on the host at http://{address}{path} within "
                    f"{timeout:g} s (scratch_image_ready_timeout); its log follows",
                    log.read_text(errors="replace"),
                ) from None
            time.sleep(0.05)
            continue
        _check(probe, process, log)
        return probe, body


def _check(probe: Probe, process: subprocess.Popen[bytes], log: Path) -> None:
    if probe.status >= 500:
        _stop(process)
        text = log.read_text(errors="replace")
        raise AppFailed(
            f"record: {probe.method} {probe.path} answered {probe.status} on the host (scratch_image_probe_paths)"
            f"{fixes(record_hints(text))}; the app's log follows",
            text,
        )


def _request(address: str, method: str, path: str, timeout: float = 10.0) -> tuple[Probe, tuple[str, bytes]]:
    """One request; the probe and, for a GET, the content type and body (to follow its links)."""
    connection = http.client.HTTPConnection(address, timeout=timeout)
    try:
        connection.request(method, path, headers={"Accept": "*/*", "User-Agent": "pytest-scratchimage record"})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    return Probe(method, path, response.status, len(body)), (response.getheader("Content-Type") or "", body)


def _links(pages: Mapping[str, tuple[str, bytes]]) -> list[str]:
    """What a browser fetches next: same-origin ``src``, ``href`` and CSS ``url()`` of the probed pages."""
    found: dict[str, None] = {}
    for base, (content_type, body) in pages.items():
        if "html" not in content_type and "css" not in content_type:
            continue
        for match in _LINK.finditer(body[:1_000_000]):
            link = (match[1] or match[2]).decode("latin-1").strip()
            parts = urllib.parse.urlsplit(urllib.parse.urljoin(f"http://here{base}", link))
            if parts.netloc == "here" and parts.path not in pages:
                found[parts.path + (f"?{parts.query}" if parts.query else "")] = None
    return list(found)[:CRAWL_LIMIT]


def _malformed(address: str) -> Probe:
    """A request line gunicorn refuses with 400: its error path imports what a good request does not."""
    host, _, port = address.partition(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(b"NOT A REQUEST\r\n\r\n")
        status = connection.recv(64).split(b" ")[1:2]
    return Probe("RAW", "NOT A REQUEST", int(status[0]) if status and status[0].isdigit() else 0, 0)


def _upgrade(address: str, path: str) -> Probe:
    """A WebSocket handshake on ``path``: an ASGI worker loads its WebSocket protocol for it, whatever the
    app then answers (a route that is no WebSocket closes it: 403); a WSGI worker answers a plain GET."""
    host, _, port = address.partition(":")
    key = base64.b64encode(os.urandom(16)).decode()
    handshake = (
        f"GET {path} HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(handshake.encode())
        try:
            status = connection.recv(64).split(b" ")[1:2]
        except OSError:  # no answer in time: the app holds the socket open
            status = []
    return Probe("WS", path, int(status[0]) if status and status[0].isdigit() else 0, 0)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as docker stop: gunicorn shuts down and every process reaches its exit hooks."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()

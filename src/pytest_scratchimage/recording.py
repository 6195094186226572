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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .diagnose import fixes, record_hints
from .errors import ScratchImageError
from .record import Probe, Record, read_facts

HOST = Path(__file__).parent / "host"
NOT_FOUND = "/__scratch_image_record_404__"
ROOT = "/"  # the page users and browsers ask first: httpbin renders its landing page from a template there
CRAWL_LIMIT = 100  # links followed from the probed pages' HTML and CSS
REDIRECTS = 5  # followed from one request, as a browser would (it gives up at 20)
# A link in HTML (an attribute) or CSS (``url()``, lower case, not a script's ``new URL(…)`` or ``updateURL(…)``).
_LINK = re.compile(rb"""(?i:src|href)\s*=\s*["']([^"'#]+)["']|(?<![\w.$])url\(\s*["']?([^"')#]+)["']?\s*\)""")
_NO_ANSWER = (OSError, http.client.HTTPException)  # a request that got no HTTP answer at all
_NOT_A_URL = re.compile(r"[{}<>`\\\x00-\x1f\x7f]|\$\{")


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
    def checked(answer: Answer) -> None:
        _check(answer.probe, process, log)

    health = recording.health_path
    answers = _following(address, _wait(address, health, recording.timeout, process, log), checked)
    pages = {answers[-1].probe.path: answers[-1]}
    for method, path in recording.probe_paths:
        probed = _following(address, _asked(address, method, path, process, log), checked)
        answers += probed
        pages[probed[-1].probe.path] = probed[-1]
    for link in _links(pages):  # what a browser would fetch next: a link that fails is the app's own answer
        answers += _following(address, _crawled(address, "GET", link))
    if all(answer.probe.path != ROOT for answer in answers):  # asked, not crawled: its links may be any
        answers += _following(address, _crawled(address, "GET", ROOT))  # endpoint (httpbin's /delay/10)
    answers += [_asked(address, "GET", NOT_FOUND, process, log), _asked(address, "HEAD", health, process, log)]
    try:
        last = [_malformed(address), _upgrade(address, health)]
    except OSError as error:
        raise _no_answer("a malformed request or a WebSocket handshake", error, process, log) from None
    return [*(answer.probe for answer in answers), *last]


@dataclass(frozen=True)
class Answer:
    """One request's answer: the probe, and what a crawl or a redirect reads from it."""

    probe: Probe
    content_type: str = ""
    body: bytes = b""
    location: str = ""  # a redirect's target, as sent


def _wait(address: str, path: str, timeout: float, process: subprocess.Popen[bytes], log: Path) -> Answer:
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
            answer = _request(address, "GET", path, timeout=2.0)
        except _NO_ANSWER:
            if time.monotonic() > deadline:
                raise ScratchImageError(
                    f"record: no HTTP answer from the app on the host at http://{address}{path} within "
                    f"{timeout:g} s (scratch_image_ready_timeout); its log follows",
                    log.read_text(errors="replace"),
                ) from None
            time.sleep(0.05)
            continue
        _check(answer.probe, process, log)
        return answer


def _check(probe: Probe, process: subprocess.Popen[bytes], log: Path) -> None:
    if probe.status >= 500:
        _stop(process)
        text = log.read_text(errors="replace")
        raise AppFailed(
            f"record: {probe.method} {probe.path} answered {probe.status} on the host (scratch_image_probe_paths)"
            f"{fixes(record_hints(text))}; the app's log follows",
            text,
        )


def _asked(address: str, method: str, path: str, process: subprocess.Popen[bytes], log: Path) -> Answer:
    """A request the record must have answered: no answer at all is a failure, with the app's log."""
    try:
        return _request(address, method, path)
    except _NO_ANSWER as error:
        raise _no_answer(f"{method} {path}", error, process, log) from None


def _no_answer(asked: str, error: Exception, process: subprocess.Popen[bytes], log: Path) -> ScratchImageError:
    _stop(process)
    why = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return ScratchImageError(
        f"record: {asked} got no HTTP answer from the app on the host ({why}); the app's log follows",
        log.read_text(errors="replace"),
    )


def _crawled(address: str, method: str, path: str) -> Answer:
    """A link or a redirect followed: an answer that does not come (a stream, a time-out) is noted as
    status 0; the app's own failure shows at the requests that must be answered."""
    try:
        return _request(address, method, path)
    except _NO_ANSWER:
        return Answer(Probe(method, path, 0, 0))


def _following(address: str, answer: Answer, check: Callable[[Answer], None] = lambda answer: None) -> list[Answer]:
    """``answer`` and the answers of the same-origin redirects it leads to, as a browser follows them
    (a 307 or 308 keeps the method; the others turn it into a GET), each ``check``ed."""
    check(answer)
    answers = [answer]
    while len(answers) <= REDIRECTS and answer.location and 300 <= answer.probe.status < 400:
        target = _same_origin(answer.probe.path, answer.location, address)
        if target is None or any(a.probe.path == target for a in answers):
            break
        method = answer.probe.method if answer.probe.status in (307, 308) or answer.probe.method == "HEAD" else "GET"
        answer = _crawled(address, method, target)
        check(answer)
        answers.append(answer)
    return answers


def _request(address: str, method: str, path: str, timeout: float = 10.0) -> Answer:
    """One request: its probe and, for a GET, the content type and body (to follow its links)."""
    connection = http.client.HTTPConnection(address, timeout=timeout)
    try:
        connection.request(method, path, headers={"Accept": "*/*", "User-Agent": "pytest-scratchimage record"})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    probe = Probe(method, path, response.status, len(body))
    return Answer(probe, response.getheader("Content-Type") or "", body, response.getheader("Location") or "")


def _same_origin(base: str, link: str, address: str = "") -> str | None:
    """The path (and query) ``link`` points to from page ``base``, if on the same origin and a URL a
    browser would fetch (a script's template, ``{ q: query }``, is none); characters a path cannot hold
    as they are (a space) are quoted, as a browser does."""
    if _NOT_A_URL.search(link):
        return None
    parts = urllib.parse.urlsplit(urllib.parse.urljoin(f"http://here{base}", link.strip()))
    if parts.netloc not in ("here", address) or parts.scheme != "http":
        return None
    path = urllib.parse.quote(parts.path or "/", safe="/%:@!$&'()*+,;=~")
    query = urllib.parse.quote(parts.query, safe="/%:@!$&'()*+,;=~?")
    return path + (f"?{query}" if query else "")


def _links(pages: Mapping[str, Answer]) -> list[str]:
    """What a browser fetches next: same-origin ``src``, ``href`` and CSS ``url()`` of the probed pages."""
    found: dict[str, None] = {}
    for base, answer in pages.items():
        if "html" not in answer.content_type and "css" not in answer.content_type:
            continue
        for match in _LINK.finditer(answer.body[:1_000_000]):
            target = _same_origin(base, (match[1] or match[2]).decode("utf-8", "replace"))
            if target is not None and target.partition("?")[0] not in pages:
                found[target] = None
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

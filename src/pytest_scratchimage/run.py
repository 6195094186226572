"""Run: start the image as shipped (its entrypoint, its user), hardened, on loopback; wait until it answers."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import requests

from .diagnose import fixes, hints
from .errors import ScratchImageError
from .inspect import ShellProbe, probe_shell, process_users

if TYPE_CHECKING:
    import docker
    from docker.models.containers import Container

LOOPBACK = "127.0.0.1"
BRIDGE, HOST = "bridge", "host"  # scratch_image_network's two names that are not a network of the user's
POLL = 0.01  # seconds between readiness probes: a refused connection costs next to nothing
INSPECT_EVERY = 0.25  # seconds between checks that the container still runs


@dataclass(frozen=True)
class RunSpec:
    """How the container runs. ``hardened`` adds the read-only root, no capabilities, no new privileges.

    On ``bridge`` or a named network the app's ``port`` is published on ``address`` alone: loopback for an
    engine on this machine. On ``host`` nothing is published: the app shares the host's network and binds
    ``address:port`` itself (gunicorn's run-time ``--bind``), so it is no more exposed than on ``bridge``.
    """

    image: str
    user: int
    port: int
    hardened: bool = True
    environment: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    address: str = LOOPBACK
    network: str = BRIDGE

    def options(self) -> dict[str, object]:
        """Keyword arguments for ``containers.run``."""
        options: dict[str, object] = {
            "detach": True,
            "user": str(self.user),
            "environment": dict(self.environment),
            "labels": dict(self.labels),
        }
        if self.network == HOST:
            bind = f"--bind {self.address}:{self.port}"  # after the user's own run-time arguments: it wins
            arguments = f"{self.environment.get('GUNICORN_CMD_ARGS', '')} {bind}".strip()
            options |= {"network_mode": HOST, "environment": dict(self.environment) | {"GUNICORN_CMD_ARGS": arguments}}
        else:
            options["ports"] = {f"{self.port}/tcp": (self.address, None)}
        if self.network not in {BRIDGE, HOST}:
            options["network"] = self.network
        if self.hardened:
            options |= {
                "read_only": True,
                # StaticX and PyInstaller extract into /tmp, then run what they extracted.
                "tmpfs": {"/tmp": "rw,exec,nosuid,nodev,mode=1777"},
                "cap_drop": ["ALL"],
                "security_opt": ["no-new-privileges"],
            }
        return options


def start(client: docker.DockerClient, spec: RunSpec) -> Container:
    """Create and start the container (nothing is pulled); one that the engine cannot start is removed."""
    import docker.errors

    try:
        container = client.containers.create(spec.image, **spec.options())
    except docker.errors.APIError as error:
        reason = error.explanation
        raise ScratchImageError(f"run: the engine could not create a container of {spec.image}: {reason}") from None
    try:
        container.start()
    except docker.errors.APIError as error:
        remove(container)
        reason = str(error.explanation)
        if "cannot assign requested address" in reason:
            reason += (
                f"; {spec.address} is not an address of the engine's host (is it reached through NAT?): point "
                "DOCKER_HOST at an address the host has"
            )
        raise ScratchImageError(f"run: the engine could not start {spec.image}: {reason}") from None
    return container


def published_url(container: Container, port: int, address: str = LOOPBACK, network: str = BRIDGE) -> str:
    """``http://<address>:<host port>`` of the container's port, refusing any other binding; on the host's
    network, where nothing is published, the address and port the app binds."""
    check_running(container, f"its port {port} was published")
    if network == HOST:
        return f"http://{address}:{port}"
    bindings = container.ports.get(f"{port}/tcp") or []
    if not bindings or any(b["HostIp"] != address for b in bindings):
        raise ScratchImageError(f"run: port {port} is not published on {address} alone: {bindings}")
    return f"http://{address}:{bindings[0]['HostPort']}"


def logs(container: Container) -> str:
    return bytes(container.logs()).decode(errors="replace")


def network_of(container: Container) -> str:
    """The network a container ran on, as the failures' hints read it: host, bridge (the engine's default,
    Podman's among them) or a network's name."""
    mode = str(container.attrs.get("HostConfig", {}).get("NetworkMode") or BRIDGE)
    return BRIDGE if mode in {"default", BRIDGE, "slirp4netns", "pasta", "private"} else mode


def check_running(container: Container, before: str) -> None:
    """Fail at once, with the exit code and the log, when the container has stopped."""
    container.reload()
    if container.status in {"exited", "dead"}:
        code = container.attrs["State"]["ExitCode"]
        log = logs(container)
        to_fix = fixes(hints(log, network_of(container)))
        raise ScratchImageError(f"run: the app exited with code {code} before {before}{to_fix}; its log follows", log)


def wait_until_ready(container: Container, url: str, timeout: float) -> float:
    """Probe ``url`` until any HTTP answer; return the seconds it took.

    A container that exits fails at once with its exit code and log tail; so does the deadline.
    """
    started = inspected = time.monotonic()
    while True:
        try:
            requests.get(url, timeout=1.0)
            return time.monotonic() - started
        except requests.RequestException:
            pass
        if time.monotonic() - inspected >= INSPECT_EVERY:  # each inspection is an API call: not every poll
            check_running(container, f"answering {url}")
            inspected = time.monotonic()
        if time.monotonic() - started > timeout:
            check_running(container, f"answering {url}")
            raise ScratchImageError(
                f"run: no HTTP answer from {url} within {timeout:g} s (scratch_image_ready_timeout); "
                "the app's log follows",
                logs(container),
            )
        time.sleep(POLL)


def remove(container: Container) -> None:
    """Stop and remove, quietly: also called while another error is on its way."""
    import docker.errors

    with contextlib.suppress(docker.errors.NotFound):
        container.remove(force=True)


@dataclass
class ScratchContainer:
    """The running container: what the ``scratch_container`` fixture gives tests."""

    id: str
    url: str  # http://127.0.0.1:<ephemeral host port>, or the address of an engine reached over TCP
    port: int
    startup_seconds: float  # from docker run to the first HTTP answer
    health_path: str
    container: Container = field(repr=False)

    def logs(self) -> str:
        """Everything the app wrote to stdout and stderr so far."""
        return logs(self.container)

    def process_users(self) -> dict[int, int]:
        """PID → UID of every process in the container (the engine's ``top``, nothing run inside)."""
        return process_users(self.container)

    def probe_shell(self, shell: str = "/bin/sh") -> ShellProbe:
        """Try to start ``shell`` inside; the image is shell-less when this does not start."""
        return probe_shell(self.container, shell)

    def status(self) -> str:
        self.container.reload()
        return str(self.container.status)

    def stop(self, timeout: float = 10.0) -> tuple[float, int]:
        """``docker stop``: SIGTERM, then SIGKILL after ``timeout``. Returns (seconds, exit code)."""
        started = time.monotonic()
        self.container.stop(timeout=math.ceil(timeout))  # the engines take whole seconds
        seconds = time.monotonic() - started
        self.container.reload()
        return seconds, int(self.container.attrs["State"]["ExitCode"])

    def memory(self, warmup_requests: int = 20) -> int:
        """Bytes of memory used after ``warmup_requests`` requests to the health path, as ``docker stats`` shows.

        The page cache is left out (cgroup v1 ``total_inactive_file``, v2 ``inactive_file``).
        """
        with requests.Session() as http:
            for _ in range(warmup_requests):
                http.get(self.url + self.health_path, timeout=10)
        stats = self.container.stats(stream=False, one_shot=True)["memory_stats"]
        inner = stats.get("stats", {})
        cache = inner.get("total_inactive_file", inner.get("inactive_file", 0))
        return int(stats["usage"]) - int(cache)

"""One test session's image and container: made lazily, once, and removed at the end."""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import os
import re
import socket
import sys
import tarfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .audit import Audit, audit_of, resolve_uid
from .build import Build, Progress, build_binary
from .cleanup import KEEP, LABEL_PREFIX, OWNER, REPOSITORY, SESSION, Owner, reap, remove_detached
from .errors import EngineLost, ScratchImageError, engine_call
from .image import LAYER, ImageSpec, ScratchImage, build_image, known_compressed
from .inspect import compressed_size, image_layers, layer_file
from .layers import AppFiles
from .recording import free_port
from .report import SizeReport
from .run import (
    BRIDGE,
    HOST,
    LOOPBACK,
    RunSpec,
    ScratchContainer,
    check_running,
    published_url,
    remove,
    start,
    wait_until_ready,
)
from .sbom import copy, image_files, scanner_view
from .schema import SETTINGS
from .settings import Settings, app_of, size_budget
from .sizes import format_size

if TYPE_CHECKING:
    import docker


def engine_address(docker_host: str) -> str:
    """Where the engine named by a DOCKER_HOST value publishes the app's port, and so where probes go.

    An engine behind a socket on this machine (Docker's, Podman's) publishes on 127.0.0.1. An engine
    reached over TCP publishes on the IPv4 address its host name has here, the one this machine reaches
    it at: not on 0.0.0.0, and not on its own 127.0.0.1, which no probe from here could reach.
    """
    url = urlsplit(docker_host)
    if url.scheme in {"", "unix", "npipe", "fd"}:
        return LOOPBACK
    if url.scheme not in {"tcp", "http", "https"}:
        raise ScratchImageError(
            f"engine: DOCKER_HOST = {docker_host!r}: over {url.scheme}:// the app's published port cannot be probed "
            "from here (the connection carries the API alone); use tcp:// with TLS to that host, or run the "
            "tests on it"
        )
    host = url.hostname or LOOPBACK
    try:
        return str(socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)[0][4][0])
    except OSError as error:
        raise ScratchImageError(
            f"engine: DOCKER_HOST = {docker_host!r}: {host} has no IPv4 address here ({error}); the app's port "
            "is published on that address and probed there: name the engine's host by an address this "
            "machine reaches"
        ) from None


def connect() -> docker.DockerClient:
    """The engine named by the environment (DOCKER_HOST, else the local socket), checked with a ping."""
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as error:
        where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        raise ScratchImageError(
            f"engine: no Docker engine answers at {where} ({error}); start one (e.g. dockerd) "
            "or point DOCKER_HOST at one, or run without --scratch-image"
        ) from None
    return client


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "app"


@dataclass
class ScratchSession:
    """The session's engine, build, image and container; ``close`` removes what it made."""

    settings: Settings
    cache: Path
    progress: Progress
    rebuild: bool = False
    keep: bool = False
    cache_note: str = ""  # why the cache is where it is, when that is not the usual place
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    build: Build | None = None
    image_seconds: float = 0.0
    address: str = field(default=LOOPBACK, init=False)  # where the engine publishes the port: engine_address
    _client: docker.DockerClient | None = None
    _image: ScratchImage | None = None
    containers: list[ScratchContainer] = field(default_factory=list)  # every one started, to remove
    _default: ScratchContainer | None = None
    _error: ScratchImageError | None = None
    hold: bool = False  # close leaves the image, for the end of the session to tag or save it, then release
    owner: str | None = None  # whose it is (the owner label): this process, or the xdist controller it is held for
    used: str | None = None  # where an image built elsewhere came from (scratch_image_use)
    scanners: str = ""  # what scanners find in the image (sbom.scanner_view)
    layers: str = ""  # the runtime's and the app's layers (layers_line), when the layout is layers
    _own_tag: str | None = None  # the tag this session made, removed at the end; never a tag of the user's

    def labels(self) -> dict[str, str]:
        owner = self.owner or str(Owner.current())
        return {SESSION: self.id, OWNER: owner} | ({KEEP: "true"} if self.keep else {})

    def client(self) -> docker.DockerClient:
        if self._client is None:
            self.address = engine_address(os.environ.get("DOCKER_HOST", ""))
            self._client = connect()
            for removed in reap(self._client):
                self.progress(f"removed {removed}, left by a session that died")
        return self._client

    def image(self) -> ScratchImage:
        """The image, built on first use; a failure is kept and raised again, not retried per test."""
        if self._error is not None:
            raise self._error
        if self._image is None:
            try:
                with engine_call("the making of the image"):
                    self._image = self._make_image()
            except ScratchImageError as error:
                self._error = error
                raise
        return self._image

    def _make_image(self) -> ScratchImage:
        client = self.client()
        if self.settings.use is not None:
            return self._use(client, self.settings.use)
        self._look_for_network(client)
        self.build = build_binary(self.settings, self.cache, self.progress, self.rebuild)
        labels = self.labels() | image_labels(self.settings, self.build)
        files = image_files(self.build.binary.parent) if self.settings.sbom_files else {}
        if self.settings.sbom is not None:
            copy(self.build.binary.parent, self.settings.sbom)
        self.scanners = scanner_view(files)
        app_layer = self.build.app_layer
        spec = ImageSpec(self.build.binary, self.settings.user, self.settings.port, labels, files, app_layer)
        tag = f"{REPOSITORY}{slug(app_of(self.settings).module)}:{self.build.key[:12]}-{self.id}"
        started = time.monotonic()
        rootfs = spec.rootfs()
        image_id = build_image(client, spec, tag, rootfs)
        self._own_tag = tag
        self.image_seconds = round(time.monotonic() - started, 2)
        if app_layer is not None:
            self.layers = layers_line(rootfs, app_layer, self.build.app_files)
        attrs = client.images.get(image_id).attrs
        memo = self.build.binary.with_name(LAYER)
        compressed = known_compressed(memo, rootfs, attrs["RootFS"]["Layers"], app_layer)
        settings = self.settings
        size, contributors = int(attrs["Size"]), self.build.contributors
        # Known when the engine's layer is the very tar sent: then neither weighing it nor reading its files
        # (the shells, the session gate's audit) needs the image exported again.
        layers = ([rootfs] if app_layer is None else [rootfs, app_layer]) if compressed is not None else None
        user, port = settings.user, settings.port
        levers = self.build.levers
        return ScratchImage(tag, image_id, size, user, port, labels, client, contributors, levers, layers, compressed)

    def _use(self, client: docker.DockerClient, source: str | Path) -> ScratchImage:
        """The image built elsewhere: loaded from an archive under this session's tag, or the engine's own."""
        from .used import find_image, image_breakdown, load_archive, port_of

        self.progress(f"use {source} ...")
        started = time.monotonic()
        if isinstance(source, Path):
            tag = f"{REPOSITORY}use:{self.id}"
            image = load_archive(client, source, tag)
            self._own_tag = tag
            self.used = f"built elsewhere, loaded from {source} in {time.monotonic() - started:.1f} s"
        else:
            tag, image = source, find_image(client, source)
            self.used = f"built elsewhere: {source}"
        self.image_seconds = round(time.monotonic() - started, 2)
        config = image.attrs.get("Config") or {}
        layers = image_layers(image)
        user = str(config.get("User") or "")
        uid = resolve_uid(user, layer_file((io.BytesIO(layer) for layer in layers), "/etc/passwd"))
        if uid is None:
            raise ScratchImageError(
                f"use: {tag} runs as user {user!r}, a name its /etc/passwd does not give: no engine can start it; "
                f"set USER to a numeric UID such as {self.settings.user} where it is built"
            )
        port = port_of(config, self.settings.port)
        labels = dict(config.get("Labels") or {})
        scratch = ScratchImage(tag, str(image.id), int(image.attrs["Size"]), uid, port, labels, client, _layers=layers)
        files = scratch.files()
        scratch.contributors = image_breakdown(layers, files, config)
        self.scanners = scanner_view(entry.path for entry in files)
        self.progress(f"use {tag} ({scratch.id[:19]}) ready in {time.monotonic() - started:.1f} s")
        return scratch

    def audit(self) -> Audit | None:
        """The facts of the session gate: the image's config, users and files, and its live processes' users."""
        import docker.errors

        if self._image is None:
            return None
        image = self._image
        with engine_call("the session gate's audit"):
            try:
                attrs = self.client().images.get(image.id).attrs
                passwd = layer_file((io.BytesIO(layer) for layer in image.layers()), "/etc/passwd")
                running = [c for c in self.containers if _running(c)]
                processes = [(pid, uid) for c in running for pid, uid in c.process_users().items()]
            except docker.errors.DockerException as error:
                raise ScratchImageError(f"audit: the engine could not show {image.tag}: {error}") from None
            return audit_of(image.id, image.tag, attrs, image.files(), passwd, processes)

    def own_tags(self) -> list[str]:
        """The tags this session made, which the end of the session removes."""
        return [self._own_tag] if self._own_tag is not None else []

    def variant(self, settings: Settings) -> ScratchSession:
        """A session of other settings that shares this one's cache, progress and keep."""
        return ScratchSession(settings, self.cache, self.progress, keep=self.keep, cache_note=self.cache_note)

    def report(self) -> SizeReport:
        """The facts about the image, for the summary, the gates and the JSON report (builds it if need be)."""
        image = self.image()
        cache = f"{self.cache} ({self.cache_note})" if self.cache_note else str(self.cache)
        return SizeReport(
            tag=image.tag,
            size=image.size,
            compressed=image.compressed_size(),
            budget=size_budget(self.settings),
            cached=self.build.cached if self.build is not None else False,
            seconds=self.build.seconds if self.build is not None else {},
            image_seconds=self.image_seconds,
            contributors=image.contributors,
            cache=cache if self.build is not None else "",
            used=self.used,
            recorded=self.build.recorded if self.build is not None else False,
            served=self.build.serving() if self.build is not None else "",
            levers=image.levers,
            sbom=str(self.settings.sbom) if self.settings.sbom is not None and self.build is not None else None,
            scanners=self.scanners,
            layers=self.layers,
        )

    def container(self) -> ScratchContainer:
        """The running, ready container of the image, started on first use."""
        if self._default is None:
            self._default = self.start()
        return self._default

    def check_alive(self, user: str) -> None:
        """Fail clearly when the session's container died (killed, OOM) before ``user`` could probe it.

        It is not restarted: a restart would hide the crash that a gate exists to catch.
        """
        if self._default is not None:
            with engine_call(f"the check that {user} could use the container", removed(self._default.id, user)):
                check_running(self._default.container, f"{user} could use it (it stopped mid-session)")

    def start(self, environment: dict[str, str] | None = None, network: str | None = None) -> ScratchContainer:
        """Another container of the image, ready; ``environment`` adds to ``scratch_image_env``, ``network``
        replaces ``scratch_image_network``."""
        image = self.image()
        with engine_call("the start of a container"):
            return self._start(image, environment, network)

    def _start(self, image: ScratchImage, environment: dict[str, str] | None, network: str | None) -> ScratchContainer:
        environment = dict(self.settings.env) | (environment or {})
        network = network or self.settings.network
        client = self.client()
        port = self._port_on(client, network, image.port)
        spec = RunSpec(
            image.tag, image.user, port, self.settings.hardened, environment, self.labels(), self.address, network
        )
        started = time.monotonic()
        container = start(client, spec)
        try:
            url = published_url(container, port, self.address, network)
            wait_until_ready(container, url + self.settings.health_path, self.settings.ready_timeout)
            seconds = time.monotonic() - started  # from docker run, as a user would time it
        except BaseException:
            remove(container)
            raise
        health = self.settings.health_path
        self.containers.append(ScratchContainer(str(container.id), url, port, seconds, health, container))
        return self.containers[-1]

    def _look_for_network(self, client: docker.DockerClient) -> None:
        """Say before a build of tens of seconds that the engine lacks the network the settings name: a typo
        shows at once, while a fixture may still make that network before the first container."""
        network = self.settings.network
        if network not in {BRIDGE, HOST} and not _has_network(client, network):
            self.progress(
                f"{SETTINGS['network'].ini} = {network!r}: the engine has no network of that name yet; the first "
                f"container fails unless one is made before it (docker network create {network})"
            )

    def _port_on(self, client: docker.DockerClient, network: str, port: int) -> int:
        """The port the app binds on ``network``: the image's, else on the host's network a free one of its
        loopback (as the record's); a network the engine lacks, or a host no probe reaches, fails here."""
        setting = SETTINGS["network"].ini
        if network == HOST:
            if self.address != LOOPBACK:
                raise ScratchImageError(
                    f"run: {setting} = host shares the network of the engine's host, {self.address}, whose "
                    "loopback no probe from here reaches: run the tests on that host, or use bridge or a named network"
                )
            return free_port()
        if network != BRIDGE and not _has_network(client, network):
            raise ScratchImageError(
                f"run: {setting} = {network!r}: the engine has no network of that name (docker network ls); "
                f"create it (docker network create {network}) or use bridge or host"
            )
        return port

    def remove(self, container: ScratchContainer) -> None:
        """Remove one container this session started, before the session ends."""
        remove(container.container)
        self.containers.remove(container)
        if container is self._default:
            self._default = None

    def kept(self) -> list[str]:
        """How to reach and remove what ``keep`` left running."""
        lines = [f"kept container {c.id[:12]} at {c.url}: docker logs {c.id[:12]}" for c in self.containers]
        lines += [f"remove it with: docker rm -f {c.id[:12]}" for c in self.containers]
        if self._image is not None:
            lines.append(f"kept image {self._image.tag}: docker rmi {self._image.tag}")
        return lines

    def close(self, wait: bool = True) -> None:
        """Remove the containers and the image tags this session made; never another session's, nor the user's.

        With ``keep`` the container and its image stay for debugging: ``kept`` says how to reach them. With
        ``hold`` the image stays until ``release``. Without ``wait``, and with the engine on this machine's
        socket, a process of its own removes them while this one goes on (``cleanup.remove_detached``).
        """
        import docker.errors

        if self.keep or self._client is None or (not self.containers and self._image is None):
            return
        containers, self.containers, self._default = [c.container for c in self.containers], [], None
        tags = [] if self.hold else self.own_tags()
        if not self.hold:
            self._image, self._own_tag = None, None
        docker_host, version = os.environ.get("DOCKER_HOST", ""), str(self._client.api.api_version)
        left = [f"container {str(c.id)[:12]}" for c in containers] + [f"image tag {tag}" for tag in tags]
        try:
            with engine_call("cleanup"):
                # the ping first: a process of its own, handed a lost engine, could not say what it left
                ids = [str(c.id) for c in containers]
                if not wait and self._client.ping() and remove_detached(docker_host, version, ids, tags):
                    return
                for container in containers:
                    remove(container)
                    left.pop(0)
                for tag in tags:
                    with contextlib.suppress(docker.errors.APIError):
                        self._client.images.remove(tag)
                    left.pop(0)
        except EngineLost as error:  # cleanup never raises: the reaper of the next session removes what is left
            self.progress(f"{error.lost}; left {' and '.join(left)}: the next session on this engine removes them")

    def release(self, wait: bool = True) -> None:
        """Close, the image held for the end of the session included."""
        self.hold = False
        self.close(wait)


def _has_network(client: docker.DockerClient, network: str) -> bool:
    import docker.errors

    try:
        client.networks.get(network)
    except docker.errors.NotFound:
        return False
    return True


def _running(container: ScratchContainer) -> bool:
    """Whether a container of the session still runs; one removed meanwhile (``docker rm``, a test's own
    cleanup) has no processes left to audit."""
    import docker.errors

    try:
        return container.status() == "running"
    except docker.errors.NotFound:
        return False


def layers_line(runtime: bytes, app: bytes, files: AppFiles | None) -> str:
    """``runtime 4.24 MB; app 1.65 KB (3 modules, 1 other file), 1.10 KB gzipped: what a release of the app's
    code alone pushes``: each layer's files, as the engine's Size counts them."""
    modules = len(files.sources) if files else 0
    others = len(files.others) if files else 0
    what = f"{modules} module{'s' * (modules != 1)}, {others} other file{'s' * (others != 1)}"
    pushed = format_size(compressed_size([app]))
    return (
        f"runtime {format_size(content_size(runtime))}; app {format_size(content_size(app))} ({what}), {pushed} "
        "gzipped: what a release of the app's code alone pushes"
    )


def content_size(layer: bytes) -> int:
    """The bytes of a layer's files: its tar's length would count the headers and the padding of every file
    to 512 bytes and of the whole to 10 KB (the fixture app's layer: 10.24 KB for a module of 1.6 KB)."""
    with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
        return sum(member.size for member in tar if member.isfile())


def removed(container_id: str, user: str) -> str:
    """The headline of a container gone from the engine (``docker rm``, an engine restarted without it)."""
    return (
        f"run: the container {container_id[:12]} was removed during the session (docker rm?) before {user} could use it"
    )


def image_labels(settings: Settings, build: Build) -> dict[str, str]:
    """What built the image from what: the app, the content key and the tools' versions."""
    version = importlib.metadata.version
    return {
        f"{LABEL_PREFIX}.app": str(app_of(settings)),
        f"{LABEL_PREFIX}.key": build.key,
        f"{LABEL_PREFIX}.python": sys.version.split()[0],
        f"{LABEL_PREFIX}.version": version("pytest-scratchimage"),
        f"{LABEL_PREFIX}.pyinstaller": version("pyinstaller"),
        f"{LABEL_PREFIX}.staticx": version("staticx"),
        "org.opencontainers.image.title": slug(app_of(settings).module),
    }

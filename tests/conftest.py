from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import docker
import pytest

from pytest_scratchimage import ScratchImage
from pytest_scratchimage.plugin import STATE, raw_settings
from pytest_scratchimage.running import binary_cache

pytest_plugins = ["pytester"]
T = TypeVar("T")


def _once_removed(listing: Callable[[], list[T]], timeout: float = 30.0) -> list[T]:
    deadline = time.monotonic() + timeout
    while (found := listing()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


@pytest.fixture
def present(engine: docker.DockerClient) -> Callable[[str], list[str]]:
    """``present(reference)``: ``[reference]`` while the engine has that image, ``[]`` once it is gone."""

    def listing(reference: str) -> list[str]:
        try:
            engine.images.get(reference)
        except docker.errors.ImageNotFound:
            return []
        return [reference]

    return listing


@pytest.fixture
def users_of(engine: docker.DockerClient) -> Callable[[str], list[str]]:
    """``users_of(image_id)``: the containers of an image; its tag is removed once none is left."""

    def listing(image_id: str) -> list[str]:
        return [c.id for c in engine.containers.list(all=True, filters={"ancestor": image_id}, ignore_removed=True)]

    return listing


@pytest.fixture
def once_removed() -> Callable[..., list[Any]]:
    """``once_removed(listing)``: ``listing()`` once it is empty, or as it is after 30 s. A session that ends
    hands the removal of its containers and image tag to a process of its own, which may still be at it."""
    return _once_removed


@pytest.fixture
def fixture_app_ini(pytestconfig: pytest.Config) -> dict[str, str]:
    """The outer session's settings as ``-o`` values, its binary cache included: inner sessions reuse its binary."""
    settings = pytestconfig.stash[STATE].settings
    assert settings is not None  # this project's ini names the fixture app
    ini = {
        name: "\n".join(map(str, v)) if isinstance(v, list) else str(v)
        for name, v in raw_settings(pytestconfig).items()
    }
    return {name: value for name, value in ini.items() if value} | {
        "cache_dir": str(binary_cache(pytestconfig, settings)[0])
    }


def as_args(ini: dict[str, str]) -> list[str]:
    """``-o scratch_image_<name>=<value>`` for each setting."""
    return [arg for name, value in ini.items() for arg in ("-o", f"scratch_image_{name}={value}")]


@pytest.fixture
def fixture_app_args(fixture_app_ini: dict[str, str]) -> list[str]:
    """Inner-session options that select the outer session's fixture app, its settings and its binary cache."""
    return as_args(fixture_app_ini)


@pytest.fixture
def built_fixture_app(scratch_image: ScratchImage, fixture_app_args: list[str]) -> list[str]:
    """As ``fixture_app_args``, once the outer session built the binary: inner sessions reuse it."""
    return fixture_app_args


@pytest.fixture(scope="session")
def engine() -> Iterator[docker.DockerClient]:
    """The Docker engine, to check the plugin's work from outside."""
    client = docker.from_env()
    yield client
    client.close()


@pytest.fixture
def remove_network(engine: docker.DockerClient) -> Callable[..., None]:
    """Remove a test's Docker network with every container on it (and ``also``), once the removals already
    under way (a session's detached cleanup, which answers our own with 409) have let it go."""

    def removal(network_id: str, also: list[str] | None = None) -> None:
        attached = list(engine.api.inspect_network(network_id)["Containers"])
        for container in {*attached, *(also or [])}:
            with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                engine.api.remove_container(container, force=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                engine.api.remove_network(network_id)
                return
            except docker.errors.APIError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    return removal

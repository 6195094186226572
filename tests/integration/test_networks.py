"""scratch_image_network: the fixture app's image on the host's network and on a named one, hardened in both."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import docker
import pytest
import requests

from pytest_scratchimage import ScratchContainer

pytestmark = pytest.mark.integration


@pytest.fixture
def network(engine: docker.DockerClient, remove_network: Callable[..., None]) -> Iterator[str]:
    """A Docker network of this test's own, removed after it (with whatever is still attached)."""
    name = f"scratch-test-{uuid.uuid4().hex[:8]}"
    made = engine.networks.create(name)
    yield name
    remove_network(str(made.id))


def test_on_the_hosts_network_the_app_binds_loopback_and_nothing_is_published(
    scratch_start_container: Callable[..., ScratchContainer], engine: docker.DockerClient
) -> None:
    container = scratch_start_container(network="host")
    attrs = engine.api.inspect_container(container.id)
    assert attrs["HostConfig"]["NetworkMode"] == "host"
    assert not attrs["HostConfig"]["PortBindings"]
    assert container.url == f"http://127.0.0.1:{container.port}"
    assert requests.get(container.url + "/number", timeout=10).status_code == 200
    assert attrs["HostConfig"]["ReadonlyRootfs"] is True
    assert attrs["HostConfig"]["CapDrop"] == ["ALL"]
    assert "no-new-privileges" in attrs["HostConfig"]["SecurityOpt"]
    # gunicorn bound 127.0.0.1 alone: the host's other addresses do not reach it
    assert f"Listening at: http://127.0.0.1:{container.port}" in container.logs()


def test_on_a_named_network_the_app_is_published_on_loopback_and_reachable_by_its_peers(
    scratch_start_container: Callable[..., ScratchContainer], engine: docker.DockerClient, network: str
) -> None:
    container = scratch_start_container(network=network)
    attrs = engine.api.inspect_container(container.id)
    assert list(attrs["NetworkSettings"]["Networks"]) == [network]
    bindings = attrs["NetworkSettings"]["Ports"]["8000/tcp"]
    assert {binding["HostIp"] for binding in bindings} == {"127.0.0.1"}
    assert requests.get(container.url + "/health", timeout=10).status_code == 200
    assert attrs["HostConfig"]["ReadonlyRootfs"] is True


def test_a_network_the_engine_lacks_fails_naming_the_setting(
    scratch_start_container: Callable[..., ScratchContainer], engine: docker.DockerClient
) -> None:
    before = {c.id for c in engine.containers.list(all=True)}
    with pytest.raises(pytest.fail.Exception) as failure:
        scratch_start_container(network="scratch-test-absent")
    assert str(failure.value) == (
        "run: scratch_image_network = 'scratch-test-absent': the engine has no network of that name (docker network "
        "ls); create it (docker network create scratch-test-absent) or use bridge or host"
    )
    assert {c.id for c in engine.containers.list(all=True)} == before


def test_a_network_name_docker_cannot_have_is_a_value_error(
    scratch_start_container: Callable[..., ScratchContainer],
) -> None:
    with pytest.raises(ValueError, match=r"^scratch_start_container\(network='my net'\): expected bridge"):
        scratch_start_container(network="my net")


def test_a_network_the_engine_lacks_is_told_before_the_build(
    pytester: pytest.Pytester, built_fixture_app: list[str]
) -> None:
    """Before a build that takes tens of seconds cold; the image itself needs no network: its tests pass."""
    pytester.makepyfile("def test_built(scratch_image): pass")
    result = pytester.runpytest("--scratch-image", *built_fixture_app, "-o", "scratch_image_network=scratch-net-typo")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "scratch image: scratch_image_network = 'scratch-net-typo': the engine has no network of that name yet; "
            "the first container fails unless one is made before it (docker network create scratch-net-typo)",
            "scratch image: cached build *",
        ]
    )

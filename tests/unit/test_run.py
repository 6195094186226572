"""How a container is asked of the engine on each network: published on loopback, or bound there on the host's."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pytest_scratchimage.run import RunSpec, network_of

HARDENING = {"read_only", "tmpfs", "cap_drop", "security_opt"}


def test_on_the_bridge_the_port_is_published_on_loopback_alone() -> None:
    options = RunSpec("app:1", 65535, 8000, environment={"A": "1"}).options()
    assert options["ports"] == {"8000/tcp": ("127.0.0.1", None)}
    assert options["environment"] == {"A": "1"}
    assert "network" not in options
    assert "network_mode" not in options


def test_on_the_hosts_network_nothing_is_published_and_the_app_binds_loopback() -> None:
    options = RunSpec("app:1", 65535, 41234, network="host").options()
    assert "ports" not in options
    assert options["network_mode"] == "host"
    assert options["environment"] == {"GUNICORN_CMD_ARGS": "--bind 127.0.0.1:41234"}


def test_on_the_hosts_network_the_bind_comes_after_the_users_own_gunicorn_arguments() -> None:
    spec = RunSpec("app:1", 65535, 41234, environment={"GUNICORN_CMD_ARGS": "--workers 4", "B": "2"}, network="host")
    assert spec.options()["environment"] == {"GUNICORN_CMD_ARGS": "--workers 4 --bind 127.0.0.1:41234", "B": "2"}
    assert spec.environment == {"GUNICORN_CMD_ARGS": "--workers 4", "B": "2"}  # the spec itself is left alone


def test_on_a_named_network_the_port_is_still_published_on_loopback() -> None:
    options = RunSpec("app:1", 65535, 8000, network="ci-services").options()
    assert options["network"] == "ci-services"
    assert options["ports"] == {"8000/tcp": ("127.0.0.1", None)}
    assert "network_mode" not in options


@pytest.mark.parametrize("network", ["bridge", "host", "ci-services"])
def test_hardening_stays_on_in_every_network(network: str) -> None:
    assert set(RunSpec("app:1", 65535, 8000, network=network).options()) >= HARDENING
    assert not HARDENING & set(RunSpec("app:1", 65535, 8000, hardened=False, network=network).options())


@pytest.mark.parametrize(
    ("mode", "network"),
    [
        ("default", "bridge"), ("bridge", "bridge"), ("slirp4netns", "bridge"), ("pasta", "bridge"), (None, "bridge"),
        ("host", "host"), ("ci-services", "ci-services"),
    ],
)  # fmt: skip
def test_the_network_a_container_ran_on_as_the_hints_read_it(mode: str | None, network: str) -> None:
    container = SimpleNamespace(attrs={"HostConfig": {"NetworkMode": mode}})
    assert network_of(container) == network

from __future__ import annotations

from collections.abc import Iterator

import docker
import pytest

from pytest_scratchimage import ScratchImage
from pytest_scratchimage.plugin import STATE, binary_cache, raw_settings

pytest_plugins = ["pytester"]


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

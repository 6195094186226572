from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from pytest_scratchimage import ScratchImage
from pytest_scratchimage.plugin import STATE, binary_cache

pytest_plugins = ["pytester"]

FIXTURE_APP = Path(__file__).parent.parent / "fixtures" / "app"


@pytest.fixture
def fixture_app_args(pytestconfig: pytest.Config) -> list[str]:
    """Inner-session options that select the outer session's fixture app and its binary cache."""
    settings = pytestconfig.stash[STATE].settings
    assert settings is not None  # this project's ini names the fixture app
    return [
        "-o", "scratch_image_app=random_api:app",
        "-o", f"scratch_image_app_path={FIXTURE_APP}",
        "-o", "scratch_image_health_path=/health",
        "-o", f"scratch_image_cache_dir={binary_cache(pytestconfig, settings)[0]}",
    ]  # fmt: skip


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

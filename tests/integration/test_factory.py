"""Variants in one session: other settings, the same cache and cleanup."""

from __future__ import annotations

from collections.abc import Callable

import docker
import pytest
import requests

from pytest_scratchimage import ScratchImage, ScratchSession

pytestmark = pytest.mark.integration


def test_a_variant_with_run_settings_reuses_the_binary_and_runs_as_configured(
    scratch_image_factory: Callable[..., ScratchSession], scratch_image: ScratchImage, engine: docker.DockerClient
) -> None:
    variant = scratch_image_factory(hardened=False, user=1000, env={"WAIT_TIME": "0.2"}, budget="5MB")
    image = variant.image()
    assert variant.build is not None
    assert variant.build.cached  # the binary of the default image: only run settings differ
    assert image.tag != scratch_image.tag
    assert image.user == 1000
    assert variant.settings.budget == 5_000_000

    container = variant.container()
    host = engine.containers.get(container.id).attrs["HostConfig"]
    assert host["ReadonlyRootfs"] is False
    assert set(container.process_users().values()) == {1000}
    response = requests.get(f"{container.url}/number", timeout=10)
    assert response.ok
    assert response.elapsed.total_seconds() >= 0.2

    variant.close()
    assert not engine.containers.list(all=True, filters={"id": container.id})
    assert not engine.images.list(name=image.tag)


def test_unknown_or_invalid_variant_settings_say_so(scratch_image_factory: Callable[..., ScratchSession]) -> None:
    with pytest.raises(TypeError, match=r"unknown setting 'budgett'; known: app, app_path, budget, "):
        scratch_image_factory(budgett="5MB")
    with pytest.raises(ValueError, match="scratch_image_port = '80': expected a port of 1024 or more"):
        scratch_image_factory(port="80")

"""What a session keeps and what it removes: the reaper takes a dead session's tags, never a tag of the user's."""

from __future__ import annotations

import contextlib
import io
import os
import socket
import tarfile
import uuid

import docker
import pytest

from pytest_scratchimage.cleanup import OWNER, REPOSITORY, Owner, reap

pytestmark = pytest.mark.integration


def test_the_reaper_removes_a_dead_sessions_tags_and_never_a_tag_of_the_users(engine: docker.DockerClient) -> None:
    dead = Owner(socket.gethostname(), os.getpid(), "a start time this process never had")
    files = io.BytesIO()
    with tarfile.open(fileobj=files, mode="w") as tar:
        tar.addfile(tarfile.TarInfo("empty"), io.BytesIO(b""))
    suffix = uuid.uuid4().hex[:8]
    ours, users = f"{REPOSITORY}reaped:{suffix}", f"scratchimage-kept-{suffix}:tested"
    engine.api.import_image_from_data(files.getvalue(), repository=ours, changes=[f'LABEL "{OWNER}"="{dead}"'])
    engine.images.get(ours).tag(users)
    try:
        assert f"image {ours}" in reap(engine)
        assert engine.images.get(users).tags == [users]  # the image stays, under the user's tag alone
    finally:
        for tag in (ours, users):
            with contextlib.suppress(docker.errors.ImageNotFound):
                engine.images.remove(tag)

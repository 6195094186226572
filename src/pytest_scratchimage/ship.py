"""Ship: what a green session keeps of the image it tested, the very image ID its tests probed (no rebuild): a tag
(``scratch_image_tag``) and a ``docker load``-able archive (``scratch_image_save``). A red session keeps nothing.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ScratchImageError
from .sizes import format_size

if TYPE_CHECKING:
    import docker


def keep(client: docker.DockerClient, image_id: str, tag: str | None, save: Path | None) -> list[str]:
    """Tag ``image_id`` and write its archive as asked; return what was kept. On a failure nothing stays."""
    import docker.errors

    previous = _tagged(client, tag) if tag is not None else None
    kept = []
    try:
        if tag is not None:
            repository, _, name = tag.rpartition(":")
            if not client.api.tag(image_id, repository, name, force=True):
                raise ScratchImageError(f"tag: scratch_image_tag = {tag!r}: the engine did not tag {image_id}")
            kept.append(f"tagged {tag}: image {image_id}, the one the tests probed")
        if save is not None:
            # by the tag, when there is one, so that docker load names the image too
            size = write_archive(client, tag or image_id, save)
            kept.append(f"saved {tag or image_id} to {save} ({format_size(size)}): docker load -i {save}")
    except docker.errors.APIError as error:
        _untag(client, tag, previous)
        raise ScratchImageError(f"tag: the engine refused to keep {image_id}: {error.explanation}") from None
    except OSError as error:
        _untag(client, tag, previous)
        raise ScratchImageError(
            f"save: scratch_image_save = {str(save)!r}: the archive could not be written ({error.strerror})"
        ) from None
    except BaseException:
        _untag(client, tag, previous)
        raise
    return kept


def not_kept(tag: str | None, save: Path | None, why: str) -> list[str]:
    """What a red session says of what it was asked to keep."""
    return ([f"not tagged {tag}: {why}"] if tag else []) + ([f"not saved to {save}: {why}"] if save else [])


def write_archive(client: docker.DockerClient, reference: str, path: Path) -> int:
    """``docker save reference`` into ``path`` (its folders made), whole or not at all; return its bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as out:
            for chunk in client.api.get_image(reference):
                out.write(chunk)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path.stat().st_size


def release(client: docker.DockerClient, tags: list[str]) -> None:
    """Remove tags held for the end of the session (xdist workers' images); an image goes with its last tag."""
    import docker.errors

    for tag in tags:
        with contextlib.suppress(docker.errors.APIError):
            client.images.remove(tag)


def _tagged(client: docker.DockerClient, tag: str) -> str | None:
    import docker.errors

    try:
        return str(client.images.get(tag).id)
    except docker.errors.ImageNotFound:
        return None


def _untag(client: docker.DockerClient, tag: str | None, previous: str | None) -> None:
    """Undo a tag: back on the image it named before, else removed."""
    import docker.errors

    if tag is None:
        return
    with contextlib.suppress(docker.errors.APIError):
        if previous is not None:
            repository, _, name = tag.rpartition(":")
            client.api.tag(previous, repository, name, force=True)
        else:
            client.images.remove(tag)

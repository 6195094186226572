"""git, the server's own client, clones the repository from the image over smart HTTP."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pytest_scratchimage import ScratchContainer


def test_git_clones_the_repository(scratch_container: ScratchContainer, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    command = ["git", "-c", "protocol.version=0", "clone", "--quiet", scratch_container.url + "/", str(clone)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert (clone / "README").read_text() == "served from a scratch image\n"
    log = subprocess.run(["git", "-C", str(clone), "log", "--format=%s"], capture_output=True, text=True, check=True)
    assert log.stdout == "the first commit\n"

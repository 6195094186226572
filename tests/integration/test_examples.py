"""The examples under examples/, each run as its users would: ``cd examples/<name> && pytest --scratch-image``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parents[2] / "examples"
FOLDERS = sorted(p for p in EXAMPLES.iterdir() if (p / "tests").is_dir())
COMMAND = [sys.executable, "-m", "pytest", "--scratch-image", "-p", "no:randomly", "--color=no"]
TAIL = 80  # lines of the example's output shown when it fails

pytestmark = pytest.mark.integration


def example_env() -> dict[str, str]:
    """This environment without the outer session's PYTEST_* variables: the example's own config rules."""
    return {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}


@pytest.mark.parametrize("folder", FOLDERS, ids=[p.name for p in FOLDERS])
def test_example_passes_with_its_own_config(folder: Path, pytestconfig: pytest.Config) -> None:
    if not pytestconfig.getoption("--scratch-image"):
        pytest.skip("builds and runs the example's image: pass --scratch-image")
    # The example is its own rootdir, with its own ini file and its own .pytest_cache (binary cache).
    done = subprocess.run(
        COMMAND, cwd=folder, env=example_env(), capture_output=True, text=True, timeout=1200, check=False
    )
    output = done.stdout + done.stderr
    tail = "\n".join(output.splitlines()[-TAIL:])
    assert done.returncode == 0, f"{folder.name}: pytest exited with code {done.returncode}; its output ends:\n{tail}"
    assert "= scratch image =" in output, f"{folder.name}: no scratch image summary; its output ends:\n{tail}"

"""The corpus's fast subset: bench/corpus.py on two rows whose packages this venv holds and whose builds are cheap.

The whole corpus (``python bench/corpus.py``, 18 stacks on three Pythons) takes over an hour; these two run
the same script, with this interpreter instead of the corpus's venvs: a WSGI and an ASGI stack, each
configured by its app line and health path alone, built, probed by its test, started against its floor.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
ROWS = ("falcon", "starlette")

pytestmark = pytest.mark.integration


def test_the_corpus_script_passes_two_rows_and_writes_their_table(tmp_path: Path, pytestconfig: pytest.Config) -> None:
    if not pytestconfig.getoption("--scratch-image"):
        pytest.skip("builds and runs two of the corpus's images: pass --scratch-image")
    results, readme = tmp_path / "corpus.json", tmp_path / "README.md"
    command = [sys.executable, str(ROOT / "bench" / "corpus.py"), "--interpreter", sys.executable, "--rounds", "1"]
    command += [f"--only={row}" for row in ROWS] + [f"--results={results}", f"--readme={readme}"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    found = json.loads(results.read_text())
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for row in ROWS:
        result = found[f"{version}/{row}"]
        assert result["passed"], f"{row}: {result['why']}\n{result['tail']}"
        assert result["size"] > 0
        assert len(result["starts"]["image"]) == len(result["starts"]["host"]) == 1
    table = readme.read_text()
    assert "<!-- corpus table: begin -->" in table
    assert "| falcon 4.4.0 (WSGI): `things:app`, `/health` | requests: media in and out | yes |" in table
    assert "| starlette 1.10.0 (ASGI): `hello:app`, `/health` | requests | yes |" in table
    assert f"{version}" in table

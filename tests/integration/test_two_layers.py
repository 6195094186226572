"""scratch_image_layout = layers on a copy of the fixture app: two layers, and an edit of the app's module
served again from the cached runtime, whose layer stays byte for byte the same."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

FIXTURE_APP = Path(__file__).parents[2] / "fixtures" / "app"
PROBES = """
    import json, pathlib

    def test_serves_from_two_layers(scratch_image, scratch_http):
        attrs = scratch_image.client.images.get(scratch_image.id).attrs
        files = {f.path: [f.mode, f.uid] for f in scratch_image.files() if f.path.startswith("/opt/app")}
        answer = scratch_http.get("/number").json()
        shown = {"layers": attrs["RootFS"]["Layers"], "files": files, "answer": sorted(answer)}
        pathlib.Path("seen.json").write_text(json.dumps(shown))
"""


def run(pytester: pytest.Pytester, app: Path, cache: Path) -> tuple[pytest.RunResult, dict[str, Any]]:
    ini = {
        "app": "random_api:app", "app_path": str(app), "health_path": "/health", "probe_paths": "/number",
        "layout": "layers", "cache_dir": str(cache),
    }  # fmt: skip
    args = [arg for name, value in ini.items() for arg in ("-o", f"scratch_image_{name}={value}")]
    result = pytester.runpytest("--scratch-image", "-p", "no:randomly", *args)
    result.assert_outcomes(passed=1)
    return result, json.loads((pytester.path / "seen.json").read_text())


def test_an_edit_of_the_app_makes_only_its_layer_again(pytester: pytest.Pytester, tmp_path: Path) -> None:
    app, cache = tmp_path / "app", tmp_path / "cache"
    shutil.copytree(FIXTURE_APP, app)
    pytester.makepyfile(PROBES)
    first, seen = run(pytester, app, cache)
    assert len(seen["layers"]) == 2
    # compiled, sourceless, root's and read-only
    assert seen["files"] == {"/opt/app": [0o555, 0], "/opt/app/random_api.pyc": [0o444, 0]}
    assert seen["answer"] == ["higherLimit", "lowerLimit", "number"]
    first.stdout.fnmatch_lines(["*building *: no build yet", "layers   runtime * MB; app * (1 module, 0 other files)*"])

    module = app / "random_api.py"
    module.write_text(module.read_text().replace('"number": random', '"drawn": random'))
    second, again = run(pytester, app, cache)
    second.stdout.fnmatch_lines(["*cached build *"])
    assert "building" not in second.stdout.str()
    assert again["answer"] == ["drawn", "higherLimit", "lowerLimit"]
    assert again["layers"][0] == seen["layers"][0]  # the runtime's, unchanged
    assert again["layers"][1] != seen["layers"][1]

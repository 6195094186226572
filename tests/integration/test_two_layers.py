"""scratch_image_layout = layers on a copy of the fixture app that reads a file beside its module: two layers,
and an edit of the module and of the file served again from the cached runtime, whose layer stays byte for
byte the same."""

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
        shown["higher"] = answer["higherLimit"]
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
    module, limit = app / "random_api.py", app / "limit.txt"
    reads = 'HIGHER_LIMIT = int(__import__("pathlib").Path(__file__).with_name("limit.txt").read_text())'
    module.write_text(module.read_text().replace("HIGHER_LIMIT = 100", reads))  # as Flask finds its templates
    limit.write_text("100\n")
    pytester.makepyfile(PROBES)
    first, seen = run(pytester, app, cache)
    assert len(seen["layers"]) == 2
    # compiled, sourceless, root's and read-only; the file beside the module where its __file__ finds it
    assert seen["files"] == {
        "/opt/app": [0o555, 0], "/opt/app/random_api.pyc": [0o444, 0], "/opt/app/limit.txt": [0o444, 0]
    }  # fmt: skip
    assert (seen["answer"], seen["higher"]) == (["higherLimit", "lowerLimit", "number"], 100)
    first.stdout.fnmatch_lines(["*building *: no build yet", "layers   runtime * MB; app * (1 module, 1 other file)*"])

    module.write_text(module.read_text().replace('"number": random', '"drawn": random'))
    limit.write_text("50\n")
    second, again = run(pytester, app, cache)
    second.stdout.fnmatch_lines(["*cached build *"])
    assert "building" not in second.stdout.str()
    assert (again["answer"], again["higher"]) == (["drawn", "higherLimit", "lowerLimit"], 50)
    assert again["layers"][0] == seen["layers"][0]  # the runtime's, unchanged
    assert again["layers"][1] != seen["layers"][1]

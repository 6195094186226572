"""The app layer's pure part: which packages are the app's own, what they import, the layer's bytes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import sysconfig
import tarfile
import zlib
from pathlib import Path

import pytest

from pytest_scratchimage.breakdown import Entry
from pytest_scratchimage.build import held, launcher_of, layered_facts, runtime_lacks
from pytest_scratchimage.errors import ScratchImageError
from pytest_scratchimage.launcher import Launcher
from pytest_scratchimage.layers import (
    APP_FOLDER,
    AppFiles,
    app_files,
    beside_modules,
    has_own,
    imports,
    lacking,
    layer,
    own_tops,
    runtime_needs,
)
from pytest_scratchimage.record import Needs
from pytest_scratchimage.settings import resolve
from pytest_scratchimage.wsgi import AppSpec

SHOP = {
    "shop/__init__.py": "from .views import app\n",
    "shop/views.py": (
        "import json\nimport falcon.asgi\nfrom json import decoder\nfrom os import path\nfrom . import models\n"
        "from shop import models as again\n\ndef late():\n    import wave\n"
    ),
    "shop/models.py": '"""The models."""\n\nX = 1\n',
    "shop/templates/index.html": "<h1>hi</h1>\n",
    "shop/__pycache__/views.cpython-311.pyc": "stale",
    "helpers.py": "import email.parser\n",
    "conftest.py": "import pytest\n",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, text in SHOP.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_the_apps_own_are_its_package_and_what_the_record_loaded_from_its_folders(project: Path) -> None:
    site = sysconfig.get_paths()["purelib"]
    modules = {
        "helpers": str(project / "helpers.py"),
        "shop.views": str(project / "shop" / "views.py"),
        "falcon": f"{site}/falcon/__init__.py",  # installed, though it may sit in the rootdir's venv
        "launcher": str(project / ".pytest_cache" / "d" / "launcher.py"),  # not directly in an app folder
        "sys": "",
    }
    assert own_tops("shop.views", [project], modules) == ("helpers", "shop")
    assert own_tops("shop", [project]) == ("shop",)
    assert own_tops("wsgidav.server.server_cli", [project]) == ()  # an app installed from PyPI: nothing of its own


def test_an_installed_package_in_the_app_folder_is_not_the_apps(tmp_path: Path) -> None:
    site = Path(sysconfig.get_paths()["purelib"])
    assert own_tops("app", [site.parent], {"site": str(site / "x.py")}) == ()


def test_the_apps_files_are_its_sources_and_the_rest_of_its_packages_but_bytecode(project: Path) -> None:
    files = app_files(("shop", "helpers", "absent"), [project])
    assert [where for _, where in files.sources] == [
        "shop/__init__.py",
        "shop/models.py",
        "shop/views.py",
        "helpers.py",
    ]
    assert [where for _, where in files.others] == ["shop/templates/index.html"]
    assert files.sources[0][0] == project / "shop" / "__init__.py"


def test_what_the_apps_sources_import_from_outside(project: Path) -> None:
    found = imports(app_files(("shop", "helpers"), [project]))
    # json.decoder is a module on this host; os.path's "path" is not a submodule of a package; own ones go
    assert found == ("email.parser", "falcon.asgi", "json", "json.decoder", "os", "wave")


def test_a_source_that_does_not_parse_imports_nothing_here(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("import json\ndef (:\n")
    assert imports(app_files(("broken",), [tmp_path])) == ()


def test_the_runtime_lacks_what_it_does_not_hold_but_built_ins_and_exclusions() -> None:
    wanted = ["json", "sys", "falcon.asgi", "ssl", "_ssl", "wave", "tkinter.ttk"]
    assert lacking(wanted, ["json", "falcon.asgi"], ["ssl", "_ssl", "tkinter"]) == ["wave"]
    assert lacking(["sslx"], [], ["ssl"]) == ["sslx"]  # an exclusion covers its submodules, not its namesakes


def test_the_runtime_needs_the_apps_imports_and_not_the_app(project: Path) -> None:
    own = app_files(("shop", "helpers"), [project])
    learnt = Needs(
        hidden_imports=("shop.models", "helpers", "falcon.routing", "shopping"),
        datas=((str(project / "shop" / "templates"), "shop/templates"), ("/elsewhere/data.json", "pkg")),
        metadata=("falcon",),
    )
    needed = runtime_needs(learnt, own)
    assert needed.hidden_imports[:2] == ("falcon.routing", "shopping")
    assert set(needed.hidden_imports[2:]) == set(imports(own))
    assert needed.datas == (("/elsewhere/data.json", "pkg"),)
    assert needed.metadata == ("falcon",)


def test_the_data_beside_a_top_level_module_goes_with_it_to_the_layer(project: Path) -> None:
    """``helpers.py`` finds its files from its ``__file__``, in the layer's folder: they go there, not to the
    runtime."""
    for name in ("limits.txt", "pages/index.html", "pages/__pycache__/x.pyc", "docs/notes.txt"):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text("x")
    read = (
        (str(project / "limits.txt"), "."),
        (str(project / "pages"), "pages"),
        (str(project / "gone.txt"), "."),  # read by the record, deleted since
        (str(project / "shop" / "templates"), "shop/templates"),  # the package's: in its folder already
        ("/elsewhere/data.json", "pkg"),
        (str(project / "v/lib/site-packages/blacksheep/res/error.css"), "blacksheep/res"),  # a venv's package's
    )
    (project / "v/lib/site-packages/blacksheep/res").mkdir(parents=True)
    (project / "v/lib/site-packages/blacksheep/res/error.css").write_text("p {}")
    learnt = Needs(datas=read)
    beside = beside_modules(learnt, ("shop", "helpers"), [project])
    assert beside == read[:3]
    own = app_files(("shop", "helpers"), [project], beside)
    assert [where for _, where in own.others] == ["shop/templates/index.html", "limits.txt", "pages/index.html"]
    assert own.others[1][0] == project / "limits.txt"
    assert runtime_needs(learnt, own).datas == (read[2], *read[4:])  # nothing of the layer's own stays behind
    assert beside_modules(learnt, ("shop",), [project]) == ()  # a package's folder is not its parent's


def members(data: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {member.name: member for member in tar.getmembers()}


def test_the_layer_is_the_sources_compiled_and_the_files_as_they_are_root_s_and_read_only(project: Path) -> None:
    files = app_files(("shop", "helpers"), [project])
    made = layer(files, 2)
    assert made == layer(files, 2)  # no timestamps: the same files make the same bytes
    found = members(made)
    assert sorted(found) == [
        "opt", "opt/app", "opt/app/helpers.pyc", "opt/app/shop", "opt/app/shop/__init__.pyc",
        "opt/app/shop/models.pyc", "opt/app/shop/templates", "opt/app/shop/templates/index.html",
        "opt/app/shop/views.pyc",
    ]  # fmt: skip
    assert {(m.uid, m.gid, m.mtime) for m in found.values()} == {(0, 0, 0)}
    assert {m.mode for m in found.values() if m.isdir()} == {0o555}
    assert {m.mode for m in found.values() if m.isfile()} == {0o444}
    assert layer(files, 0) != made  # the level the runtime is frozen at


def test_the_layer_imports_sourceless_with_the_images_paths(tmp_path: Path) -> None:
    (tmp_path / "src" / "greet").mkdir(parents=True)
    (tmp_path / "src" / "greet" / "__init__.py").write_text(
        '"""Doc."""\n\ndef hello():\n    raise ValueError(__doc__)\n'
    )
    with tarfile.open(fileobj=io.BytesIO(layer(app_files(("greet",), [tmp_path / "src"]), 2))) as tar:
        tar.extractall(tmp_path / "root", filter="fully_trusted")
    code = "import greet\nprint(greet.__file__, greet.__doc__)\ngreet.hello()"
    folder = tmp_path / "root" / APP_FOLDER.lstrip("/")
    done = subprocess.run([sys.executable, "-OO", "-c", f"import sys; sys.path.insert(0, {str(folder)!r})\n{code}"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.stdout.split() == [str(folder / "greet" / "__init__.pyc"), "None"]  # sourceless, at -OO
    assert f'File "{APP_FOLDER}/greet/__init__.py", line 4, in hello' in done.stderr


def test_a_source_that_does_not_compile_names_its_file(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def (:\n")
    with pytest.raises(ScratchImageError, match=rf"^layers: {tmp_path / 'broken.py'} does not compile: "):
        layer(app_files(("broken",), [tmp_path]), 2)


def test_an_app_installed_from_pypi_is_frozen_in_as_in_one_layer(project: Path) -> None:
    assert has_own("shop.views", [project])
    assert has_own("helpers", [project])
    assert not has_own("wsgidav.server", [project])
    layered = resolve({"app": "shop.views:app", "layout": "layers"}, project)
    installed = resolve({"app": "wsgidav.server:app", "layout": "layers"}, project)
    assert launcher_of(layered).layer == APP_FOLDER
    assert launcher_of(installed).layer is None
    assert launcher_of(resolve({"app": "shop.views:app"}, project)).layer == APP_FOLDER  # the default
    assert launcher_of(resolve({"app": "shop.views:app", "layout": "single"}, project)).layer is None


def test_the_launcher_imports_the_app_from_its_layer_by_name() -> None:
    single = Launcher(AppSpec("shop.views", "app"), 8000, 2).render()
    layered = Launcher(AppSpec("shop.views", "app"), 8000, 2, layer=APP_FOLDER).render()
    assert "from shop.views import app as _target" in single
    assert "sys.path.insert(0, '/opt/app')" in layered
    assert "_target = getattr(import_module('shop.views'), 'app')" in layered
    assert "from shop.views import" not in layered
    compile(layered, "launcher.py", "exec")


def test_the_runtime_holds_its_archives_modules_its_base_library_and_its_extensions() -> None:
    library = io.BytesIO()
    with __import__("zipfile").ZipFile(library, "w") as archive:
        archive.writestr("os.pyc", b"")
        archive.writestr("encodings/__init__.pyc", b"")
        archive.writestr("encodings/utf_8.pyc", b"")
    entries = [
        Entry(("package", "falcon"), b"", name="falcon.asgi", kind="module"),
        Entry(("stdlib", "lib-dynload"), b"", name="lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so", kind="binary"),
        Entry(("package", "x"), b"", name="psycopg_binary/_psycopg.cpython-311-x86_64-linux-gnu.so", kind="binary"),
        Entry(("library", "libc"), b"", name="libc.so.6", kind="binary"),
        Entry(("stdlib", "base_library.zip"), zlib.compress(library.getvalue()), name="base_library.zip"),
    ]
    assert held(entries) == ["_ssl", "encodings", "encodings.utf_8", "falcon.asgi", "os", "psycopg_binary._psycopg"]


def test_a_cached_runtime_is_made_again_when_the_app_imports_what_it_lacks(project: Path, tmp_path: Path) -> None:
    settings = resolve({"app": "shop:app", "layout": "layers", "trim": ["tls"]}, project)
    folder = tmp_path / "build"
    folder.mkdir()
    held_now = ["json", "json.decoder", "os", "falcon.asgi", "email.parser"]
    (folder / "build.json").write_text(json.dumps({"layers": {"tops": ["shop", "helpers"], "modules": held_now}}))
    own, layered = app_files(("shop", "helpers"), [project]), layered_facts(folder)
    assert layered is not None
    assert runtime_lacks(layered, settings, own) == "the app now imports wave, which the runtime lacks"
    (project / "shop" / "views.py").write_text("import ssl\nimport json\n")  # ssl: left out by the tls trim
    assert runtime_lacks(layered, settings, app_files(("shop", "helpers"), [project])) is None


def test_app_files_keep_their_tops() -> None:
    assert AppFiles(("a",)).tops == ("a",)

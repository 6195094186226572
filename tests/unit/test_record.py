"""What a record says: the modules used, the data and metadata to ship, and what is never used.

The records here are written by hand over a made-up site-packages, as ``host/record.py`` writes them.
"""

from __future__ import annotations

import _json
import dataclasses
import os
import sys
import sysconfig
from pathlib import Path

import pytest

from pytest_scratchimage.record import (
    Needs,
    Probe,
    Record,
    data,
    holder,
    metadata,
    module_of,
    needs,
    package_roots,
    read_facts,
    stdlib_roots,
    unused_modules,
)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """site-packages with a package that has templates, static files, a plugin folder and metadata."""
    root = tmp_path / "site-packages"
    files = {
        "shop/__init__.py": "",
        "shop/views.py": "",
        "shop/plugins/__init__.py": "",
        "shop/plugins/auth.py": "",
        "shop/plugins/payments.py": "",
        "shop/templates/index.html": "<html>",
        "shop/static/app.css": "body {}",
        "shop/static/img/logo.png": "png",
        "shop/_speedups.cpython-311-x86_64-linux-gnu.so": "elf",
        "shop-2.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: Shop\nVersion: 2.0\n",
        "shop-2.0.dist-info/RECORD": "",
        "lonely/__init__.py": "",
        "shop/ns/helpers.py": "",  # a namespace package: no __init__.py
        "shop/__pycache__/views.cpython-311.pyc": "",
        "shop/legacy.pyc": "",
        "shop/views.pyi": "",
        "old-1.0.egg-info/PKG-INFO": "Metadata-Version: 1.0\nName: Old\n",
        "bare-1.0.dist-info/RECORD": "",
        "odd-1.0.dist-info/METADATA": b"Name: Odd\n\xff\xfe".decode("latin-1"),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="latin-1")
    return root


def recorded(site: Path, app: Path, **facts: object) -> Record:
    return Record(path=(str(app), str(site)), **facts)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("relative", "module"),
    [
        ("shop/__init__.py", "shop"),
        ("shop/views.py", "shop.views"),
        ("shop/__pycache__/views.cpython-311.pyc", "shop.views"),
        ("shop/_speedups.cpython-311-x86_64-linux-gnu.so", "shop._speedups"),
        ("shop/_speedups.abi3.so", "shop._speedups"),
        ("top.py", "top"),
        ("shop/templates/index.html", None),
        ("shop-2.0.dist-info/METADATA", None),
        ("my-app/views.py", None),
    ],
)
def test_module_of_a_file(relative: str, module: str | None) -> None:
    assert module_of(f"/site/{relative}", "/site") == module


def test_used_modules_are_those_held_at_exit_and_those_whose_code_was_read(site: Path, tmp_path: Path) -> None:
    record = recorded(
        site,
        tmp_path,
        modules={"shop": str(site / "shop/__init__.py")},
        opened=frozenset({str(site / "shop/plugins/__pycache__/auth.cpython-311.pyc"), "/etc/mime.types"}),
    )
    assert record.used() == {"shop", "shop.plugins.auth"}


def test_needs_hidden_imports_what_the_app_loaded_but_not_the_interpreters_start(site: Path, tmp_path: Path) -> None:
    record = recorded(
        site,
        tmp_path,
        started=frozenset({"site", "encodings"}),
        modules={
            "site": "/usr/lib/python3.11/site.py",
            "encodings": "/usr/lib/python3.11/encodings/__init__.py",
            "shop": str(site / "shop/__init__.py"),
            "shop.plugins.auth": str(site / "shop/plugins/auth.py"),
            "ssl": "",  # the tls trim's stub: spec-less
            "_sre": "",  # built in: it has no file
            "__main__": "/cache/launcher.py",
            "passlib.utils.compat": "/site/passlib/utils/compat.py",
            "_sysconfigdata__linux_x86_64-linux-gnu": "/usr/lib/python3.11/_sysconfigdata.py",
            "__editable___shop_finder": "/site/__editable___shop_finder.py",
            "tkinter.ttk": "/usr/lib/python3.11/tkinter/ttk.py",
        },
        nospec=frozenset({"ssl", "passlib.utils.compat"}),
        opened=frozenset({str(site / "shop/plugins/payments.py")}),
    )
    learnt = needs(record, [tmp_path], excludes=("tkinter",))
    assert learnt.hidden_imports == ("shop", "shop.plugins.auth", "shop.plugins.payments")


def test_data_files_read_and_folders_looked_into_go_at_their_place(site: Path, tmp_path: Path) -> None:
    record = recorded(
        site,
        tmp_path,
        modules={"shop": str(site / "shop/__init__.py"), "shop.plugins": str(site / "shop/plugins/__init__.py")},
        opened=frozenset(
            {
                str(site / "shop/templates/index.html"),
                str(site / "shop/static/app.css"),  # inside a folder that goes whole: not listed again
                str(site / "shop/views.py"),  # code
                str(site / "shop/missing.json"),  # a failed open
                "/etc/mime.types",  # outside the app's folders and packages
            }
        ),
        looked=frozenset(
            {
                str(site / "shop/static"),  # isdir() at start, served later
                str(site / "shop/static/img"),  # inside it
                str(site / "shop/plugins"),  # a package: the import system lists it
                str(site / "shop"),
                str(site),  # a root itself
                str(site / "shop/__pycache__"),
                str(site / "shop-2.0.dist-info"),
            }
        ),
    )
    assert data(record, package_roots(record, [tmp_path])) == [
        (str(site / "shop/static"), "shop/static"),
        (str(site / "shop/templates/index.html"), "shop/templates"),
    ]


def test_files_of_the_apps_own_folder_are_data_too(tmp_path: Path, site: Path) -> None:
    app = tmp_path / "app"
    (app / "templates").mkdir(parents=True)
    (app / "templates" / "page.html").write_text("<p>")
    (app / "settings.toml").write_text("")
    record = recorded(site, app, opened=frozenset({str(app / "templates/page.html"), str(app / "settings.toml")}))
    assert data(record, package_roots(record, [app])) == [
        (str(app / "settings.toml"), "."),
        (str(app / "templates/page.html"), "templates"),
    ]


def test_the_folders_of_tools_are_never_data(tmp_path: Path, site: Path) -> None:
    app = tmp_path / "app"
    for folder in (".pytest_cache/d/scratchimage", ".git", ".venv/lib", "docs"):
        (app / folder).mkdir(parents=True)
    (app / ".git" / "HEAD").write_text("ref: refs/heads/main")
    (app / "pyproject.toml").write_text("")
    looked = frozenset(
        str(app / folder) for folder in (".pytest_cache", ".pytest_cache/d/scratchimage", ".venv/lib", "docs")
    )
    opened = frozenset({str(app / ".git/HEAD"), str(app / "pyproject.toml")})
    record = recorded(site, app, opened=opened, looked=looked)
    assert data(record, package_roots(record, [app])) == [
        (str(app / "docs"), "docs"),
        (str(app / "pyproject.toml"), "."),
    ]


def test_a_virtual_environment_in_the_app_folder_is_never_data_whatever_its_name(tmp_path: Path) -> None:
    """A venv ``v`` in the rootdir: Python's start reads its pyvenv.cfg and looks into it; its packages' data
    is found through its site-packages, where the frozen app finds it too."""
    app = tmp_path / "app"
    site = app / "v" / "lib" / "python3.13" / "site-packages"
    (site / "shop" / "res").mkdir(parents=True)
    (app / "v" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (site / "shop" / "res" / "error.css").write_text("p {}")
    looked = frozenset({str(app / "v"), str(app / "v" / "lib")})
    opened = frozenset({str(app / "v" / "pyvenv.cfg"), str(site / "shop" / "res" / "error.css")})
    record = recorded(site, app, opened=opened, looked=looked)
    assert data(record, package_roots(record, [app])) == [(str(site / "shop" / "res" / "error.css"), "shop/res")]


def test_metadata_of_the_distributions_whose_files_were_read(site: Path, tmp_path: Path) -> None:
    record = recorded(
        site,
        tmp_path,
        opened=frozenset(
            {
                str(site / "shop-2.0.dist-info/METADATA"),
                str(site / "shop-2.0.dist-info/entry_points.txt"),  # not there: no metadata of it is needed
                str(site / "gone-1.0.dist-info/METADATA"),
                "/elsewhere/x-1.0.dist-info/METADATA",
            }
        ),
    )
    assert metadata(record, package_roots(record, [tmp_path])) == ["Shop"]


def test_package_roots_are_the_apps_folders_and_the_non_stdlib_path(site: Path, tmp_path: Path) -> None:
    stdlib = str(Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}")
    record = Record(path=(str(tmp_path), stdlib, str(site), str(tmp_path / "missing"), ""))
    roots = package_roots(record, [tmp_path])
    assert roots[0] == str(tmp_path.resolve())
    assert str(site.resolve()) in roots
    assert str(tmp_path / "missing") not in roots


def test_unused_modules_are_the_fewest_names_covering_what_was_never_loaded(site: Path, tmp_path: Path) -> None:
    record = recorded(
        site,
        tmp_path / "app",
        started=frozenset({"encodings"}),
        modules={
            "shop": str(site / "shop/__init__.py"),
            "shop.plugins.auth": str(site / "shop/plugins/auth.py"),
            "json": "/usr/lib/json/__init__.py",
        },
    )
    unused = set(unused_modules(record, [tmp_path / "app"], keep=("tarfile",)))
    assert {"shop.views", "shop._speedups", "shop.plugins.payments"} <= unused
    assert not {"shop", "shop.plugins", "shop.plugins.auth"} & unused
    assert "lonely" in unused  # installed, never imported
    assert {"decimal", "multiprocessing"} <= unused  # the standard library the app never loaded
    assert not {"json", "encodings", "tarfile"} & unused


def test_what_is_kept_keeps_its_parents_and_what_it_imports_eagerly(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "lib").mkdir(parents=True)
    (site / "lib" / "__init__.py").write_text("from . import _speedups\n")
    (site / "lib" / "_speedups.cpython-311-x86_64-linux-gnu.so").write_text("elf")
    (site / "lib" / "other.py").write_text("")
    (site / "lonely" / "sub").mkdir(parents=True)
    (site / "lonely" / "__init__.py").write_text("")
    (site / "lonely" / "sub" / "__init__.py").write_text("")
    record = Record(path=(str(site),), modules={"lib": str(site / "lib" / "__init__.py")})
    unused = set(unused_modules(record, [], keep=("xml.dom.minidom", "lonely.sub")))
    assert not {"xml", "lonely", "lonely.sub", "lib._speedups"} & unused  # a hidden import's parents stay
    assert {"lib.other", "decimal"} <= unused


def test_a_package_loaded_under_another_name_is_trimmed_below_its_own_name_alone(tmp_path: Path) -> None:
    site = tmp_path / "site"
    vendored = site / "setuptools" / "_distutils"
    vendored.mkdir(parents=True)
    for name in ("setuptools/__init__.py", "setuptools/_distutils/__init__.py", "setuptools/_distutils/_macos.py"):
        (site / name).write_text("")
    modules = {
        "setuptools": str(site / "setuptools/__init__.py"),
        "setuptools._distutils": str(vendored / "__init__.py"),
        "distutils": str(vendored / "__init__.py"),  # setuptools' shim on Python 3.12 and later
    }
    unused = unused_modules(Record(path=(str(site),), modules=modules), [])
    assert "setuptools._distutils._macos" in unused
    assert not [name for name in unused if name.startswith("distutils.")]


def test_what_a_path_entry_inside_a_package_holds_is_never_trimmed(tmp_path: Path) -> None:
    site = tmp_path / "site"
    vendor = site / "setuptools" / "_vendor"  # on sys.path from setuptools 71: jaraco.text is also its own name
    (vendor / "jaraco" / "text").mkdir(parents=True)
    for name in ("setuptools/__init__.py", "setuptools/_vendor/jaraco/text/__init__.py", "setuptools/_vendor/six.py"):
        (site / name).write_text("")
    (vendor / "jaraco" / "text" / "layouts.py").write_text("")
    modules = {
        "setuptools": str(site / "setuptools/__init__.py"),
        "jaraco.text": str(vendor / "jaraco/text/__init__.py"),
    }
    unused = unused_modules(Record(path=(str(site), str(vendor)), modules=modules), [])
    assert not [name for name in unused if name.startswith(("jaraco", "six"))]


def test_a_package_of_the_apps_own_folder_is_never_trimmed(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "mine").mkdir(parents=True)
    (app / "mine" / "__init__.py").write_text("")
    (app / "mine" / "rarely.py").write_text("")
    record = Record(path=(str(app),), modules={"mine": str(app / "mine/__init__.py")})
    assert not [name for name in unused_modules(record, [app]) if name.startswith("mine")]


def test_facts_from_every_process_merge(tmp_path: Path) -> None:
    lines = {
        "rec-1.tsv": [
            "started\tstartup\tsite\t",
            "import\tboot\tshop\t",
            "open\tboot\t/site/shop/__init__.py\tr",
            "open\tboot\t/cwd/log.txt\tw",
            "stat\tboot\t/site/shop/static\t",
            "module\tend\tshop\t/site/shop/__init__.py",
            "path\tend\t/app\t",
            "path\tend\t/site\t",
        ],
        "rec-2.tsv": [
            "list\tworker\t/site/shop/plugins\t",
            "nospec\tend\tssl\t",
            "tls\tworker\tclient example.org\t",
            "module\tend\tshop\t/elsewhere/shop/__init__.py",
            "path\tend\t/site\t",
        ],
    }
    for name, content in lines.items():
        (tmp_path / name).write_text("\n".join(content) + "\n")
    facts = read_facts(tmp_path)
    assert facts == {
        "started": frozenset({"site"}),
        "nospec": frozenset({"ssl"}),
        "imports": frozenset({"shop"}),
        "opened": frozenset({"/site/shop/__init__.py"}),
        "looked": frozenset({"/site/shop/static", "/site/shop/plugins"}),
        "tls": frozenset({"client example.org"}),
        "modules": {"shop": "/site/shop/__init__.py"},
        "path": ("/app", "/site"),
    }


def test_a_record_survives_a_json_round_trip() -> None:
    record = Record(
        started=frozenset({"site"}),
        modules={"shop": "/site/shop/__init__.py"},
        opened=frozenset({"/a"}),
        path=("/app",),
        probes=(Probe("GET", "/", 200, 12),),
        seconds=0.5,
    )
    assert Record.from_dict(record.to_dict()) == record


def test_records_and_needs_are_values() -> None:
    assert Record().seconds == 0.0
    for value in (Probe("GET", "/", 200, 1), Record(), Needs()):
        with pytest.raises(dataclasses.FrozenInstanceError):
            value.seconds = 1  # type: ignore[misc,union-attr]


def test_the_recorder_and_the_interpreters_helpers_are_never_hidden_imports(site: Path, tmp_path: Path) -> None:
    names = ("_distutils_hack", "sitecustomize", "usercustomize", "_virtualenv", "__main__")
    record = recorded(site, tmp_path, modules={name: f"/site/{name}.py" for name in names})
    assert needs(record, [tmp_path]).hidden_imports == ()


def test_code_files_are_not_data_and_neither_are_packages_or_bytecode_folders(site: Path, tmp_path: Path) -> None:
    record = recorded(
        site,
        tmp_path,
        modules={"shop": str(site / "shop/__init__.py"), "shop.ns": ""},
        opened=frozenset(
            str(site / name)
            for name in ("shop/legacy.pyc", "shop/views.pyi", "shop/_speedups.cpython-311-x86_64-linux-gnu.so")
        ),
        looked=frozenset(str(site / name) for name in ("shop/ns", "lonely", "shop/__pycache__", "shop/templates")),
    )
    assert data(record, package_roots(record, [tmp_path])) == [(str(site / "shop/templates"), "shop/templates")]


def test_a_scan_of_entry_points_copies_the_metadata_only_of_distributions_whose_code_ran(tmp_path: Path) -> None:
    root = tmp_path / "site-packages"
    files = {
        "used/__init__.py": "",
        "used-1.0.dist-info/METADATA": "Name: Used\n",
        "used-1.0.dist-info/entry_points.txt": "[pydantic]\nused = used\n",
        "used-1.0.dist-info/RECORD": "used/__init__.py,,\nused-1.0.dist-info/METADATA,,\n",
        "idle/__init__.py": "",
        "idle-1.0.dist-info/METADATA": "Name: Idle\n",
        "idle-1.0.dist-info/entry_points.txt": "[console_scripts]\nidle = idle:main\n",
        "idle-1.0.dist-info/RECORD": "idle/__init__.py,,\nidle-1.0.dist-info/METADATA,,\n",
        "asked-1.0.dist-info/METADATA": "Name: Asked\n",
        "asked-1.0.dist-info/entry_points.txt": "",
        "asked-1.0.dist-info/RECORD": "",
        "untold-1.0.dist-info/METADATA": "Name: Untold\n",
        "untold-1.0.dist-info/entry_points.txt": "",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    scanned = {str(root / f"{name}-1.0.dist-info/entry_points.txt") for name in ("used", "idle", "asked", "untold")}
    record = recorded(
        root,
        tmp_path,
        modules={"used": str(root / "used/__init__.py")},
        opened=frozenset(scanned | {str(root / "asked-1.0.dist-info/METADATA")}),  # importlib.metadata.version
    )
    # Idle was passed over by the scan and none of its code ran; Untold has no RECORD to tell: it is kept.
    assert metadata(record, package_roots(record, [tmp_path])) == ["Asked", "Untold", "Used"]


def test_metadata_names_come_from_metadata_pkg_info_or_the_folder(site: Path, tmp_path: Path) -> None:
    files = ("old-1.0.egg-info/PKG-INFO", "bare-1.0.dist-info/RECORD", "odd-1.0.dist-info/METADATA")
    record = recorded(site, tmp_path, opened=frozenset(str(site / name) for name in files))
    assert metadata(record, package_roots(record, [tmp_path])) == ["Odd", "Old", "bare"]


@pytest.mark.parametrize(
    ("path", "roots", "root"),
    [
        ("/site/a.py", ["/site"], "/site"),
        ("/site", ["/site"], "/site"),
        ("/site2/a.py", ["/site"], None),
        ("/site/app/a.py", ["/site", "/site/app"], "/site/app"),
        ("/site/a.py", ["/site/"], "/site/"),
    ],
)
def test_the_deepest_root_holds_a_path(path: str, roots: list[str], root: str | None) -> None:
    assert holder(path, roots) == root


def test_the_standard_library_roots_include_its_extension_modules() -> None:
    stdlib = sysconfig.get_paths()["stdlib"]
    extensions = os.path.dirname(_json.__file__)  # an extension module of the standard library
    assert stdlib_roots() == {stdlib, extensions}


def test_package_roots_skip_the_standard_library_and_empty_entries(site: Path, tmp_path: Path) -> None:
    stdlib = sysconfig.get_paths()["stdlib"]
    record = Record(path=("", stdlib, str(site), str(site)))
    assert package_roots(record, []) == [str(site.resolve())]


def test_a_fact_read_back_keeps_odd_bytes_and_tabs_in_its_detail(tmp_path: Path) -> None:
    (tmp_path / "rec-1.tsv").write_bytes(b"module\tend\tweird\t/site/we\tird/\xff.py\n")
    facts = read_facts(tmp_path)
    assert facts["modules"] == {"weird": "/site/we\tird/\udcff.py"}


def test_module_of_a_sourceless_bytecode_file() -> None:
    assert module_of("/site/shop/legacy.pyc", "/site") == "shop.legacy"


def test_unused_modules_leave_data_folders_init_files_and_used_subpackages_alone(site: Path, tmp_path: Path) -> None:
    record = recorded(
        site,
        tmp_path / "app",
        modules={"shop": str(site / "shop/__init__.py"), "shop.plugins.auth": str(site / "shop/plugins/auth.py")},
    )
    unused = unused_modules(record, [tmp_path / "app"])
    assert [name for name in unused if name.startswith("shop")] == [
        "shop._speedups",
        "shop.plugins.payments",
        "shop.views",
    ]

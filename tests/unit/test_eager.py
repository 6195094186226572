"""What a module imports at import, in every branch: what the ``unused`` trim keeps beyond the record."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_scratchimage.eager import eager_imports, source_of, top_level_imports

ANYIO_LIKE = """
from typing import TYPE_CHECKING
from ._lazy import install_lazy_importer

if TYPE_CHECKING or not install_lazy_importer():
    from ._core._concurrency_utils import gather
if TYPE_CHECKING:
    from ._core._typing_only import Hint
else:
    from ._core._runtime import Real
try:
    import fast_json as json
except ImportError:
    import json
finally:
    import atexit
with open(__file__):
    import inside_with
for _ in ():
    import in_loop


class Holder:
    import in_class_body


def later():
    import only_when_called
"""


def test_every_branch_of_the_top_level_but_type_checking_and_functions() -> None:
    assert top_level_imports(ANYIO_LIKE, "anyio") == {
        "typing", "typing.TYPE_CHECKING", "anyio._lazy", "anyio._lazy.install_lazy_importer",
        "anyio._core._concurrency_utils", "anyio._core._concurrency_utils.gather",
        "anyio._core._runtime", "anyio._core._runtime.Real",
        "fast_json", "json", "atexit", "inside_with", "in_loop", "in_class_body",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("source", "package", "found"),
    [
        ("from . import sibling", "pkg.sub", {"pkg.sub", "pkg.sub.sibling"}),
        ("from .. import up", "pkg.sub", {"pkg", "pkg.up"}),
        ("from ..mod import x", "pkg.sub", {"pkg.mod", "pkg.mod.x"}),
        ("from ... import too_far", "pkg", set()),
        ("from ...m import beyond", "pkg.sub", set()),  # as importlib.util.resolve_name refuses it
        ("from .m import *", "pkg", {"pkg.m"}),
        ("import typing.TYPE_CHECKING\nif typing.TYPE_CHECKING:\n    import hidden", "", {"typing.TYPE_CHECKING"}),
        ("def broken(:\n", "pkg", set()),
    ],
)
def test_relative_imports_resolve_against_the_package(source: str, package: str, found: set[str]) -> None:
    assert top_level_imports(source, package) == found


def test_the_source_of_a_module_or_package_under_the_roots(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "mod.py").write_text("")
    roots = [str(tmp_path / "elsewhere"), str(tmp_path)]
    assert source_of("pkg", roots) == tmp_path / "pkg" / "__init__.py"
    assert source_of("pkg.sub", roots) == tmp_path / "pkg" / "sub" / "__init__.py"
    assert source_of("pkg.mod", roots) == tmp_path / "pkg" / "mod.py"
    assert source_of("pkg.none", roots) is None


def test_eager_imports_follow_what_the_loaded_modules_import_in_turn(tmp_path: Path) -> None:
    site, other = tmp_path / "site", tmp_path / "other"
    (site / "lib" / "_core").mkdir(parents=True)
    other.mkdir()
    (site / "lib" / "__init__.py").write_text("if not lazy():\n    from ._core import _a\n")
    (site / "lib" / "_core" / "__init__.py").write_text("")
    (site / "lib" / "_core" / "_a.py").write_text("from . import _b\n\ndef f():\n    from . import _c\n")
    (site / "lib" / "_core" / "_b.py").write_text("import json\n")
    (site / "lib" / "_core" / "_c.py").write_text("")
    (other / "outside.py").write_text("import lib._core._c\n")
    loaded = {"lib": str(site / "lib" / "__init__.py"), "outside": str(other / "outside.py"), "zlib": ""}
    assert eager_imports(loaded, [str(site)]) == {"lib._core", "lib._core._a", "lib._core._b", "json"}


def test_an_extension_module_or_a_module_not_on_disk_counts_too(tmp_path: Path) -> None:
    """anyio's ``to_interpreter`` imports ``_interpqueues`` on 3.13: a ``.so`` of the standard library."""
    site = tmp_path / "site"
    (site / "lib").mkdir(parents=True)
    (site / "lib" / "__init__.py").write_text("from . import _fast\nif sys.version_info >= (3, 13):\n    import _ext\n")
    (site / "lib" / "_fast.cpython-313-x86_64-linux-gnu.so").write_text("elf")
    found = eager_imports({"lib": str(site / "lib" / "__init__.py")}, [str(site)])
    assert {"lib._fast", "_ext"} <= found


def test_the_standard_librarys_sources_are_followed_for_modules_the_record_did_not_see(tmp_path: Path) -> None:
    site, stdlib = tmp_path / "site", tmp_path / "stdlib"
    site.mkdir()
    stdlib.mkdir()
    (site / "user.py").write_text("try:\n    import fresh\nexcept ImportError:\n    pass\nimport seen\n")
    (stdlib / "fresh.py").write_text("import deeper\n")  # never loaded on the host: what it imports counts
    (stdlib / "deeper.py").write_text("")
    (stdlib / "seen.py").write_text("try:\n    import _never\nexcept ImportError:\n    pass\n")  # loaded: as it ran
    loaded = {"user": str(site / "user.py"), "seen": str(stdlib / "seen.py")}
    found = eager_imports(loaded, [str(site)], [str(stdlib)])
    assert {"fresh", "deeper", "seen"} <= found
    assert "_never" not in found
    assert "deeper" not in eager_imports(loaded, [str(site)])


def test_a_root_given_with_its_slash_and_a_source_that_is_not_utf8(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "legacy.py").write_bytes(b"# caf\xe9, in Latin-1\nimport helper\n")
    (site / "helper.py").write_text("")
    assert eager_imports({"legacy": str(site / "legacy.py")}, [f"{site}/"]) == {"helper"}

"""Hints from a frozen app's log: each names the setting that fixes what the log shows."""

from __future__ import annotations

import pytest

from pytest_scratchimage.diagnose import hints


@pytest.mark.parametrize(
    ("log", "hint"),
    [
        (
            "ModuleNotFoundError: No module named 'mysite.settings'",
            "add mysite.settings to scratch_image_hidden_imports (it is imported by name, out of PyInstaller's sight)",
        ),
        (
            "importlib.metadata.PackageNotFoundError: No package metadata was found for flask",
            "add flask to scratch_image_copy_metadata (importlib.metadata reads it at run time)",
        ),
        (
            "jinja2.exceptions.TemplateNotFound: index.html",
            "add the package holding template index.html to scratch_image_collect_data",
        ),
        (
            "FileNotFoundError: [Errno 2] No such file or directory: '/tmp/_MEIab12cd/hello/static/app.css'",
            "add hello to scratch_image_collect_data (its file static/app.css was not collected)",
        ),
        *(
            (
                line,
                "if that None is a docstring (optimize 2, -OO, drops them), set scratch_image_optimize = 1, "
                "or auto with the code path among scratch_image_probe_paths",
            )
            for line in (
                "TypeError: unsupported operand type(s) for +: 'NoneType' and 'str'",
                'TypeError: can only concatenate str (not "NoneType") to str',
                "AttributeError: 'NoneType' object has no attribute 'splitlines'",
                "TypeError: expected string or bytes-like object, got 'NoneType'",
            )
        ),
    ],
)
def test_a_log_line_gives_its_fix(log: str, hint: str) -> None:
    assert hints(f"[INFO] Booting worker\nTraceback (most recent call last):\n{log}\n") == [hint]


def test_each_problem_is_named_once_in_the_order_it_appears() -> None:
    log = "\n".join(
        [
            "PackageNotFoundError: No package metadata was found for falcon",
            "ModuleNotFoundError: No module named 'x'",
            "ModuleNotFoundError: No module named 'x'",
        ]
    )
    assert [hint.split()[1] for hint in hints(log)] == ["falcon", "x"]


def test_a_clean_log_gives_no_hint() -> None:
    assert hints("[INFO] Listening at: http://0.0.0.0:8000 (7)\n") == []


def test_a_none_that_is_no_docstring_gives_no_hint() -> None:
    assert hints("AttributeError: 'NoneType' object has no attribute 'id'\nTypeError: 'NoneType' is not callable") == []

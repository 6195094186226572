"""A typo in a setting that names a module, a distribution or a worker class costs a second, not a build."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("hidden_imports", "falcon.ap", "scratch_image_hidden_imports = 'falcon.ap': no module of that name can be *"),
        ("excludes", "tkinterr", "scratch_image_excludes = 'tkinterr': no module of that name can be imported*"),
        ("collect_data", "falconn", "scratch_image_collect_data = 'falconn': no module of that name can be imported*"),
        ("copy_metadata", "falconn", "scratch_image_copy_metadata = 'falconn': no distribution of that name is *"),
        (
            "worker_class",
            "gevent",
            "scratch_image_worker_class = 'gevent': gunicorn.workers.ggevent.GeventWorker cannot be loaded (*gevent*)",
        ),
        (
            "worker_class",
            "gthred",
            "scratch_image_worker_class = 'gthred': gunicorn has no worker of that name (it has auto, sync, *gthread*",
        ),
        (
            "worker_class",
            "random_api.Missing",
            "scratch_image_worker_class = 'random_api.Missing': random_api.Missing cannot be loaded (AttributeError: *",
        ),
    ],
)
def test_a_name_that_cannot_be_found_is_one_line_before_freezing(
    pytester: pytest.Pytester, fixture_app_args: list[str], tmp_path: Path, setting: str, value: str, message: str
) -> None:
    pytester.makepyfile("def test_probe(scratch_http): pass")
    args = [*fixture_app_args, "-o", f"scratch_image_{setting}={value}", "-o", f"scratch_image_cache_dir={tmp_path}"]
    result = pytester.runpytest("--scratch-image", *args)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"check: {message} by *python*; fix or remove it"])
    output = result.stdout.str()
    assert "freeze" not in output
    assert "Traceback" not in output

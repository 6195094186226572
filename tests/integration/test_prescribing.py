"""A budget failure that prescribes, on a real build: the fixture app without the ``tls`` trim, over 5 MB.

One cold build (the outer session's settings but ``tls``); the outer session's own build, which has every
trim, is what applying the lever gives: it must be under the budget, and near the advice's estimate.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_scratchimage.image import ScratchImage
from pytest_scratchimage.sizes import format_size

pytestmark = pytest.mark.integration
BUDGET = 5_000_000
TLS = 'add "tls" to scratch_image_trim'


def test_an_over_budget_build_names_the_lever_that_fits_it_and_the_lever_does(
    pytester: pytest.Pytester, scratch_image: ScratchImage, fixture_app_args: list[str], tmp_path: Path
) -> None:
    assert scratch_image.size <= BUDGET  # the outer build: the fixture app with tls trimmed too
    without_tls = ["-o", "scratch_image_trim=codecs\ncompression\nunused", "-o", "scratch_image_budget=5MB"]
    pytester.makepyfile(
        """
        import pytest
        from pytest_scratchimage import assert_size_within

        @pytest.mark.size_budget("5MB")
        def test_marker():
            pass

        def test_assertion(scratch_image):
            assert_size_within(scratch_image, "5MB")
        """
    )
    report = tmp_path / "report.json"
    result = pytester.runpytest(
        "--scratch-image", *fixture_app_args, *without_tls, "--scratch-image-report", str(report)
    )
    result.assert_outcomes(failed=3)  # the marker, the assertion and the session's own budget gate
    fits = "  the first 1 lever fit it (estimated from the breakdown):"
    lever = f"  1. {TLS}: -* MB → * MB; safe by the record: no recorded run opened a TLS connection"
    result.stdout.fnmatch_lines(["*size_budget: image * > budget 5.00 MB*", fits, lever])  # the marker
    result.stdout.fnmatch_lines(
        ["E * > budget 5.00 MB *: pytest-scratchimage/*", f"E *{fits.strip()}", f"E *1. {TLS}*"]
    )
    result.stdout.fnmatch_lines(["FAILED scratch_image_budget: image * > budget 5.00 MB*", fits, lever])  # the gate
    facts = json.loads(report.read_text())
    first = facts["levers"][0]
    assert (first["setting"], first["safe"]) == (TLS, True)
    estimated = facts["size"] - first["saving"]
    assert estimated <= BUDGET
    error = abs(estimated - scratch_image.size) / scratch_image.size
    assert error < 0.10, f"estimated {format_size(estimated)}, real {format_size(scratch_image.size)}"

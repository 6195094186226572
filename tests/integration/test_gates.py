"""Budgets and failures of a real build, through pytester sessions that reuse the outer session's binary."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_size_budget_marker_fails_with_size_budget_and_overage(
    pytester: pytest.Pytester, built_fixture_app: list[str]
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.size_budget("1MB")
        def test_tiny():
            pass

        @pytest.mark.size_budget("50MB")
        def test_roomy():
            pass
        """
    )
    result = pytester.runpytest("--scratch-image", *built_fixture_app)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*size_budget: image *MB (*bytes) > budget 1.00 MB (+*MB, *% over)*"])


def test_session_fails_over_the_ini_budget_even_when_no_test_asks(
    pytester: pytest.Pytester, built_fixture_app: list[str]
) -> None:
    pytester.makepyfile("def test_built(scratch_image): pass")
    result = pytester.runpytest("--scratch-image", *built_fixture_app, "-o", "scratch_image_budget=2MB")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*= scratch image =*", "budget   2.00 MB, OVER by *", "FAILED scratch_image_budget: image * > budget 2.00 MB*"]
    )


def test_session_within_budget_passes_and_reports(pytester: pytest.Pytester, built_fixture_app: list[str]) -> None:
    pytester.makepyfile("def test_built(scratch_image): pass")
    result = pytester.runpytest("--scratch-image", *built_fixture_app)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["*= scratch image =*", "size     * MB (* bytes, the engine's Size)", "budget   9.00 MB, headroom *"]
    )


def test_an_app_that_cannot_be_imported_fails_before_freezing(
    pytester: pytest.Pytester, fixture_app_args: list[str], scratch_image: object
) -> None:
    pytester.makepyfile("def test_probe(scratch_http): pass")
    result = pytester.runpytest("--scratch-image", *fixture_app_args, "-o", "scratch_image_app=no_such_module:app")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*scratch_image_app = 'no_such_module:app' cannot be imported *"
            "ModuleNotFoundError: No module named 'no_such_module'"
        ]
    )
    assert "freeze" not in result.stdout.str()


def test_an_app_that_dies_at_start_fails_at_once_with_its_exit_code_and_log(
    pytester: pytest.Pytester, built_fixture_app: list[str]
) -> None:
    pytester.makepyfile("def test_probe(scratch_http): pass")
    # StaticX extracts into $TMPDIR: a folder that does not exist stops the binary at once.
    args = ["-o", "scratch_image_env=TMPDIR=/nonexistent", "-o", "scratch_image_ready_timeout=600"]
    result = pytester.runpytest("--scratch-image", *built_fixture_app, *args, "--durations=1")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*run: the app exited with code 2 before *; its log follows",
            "*| app: Failed to create temporary directory in /nonexistent*",
        ]
    )

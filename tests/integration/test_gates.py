"""Budgets and failures of a real build, through pytester sessions that reuse the outer session's binary."""

from __future__ import annotations

import json
from xml.etree import ElementTree

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
    junit = pytester.path / "junit.xml"
    args = ("-o", "scratch_image_budget=2MB", f"--junitxml={junit}")
    result = pytester.runpytest("--scratch-image", *built_fixture_app, *args)
    result.assert_outcomes(passed=1, failed=1)  # the gate counts: the summary line is red, and CI's XML says so
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*= scratch image =*",
            "budget   2.00 MB of size: OVER by *",
            "FAILED scratch_image_budget: image * > budget 2.00 MB*",
            "*short test summary info*",
            "FAILED scratch-image::scratch_image_budget - scratch_image_budget: image *",
            "*= 1 failed, 1 passed in *",
        ]
    )
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    gate = suite.find("testcase[@name='scratch_image_budget']")
    assert gate is not None
    failure = gate.find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith("scratch_image_budget: image ")


def test_without_pytests_junitxml_plugin_the_fixtures_work(
    pytester: pytest.Pytester, built_fixture_app: list[str]
) -> None:
    pytester.makepyfile("def test_probe(scratch_http): assert scratch_http.get('/health').status_code == 200")
    result = pytester.runpytest("--scratch-image", *built_fixture_app, "-p", "no:junitxml")
    result.assert_outcomes(passed=1)


def test_session_within_budget_passes_and_reports(pytester: pytest.Pytester, built_fixture_app: list[str]) -> None:
    pytester.makepyfile("def test_built(scratch_image): pass")
    result = pytester.runpytest("--scratch-image", *built_fixture_app)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*= scratch image =*",
            "size     * MB (* bytes, the engine's Size); compressed *",
            "budget   9.00 MB of size: headroom *",
        ]
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
            ": no module 'no_such_module' in * (nor on the rest of sys.path)"
        ]
    )
    assert "freeze" not in result.stdout.str()
    assert "pytest_scratchimage" not in result.stdout.str()  # no frame of the plugin's


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


def test_a_baseline_is_written_then_gates_growth_naming_what_grew(
    pytester: pytest.Pytester, built_fixture_app: list[str]
) -> None:
    pytester.makepyfile("def test_built(scratch_image): pass")
    baseline = pytester.path / "scratch-baseline.json"
    args = ["--scratch-image", *built_fixture_app, f"--scratch-image-baseline={baseline}"]
    written = pytester.runpytest(*args, "--scratch-image-update-baseline")
    assert written.ret == pytest.ExitCode.OK
    recorded = json.loads(baseline.read_text())
    assert recorded["size"] > 0
    assert recorded["breakdown"]["library:libpython"] > 0

    assert pytester.runpytest(*args).ret == pytest.ExitCode.OK  # unchanged: no growth

    recorded["size"] = recorded["size"] // 2
    recorded["breakdown"]["library:libpython"] = 0
    baseline.write_text(json.dumps(recorded))
    grown = pytester.runpytest(*args)
    assert grown.ret == pytest.ExitCode.TESTS_FAILED
    grown.stdout.fnmatch_lines(
        ["FAILED scratch_image_max_growth: image grew * MB → * MB (+* MB, +100.0%) > 5%; grew most: libpython +*"]
    )


def test_the_json_report_and_junit_properties_carry_the_figures(
    pytester: pytest.Pytester, built_fixture_app: list[str]
) -> None:
    pytester.makepyfile("def test_probe(scratch_http): assert scratch_http.get('/number').ok")
    report, junit = pytester.path / "out" / "scratch.json", pytester.path / "junit.xml"
    result = pytester.runpytest(
        "--scratch-image", *built_fixture_app, f"--scratch-image-report={report}", f"--junitxml={junit}"
    )
    assert result.ret == pytest.ExitCode.OK
    facts = json.loads(report.read_text())
    assert facts["size"] > facts["compressed"] > 0
    assert facts["budget"] == {"limit": 9_000_000, "metric": "size", "warn": None}
    assert 0 < facts["startup_seconds"] < 30
    assert 1_000_000 < facts["memory"] < 500_000_000
    assert {"freeze", "staticize"} <= set(facts["seconds"])
    assert facts["image_seconds"] > 0
    assert sum(c["bytes"] for c in facts["contributors"]) > 0.9 * facts["size"]
    properties = {p.get("name"): p.get("value") for p in ElementTree.parse(junit).iter("property")}
    assert properties["scratch_image_size"] == str(facts["size"])
    assert properties["scratch_image_memory"] == str(facts["memory"])


def test_budget_markers_for_startup_memory_and_the_compressed_size(
    pytester: pytest.Pytester, built_fixture_app: list[str]
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.startup_budget("0.001s")
        def test_too_slow(): pass

        @pytest.mark.memory_budget("1KB")
        def test_too_big(): pass

        @pytest.mark.startup_budget(60)
        @pytest.mark.memory_budget("1GB")
        def test_roomy(): pass

        @pytest.mark.size_budget("1KB", metric="compressed")
        def test_compressed(): pass

        @pytest.mark.size_budget("50MB", warn="1MB")
        def test_warned(): pass
        """
    )
    result = pytester.runpytest("--scratch-image", *built_fixture_app, "-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=3, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*startup_budget: first HTTP answer * s after docker run > budget 0.001 s*",
            "*memory_budget: * MB after warm-up > budget 1.00 KB (+* MB)*",
            "*size_budget: image (compressed) * MB (* bytes) > budget 1.00 KB (+*% over); largest: *",
            "*test_budget_markers_for_startup_memory_and_the_compressed_size.py:*: ScratchImageBudgetWarning: "
            "size_budget: image * MB (* bytes) > warning level 1.00 MB*",
        ]
    )
    assert "running.py" not in result.stdout.str()  # each breach its line alone, no traceback of the plugin's hook


def test_the_budget_warning_fails_the_test_under_w_error(
    pytester: pytest.Pytester, built_fixture_app: list[str]
) -> None:
    """The README's way to make the warning level a limit: its class is importable from the package."""
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.size_budget("50MB", warn="1MB")
        def test_warned(): pass
        """
    )
    warning = "pytest_scratchimage.ScratchImageBudgetWarning"
    result = pytester.runpytest("--scratch-image", *built_fixture_app, "-W", f"error::{warning}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["ScratchImageBudgetWarning: size_budget: image * MB (* bytes) > warning level 1.00 MB *"]
    )
    assert "running.py" not in result.stdout.str()  # the line alone, no traceback of the plugin's hook


def test_the_session_warning_level_is_a_note_not_a_failure(
    pytester: pytest.Pytester, built_fixture_app: list[str]
) -> None:
    pytester.makepyfile("def test_built(scratch_image): pass")
    result = pytester.runpytest("--scratch-image", *built_fixture_app, "-o", "scratch_image_budget_warn=1MB")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["scratch_image_budget_warn: image * MB (* bytes) > warning level 1.00 MB*"])

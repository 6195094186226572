"""The plugin's surface, through pytester: flag, skips, ini validation, markers and messages."""

from __future__ import annotations

import pytest

USES_IMAGE = """
    def test_probe(scratch_http):
        assert scratch_http.get("/number").status_code == 200
"""


def test_without_the_flag_scratch_tests_skip_naming_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(USES_IMAGE)
    result = pytester.runpytest("-o", "scratch_image_app=random_api:app", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*pass --scratch-image to run it*"])


def test_without_any_configuration_the_plugin_stays_out_of_the_way(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain(): pass")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert "scratch-image" not in result.stdout.str()


# What an unused plugin loads: each module more costs its import in every pytest run of every project
# that has the plugin installed (about 0.3 ms a module through pytest's rewrite hook; bench/benchmark.py).
LIGHT_MODULES = [
    "pytest_scratchimage",
    *(f"pytest_scratchimage.{m}" for m in ("markers", "options", "plugin", "schema", "sizes")),
]


def test_an_unused_plugin_loads_its_light_modules_alone(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import sys

        def pytest_sessionfinish(session):
            loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"pytest_scratchimage", "docker", "requests"})
            print("loaded:", " ".join(loaded))
        """
    )
    pytester.makepyfile("def test_plain(): pass")
    result = pytester.runpytest_subprocess("-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*loaded: {' '.join(LIGHT_MODULES)}"])


PER_TEST_HOOKS = """
    import pytest

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(session):
        hook = session.config.hook
        for name in ("pytest_runtest_setup", "pytest_runtest_call", "pytest_runtest_makereport"):
            impls = getattr(hook, name).get_hookimpls()
            ours = [impl.plugin_name for impl in impls if "scratchimage" in impl.plugin_name]
            print(name, "from:", ",".join(ours) or "none")
"""


@pytest.mark.parametrize(
    ("flag", "expected"), [([], "none"), (["--scratch-image", "--collect-only"], "scratchimage-running")]
)
def test_only_a_run_with_the_flag_has_the_per_test_hooks(
    pytester: pytest.Pytester, flag: list[str], expected: str
) -> None:
    """Without the flag every test of the run would pay for three hooks with nothing to do, two of them wrappers."""
    pytester.makeconftest(PER_TEST_HOOKS)
    pytester.makepyfile(USES_IMAGE)
    result = pytester.runpytest("-s", "-o", "scratch_image_app=random_api:app", *flag)
    result.stdout.fnmatch_lines([f"pytest_runtest_{name} from: {expected}" for name in ("setup", "call", "makereport")])


def test_header_states_the_effective_settings(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain(): pass")
    result = pytester.runpytest(
        "-o", "scratch_image_app=random_api:app", "-o", "scratch_image_budget=6MB",
        "-o", "scratch_image_compression=zlib-only", "-o", "scratch_image_trim=tls", "-o", "scratch_image_network=host",
        "-o", "scratch_image_layout=single",
    )  # fmt: skip
    result.stdout.fnmatch_lines(
        [
            "scratch-image: off (pass --scratch-image), app=random_api:app, budget=6,000,000 B (size), "
            "user=65535, port=8000, workers=2, hardened=True, network=host, layout=single, compression=zlib-only, "
            "trim=tls"
        ]
    )


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("budget", "nine", "scratch_image_budget = 'nine': expected a size such as 9MB*"),
        ("budget", "-3MB", "scratch_image_budget = '-3MB': expected a size such as 9MB*"),
        ("port", "0", "scratch_image_port = '0': expected a TCP port from 1 to 65535*"),
        ("port", "70000", "scratch_image_port = '70000': expected a TCP port from 1 to 65535*"),
        (
            "port",
            "80",
            "scratch_image_port = '80': expected a port of 1024 or more: user 65535 cannot bind below 1024*",
        ),
        ("user", "root", "scratch_image_user = '0': expected a non-root UID while scratch_image_hardened is true*"),
        ("user", "nobody", "scratch_image_user = 'nobody': expected a numeric UID*"),
        ("app", "random_api.app", "scratch_image_app = 'random_api.app': expected module:callable*"),
        ("workers", "0", "scratch_image_workers = '0': expected a whole number of at least 1*"),
        ("health_path", "health", "scratch_image_health_path = 'health': expected an absolute URL path*"),
        ("ready_timeout", "soon", "scratch_image_ready_timeout = 'soon': expected a positive number of seconds*"),
        ("budget_metric", "pulled", "scratch_image_budget_metric = 'pulled': expected size or compressed*"),
        (
            "budget_warn",
            "10MB",
            "scratch_image_budget_warn = '10000000': expected a size at most scratch_image_budget*",
        ),
        ("max_growth", "lots", "scratch_image_max_growth = 'lots': expected a percentage such as 5% or a size*"),
        ("env", "WAIT_TIME", "scratch_image_env = 'WAIT_TIME': expected NAME=value lines*"),
    ],
)
def test_invalid_settings_fail_at_configure_time(
    pytester: pytest.Pytester, option: str, value: str, message: str
) -> None:
    pytester.makepyfile("def test_plain(): pass")
    args = ["-o", f"scratch_image_{option}={value}"]
    if option != "app":
        args += ["-o", "scratch_image_app=random_api:app"]
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: pytest-scratchimage: {message}"])
    assert "Traceback" not in result.stderr.str()


def test_invalid_setting_in_the_ini_file_names_the_file(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nscratch_image_app = random_api:app\nscratch_image_budget = lots\n")
    result = pytester.runpytest()
    result.stderr.fnmatch_lines(["*scratch_image_budget = 'lots'*(from *tox.ini)"])
    assert "from -o" not in result.stderr.str()
    given = pytester.runpytest("-o", "scratch_image_budget=heaps")
    given.stderr.fnmatch_lines(["*scratch_image_budget = 'heaps'*(from -o)"])


def test_a_misspelt_setting_fails_at_configure_naming_the_setting_it_is_closest_to(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\nscratch_image_app = "random_api:app"\nscratch_image_layuot = "layers"\n'
    )
    pytester.makepyfile("def test_plain(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*scratch_image_layuot is not a setting: did you mean scratch_image_layout? (from *pyproject.toml)"]
    )
    given = pytester.runpytest("-o", "scratch_image_budgt=9MB", "-o", "scratch_image_zzz=1")
    given.stderr.fnmatch_lines(
        ["*scratch_image_budgt is not a setting: did you mean scratch_image_budget?; scratch_image_zzz is not a "
         "setting: pytest --help lists them (from -o)"]
    )  # fmt: skip


def test_a_stray_setting_of_a_project_that_does_not_use_the_plugin_is_pytests_to_warn_of(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\nscratch_image_budgt = 9MB\n")
    pytester.makepyfile("def test_plain(): pass")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, warnings=1)  # PytestConfigWarning: Unknown config option


def test_flag_without_an_app_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain(): pass")
    result = pytester.runpytest("--scratch-image")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*scratch_image_app = '': expected module:callable naming the WSGI or ASGI app*"])


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("size_budget('nine')", "expected @pytest.mark.size_budget(budget, metric='size', warn=None); 'nine' is not*"),
        ("size_budget()", "expected @pytest.mark.size_budget(*); *missing 1 required positional argument: 'budget'"),
        ("size_budget('9MB', metric='pulled')", "expected @pytest.mark.size_budget(*); metric 'pulled' is not one of*"),
        ("size_budget('9MB', warn='10MB')", "*warning level 10.00 MB is above the budget 9.00 MB"),
        ("startup_budget('soon')", "expected @pytest.mark.startup_budget(seconds); 'soon' is not a positive duration*"),
        ("memory_budget(-1)", "expected @pytest.mark.memory_budget(size); * is not a size such as 9MB*"),
    ],
)
def test_invalid_budget_markers_are_refused(pytester: pytest.Pytester, marker: str, message: str) -> None:
    pytester.makepyfile(f"import pytest\n@pytest.mark.{marker}\ndef test_sized(): pass\n")
    result = pytester.runpytest("-o", "scratch_image_app=random_api:app")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: *test_sized: {message}"])


@pytest.mark.parametrize(
    ("module", "function", "refused"),
    [("size_budget('nine')", "size_budget('9MB')", False), ("size_budget('9MB')", "size_budget('nine')", True)],
)
def test_the_closest_budget_marker_wins(pytester: pytest.Pytester, module: str, function: str, refused: bool) -> None:
    pytester.makepyfile(
        f"import pytest\npytestmark = pytest.mark.{module}\n@pytest.mark.{function}\ndef test_sized(): pass\n"
    )
    result = pytester.runpytest("-o", "scratch_image_app=random_api:app", "-rs")
    if refused:
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["ERROR: *test_sized: expected @pytest.mark.size_budget(*); 'nine' is not*"])
    else:
        result.assert_outcomes(skipped=1)


def test_update_baseline_needs_a_baseline_path(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--scratch-image-update-baseline")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--scratch-image-update-baseline needs --scratch-image-baseline PATH"])


def test_markers_are_registered_with_their_signatures(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.size_budget(budget, metric='size', warn=None): *",
            "@pytest.mark.startup_budget(seconds): *",
            "@pytest.mark.memory_budget(size): *",
        ]
    )


def test_size_budget_marker_skips_without_the_flag(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.size_budget('9MB')\ndef test_sized(): pass\n")
    result = pytester.runpytest("-o", "scratch_image_app=random_api:app", "--strict-markers")
    result.assert_outcomes(skipped=1)


def test_no_reachable_engine_fails_and_never_skips(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")
    pytester.makepyfile(USES_IMAGE)
    result = pytester.runpytest("--scratch-image", "-o", "scratch_image_app=random_api:app")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*engine: no Docker engine answers at tcp://127.0.0.1:9*"])


def test_an_ssh_engine_fails_at_once_saying_why(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "ssh://deploy@build-host")  # refused before any connection
    pytester.makepyfile(USES_IMAGE)
    result = pytester.runpytest("--scratch-image", "-o", "scratch_image_app=random_api:app")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*engine: DOCKER_HOST = 'ssh://deploy@build-host': over ssh:// the app's published port cannot be probed*"]
    )


@pytest.mark.parametrize(
    ("option", "make", "message"),
    [
        ("--scratch-image-report={root}", None, "--scratch-image-report {root} is a folder; name a file in it"),
        (
            "--scratch-image-report={root}/a-file/report.json",
            "a-file",
            "--scratch-image-report {root}/a-file/report.json cannot be made: {root}/a-file is a file",
        ),
        (
            "--scratch-image-baseline={root}/missing.json",
            None,
            "--scratch-image-baseline {root}/missing.json does not exist; write it with *",
        ),
        (
            "--scratch-image-baseline={root}/a-file",
            "a-file",
            "--scratch-image-baseline {root}/a-file is unreadable (Expecting value: *); write it with *",
        ),
    ],
)
def test_path_options_are_checked_before_anything_runs(
    pytester: pytest.Pytester, option: str, make: str | None, message: str
) -> None:
    if make:
        (pytester.path / make).write_text("")
    pytester.makepyfile("def test_plain(): pass")
    root = str(pytester.path)
    result = pytester.runpytest("--scratch-image", "-o", "scratch_image_app=random_api:app", option.format(root=root))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: pytest-scratchimage: {message.format(root=root)}"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_a_cache_dir_that_cannot_be_made_is_a_usage_error(pytester: pytest.Pytester) -> None:
    (pytester.path / "a-file").write_text("")
    pytester.makepyfile("def test_plain(): pass")
    result = pytester.runpytest(
        "--scratch-image", "-o", "scratch_image_app=random_api:app", "-o", "scratch_image_cache_dir=a-file/cache"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: pytest-scratchimage: scratch_image_cache_dir = '{pytester.path}/a-file/cache' cannot be made: *"]
    )


def test_path_options_are_not_checked_when_the_plugin_does_not_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain(): pass")
    result = pytester.runpytest("-o", "scratch_image_app=random_api:app", f"--scratch-image-report={pytester.path}")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--scratch-image-tag=MyApp:1"],
            "scratch_image_tag = 'MyApp:1': expected a docker reference NAME:TAG such as myapp:tested * "
            "(from --scratch-image-tag)",
        ),
        (
            ["-o", "scratch_image_tag=app:"],
            "scratch_image_tag = 'app:': expected a docker reference NAME:TAG * (from -o)",
        ),
        (
            ["--scratch-image-use=missing.tar"],
            "scratch_image_use = 'missing.tar': expected a docker save archive that exists: {here}/missing.tar is not "
            "a file (from --scratch-image-use)",
        ),
        (
            ["--scratch-image-use=My Image"],
            "scratch_image_use = 'My Image': expected an image the engine has (NAME:TAG, NAME@sha256:…, an image ID) "
            "or a docker save archive (.tar, .tar.gz, .tgz, .tar.xz, .tar.bz2) (from --scratch-image-use)",
        ),
        (["--scratch-image-save=."], "scratch_image_save = '{here}' is a folder; name a file in it"),
        (
            ["--scratch-image-html=a-file/size.html"],
            "scratch_image_html = '{here}/a-file/size.html' cannot be made: {here}/a-file is a file",
        ),
    ],
)
def test_the_options_of_what_is_kept_and_used_are_checked_at_start_up(
    pytester: pytest.Pytester, args: list[str], message: str
) -> None:
    (pytester.path / "a-file").write_text("")
    pytester.makepyfile("def test_plain(): pass")
    result = pytester.runpytest("--scratch-image", "-o", "scratch_image_app=random_api:app", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: pytest-scratchimage: {message.format(here=pytester.path)}"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_the_command_line_wins_over_the_ini_and_starts_where_pytest_runs(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nscratch_image_app = random_api:app\nscratch_image_html = from-ini.html\n")
    pytester.makepyfile(
        """
        def test_settings(scratch_settings, pytestconfig):
            here = pytestconfig.invocation_params.dir
            assert scratch_settings.html == here / "sub" / "from-flag.html"
            assert scratch_settings.tag == "myapp:latest"
        """
    )
    (pytester.path / "sub").mkdir()
    args = ["--scratch-image", "--scratch-image-html=sub/from-flag.html", "--scratch-image-tag=myapp"]
    pytester.runpytest(*args).assert_outcomes(passed=1)


def test_a_used_image_needs_no_app_and_shows_in_the_header(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain(): pass")
    result = pytester.runpytest("--scratch-image", "--scratch-image-use=myapp:classic")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["scratch-image: on, use=myapp:classic, budget=9,000,000 B (size), user=65535, *"])


def test_what_is_kept_is_not_checked_when_the_plugin_does_not_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain(): pass")
    result = pytester.runpytest("-o", "scratch_image_app=random_api:app", f"--scratch-image-save={pytester.path}")
    result.assert_outcomes(passed=1)

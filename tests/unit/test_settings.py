"""Settings: the schema, each parser, the defaults of ``resolve``, typed overrides and errors that name the option."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from pytest_scratchimage.budget import Budget, Growth
from pytest_scratchimage.schema import (
    SCHEMA,
    SETTINGS,
    Invalid,
    SettingsError,
    as_ini,
    is_archive,
    parse_app,
    parse_bool,
    parse_budget,
    parse_env,
    parse_extra_file,
    parse_growth,
    parse_health_path,
    parse_module,
    parse_port,
    parse_seconds,
    parse_tag,
    parse_use,
    parse_user,
    parse_worker_class,
    parse_workers,
)
from pytest_scratchimage.settings import (
    Settings,
    app_of,
    check_consistent,
    ini_keys,
    resolve,
    size_budget,
    unknown_settings,
    unwritable,
)
from pytest_scratchimage.wsgi import AppSpec


def test_settings_are_a_value() -> None:
    settings = resolve({"app": "a:b"}, Path("/srv"))
    assert hash(settings) == hash(resolve({"app": "a:b"}, Path("/srv")))
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.port = 1  # type: ignore[misc]


def test_the_schema_declares_every_field_of_the_settings_once() -> None:
    assert [setting.name for setting in SCHEMA] == [f.name for f in dataclasses.fields(Settings)]
    assert len(SETTINGS) == len(SCHEMA)


@pytest.mark.parametrize("setting", SCHEMA, ids=lambda s: s.name)
def test_each_setting_is_an_ini_option_whose_help_states_its_default(setting: Any) -> None:
    assert setting.ini == f"scratch_image_{setting.name}"
    assert setting.kind in {"string", "linelist", "paths"}
    shown = setting.default if setting.default is not None else setting.unset
    assert setting.shown_default == shown
    stated = "required unless scratch_image_use" if setting.name == "app" else f"default: {shown}"
    assert setting.ini_help == f"{setting.help} ({stated})"


def test_the_defaults_are_pinned(tmp_path: Path) -> None:
    assert resolve({"app": "random_api:app"}, tmp_path) == Settings(
        app=AppSpec("random_api", "app"),
        app_path=(tmp_path,),
        budget=9_000_000,
        budget_metric="size",
        budget_warn=None,
        max_growth=Growth(percent=5.0),
        user=65535,
        port=8000,
        workers=2,
        worker_class="auto",
        health_path="/",
        ready_timeout=30.0,
        record=True,
        probe_paths=(),
        optimize=None,
        hidden_imports=(),
        excludes=(),
        collect_data=(),
        copy_metadata=(),
        trim=(),
        exclude_files=(),
        layout="layers",
        compression="xz",
        extra_files=(),
        env=(),
        record_env=(),
        network="bridge",
        hardened=True,
        cache_dir=None,
        use=None,
        tag=None,
        save=None,
        html=None,
        sbom=None,
        sbom_files=True,
    )


def test_the_defaults_as_the_help_shows_them() -> None:
    shown = {s.name: s.default for s in SCHEMA if s.default is not None}
    assert shown == {
        "budget": "9MB",
        "budget_metric": "size",
        "max_growth": "5%",
        "user": "65535",
        "port": "8000",
        "workers": "2",
        "worker_class": "auto",
        "health_path": "/",
        "ready_timeout": "30",
        "optimize": "auto",
        "compression": "xz",
        "layout": "layers",
        "network": "bridge",
        "hardened": "true",
        "record": "true",
        "sbom_files": "true",
    }
    assert SETTINGS["app_path"].ini_help.endswith("(default: the rootdir)")


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("random_api:app", AppSpec("random_api", "app")),
        ("myproject.wsgi:application", AppSpec("myproject.wsgi", "application")),
        ("a.b.c:_app2", AppSpec("a.b.c", "_app2")),
        ("app:create_app()", AppSpec("app", "create_app", call=True)),
        ("  random_api:app  ", AppSpec("random_api", "app")),
    ],
)
def test_parse_app_accepts(text: str, spec: AppSpec) -> None:
    assert parse_app(text) == spec


@pytest.mark.parametrize(
    "text",
    ["random_api", "random_api.app", "mod:app.attr", "1mod:app", "mod:1app", "my-app:app", "mod:", ":app",
     "mod:app(1)", "mod:app(", "mod..sub:app", "mod::app"],
)  # fmt: skip
def test_parse_app_rejects(text: str) -> None:
    with pytest.raises(Invalid, match=r"^module:callable, e.g. myproject.wsgi:application or app:create_app"):
        parse_app(text)


@pytest.mark.parametrize(
    ("spec", "text"), [(AppSpec("m", "app"), "m:app"), (AppSpec("m", "make", call=True), "m:make()")]
)
def test_app_spec_str_round_trips(spec: AppSpec, text: str) -> None:
    assert str(spec) == text
    assert parse_app(str(spec)) == spec


@pytest.mark.parametrize(
    ("text", "uid"), [("root", 0), ("0", 0), ("65535", 65535), (" 1000 ", 1000), (str(2**31 - 1), 2**31 - 1)]
)
def test_parse_user_accepts(text: str, uid: int) -> None:
    assert parse_user(text) == uid


@pytest.mark.parametrize("text", ["nobody", "app", "-1", "1.5", "", str(2**31), "²"])
def test_parse_user_rejects_names_and_non_numbers(text: str) -> None:
    with pytest.raises(Invalid, match=r"^a numeric UID such as 65535"):
        parse_user(text)


@pytest.mark.parametrize(("text", "port"), [("1", 1), ("8000", 8000), ("65535", 65535), (" 8080 ", 8080)])
def test_parse_port_accepts(text: str, port: int) -> None:
    assert parse_port(text) == port


@pytest.mark.parametrize("text", ["0", "65536", "-1", "http", "80.5", "", "²"])
def test_parse_port_rejects(text: str) -> None:
    with pytest.raises(Invalid, match=r"^a TCP port from 1 to 65535$"):
        parse_port(text)


@pytest.mark.parametrize(("text", "workers"), [("1", 1), ("2", 2), (" 16 ", 16)])
def test_parse_workers_accepts_one_and_more(text: str, workers: int) -> None:
    assert parse_workers(text) == workers


@pytest.mark.parametrize("text", ["0", "-1", "two", "1.5", ""])
def test_parse_workers_rejects(text: str) -> None:
    with pytest.raises(Invalid, match=r"^a whole number of at least 1$"):
        parse_workers(text)


@pytest.mark.parametrize(("text", "seconds"), [("30", 30.0), ("2.5s", 2.5), (" 0.05 ", 0.05), ("1e1", 10.0)])
def test_parse_seconds_accepts(text: str, seconds: float) -> None:
    assert parse_seconds(text) == seconds


@pytest.mark.parametrize("text", ["0", "-1", "soon", "nan", "", "s"])
def test_parse_seconds_rejects(text: str) -> None:
    with pytest.raises(Invalid, match=r"^a positive number of seconds"):
        parse_seconds(text)


@pytest.mark.parametrize(("text", "size"), [("9MB", 9_000_000), ("8.5MB", 8_500_000), ("200", 200)])
def test_parse_budget_accepts(text: str, size: int) -> None:
    assert parse_budget(text) == size


@pytest.mark.parametrize("text", ["nine", "-3MB", "0", "9 parsecs"])
def test_parse_budget_rejects(text: str) -> None:
    with pytest.raises(Invalid, match=r"^a size such as 9MB"):
        parse_budget(text)


@pytest.mark.parametrize(
    ("text", "growth"),
    [
        ("5%", Growth(percent=5.0)),
        ("0.5%", Growth(percent=0.5)),
        ("200KB", Growth(size=200_000)),
        ("1", Growth(size=1)),
    ],
)
def test_parse_growth_accepts_a_percentage_or_a_size(text: str, growth: Growth) -> None:
    assert parse_growth(text) == growth


@pytest.mark.parametrize("text", ["lots", "5 %%", "-5%", "%"])
def test_parse_growth_rejects(text: str) -> None:
    with pytest.raises(Invalid, match=r"^a percentage such as 5% or a size such as 200KB$"):
        parse_growth(text)


@pytest.mark.parametrize(("text", "path"), [("/", "/"), ("/health", "/health"), ("/a/b?c=1", "/a/b?c=1")])
def test_parse_health_path_accepts_absolute_paths(text: str, path: str) -> None:
    assert parse_health_path(text) == path


def test_parse_health_path_rejects_a_relative_path() -> None:
    with pytest.raises(Invalid, match=r"^an absolute URL path"):
        parse_health_path("health")


@pytest.mark.parametrize(
    ("line", "pair"), [("A=1", ("A", "1")), (" B =x", ("B", "x")), ("EMPTY=", ("EMPTY", "")), ("U=a=b", ("U", "a=b"))]
)
def test_parse_env_accepts(line: str, pair: tuple[str, str]) -> None:
    assert parse_env(line) == pair


@pytest.mark.parametrize("line", ["WAIT_TIME", "1BAD=x", "=x", "A-B=1", "A=1\0x"])
def test_parse_env_rejects(line: str) -> None:
    with pytest.raises(Invalid, match=r"^NAME=value lines"):
        parse_env(line)


@pytest.mark.parametrize("name", ["json", "falcon.app", "_private.mod2"])
def test_parse_module_accepts_dotted_names(name: str) -> None:
    assert parse_module(name) == name


@pytest.mark.parametrize("name", ["my-module", "a..b", "a.", "1a", "a b"])
def test_parse_module_rejects(name: str) -> None:
    with pytest.raises(Invalid, match=r"^dotted module names"):
        parse_module(name)


@pytest.mark.parametrize("text", ["sync", "gthread", " gevent ", "gthred", "myapp.workers.Fast"])
def test_parse_worker_class_accepts(text: str) -> None:
    assert parse_worker_class(text) == text.strip()


@pytest.mark.parametrize("text", ["fast worker", "myapp.", ".Worker", "my-app.Worker", ""])
def test_parse_worker_class_rejects(text: str) -> None:
    with pytest.raises(Invalid, match=r"^a gunicorn worker such as sync or gthread, or a dotted path"):
        parse_worker_class(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("yes", True), ("1", True), ("on", True), (" TRUE ", True),
     ("false", False), ("no", False), ("0", False), ("off", False), (" False ", False)],
)  # fmt: skip
def test_parse_bool(text: str, value: bool) -> None:
    assert parse_bool(text) is value


def test_parse_bool_rejects() -> None:
    with pytest.raises(Invalid, match=r"^true or false$"):
        parse_bool("maybe")


def test_parse_extra_file(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    assert parse_extra_file("config:etc", tmp_path) == (tmp_path / "config", "etc")
    assert parse_extra_file(" config : ", tmp_path) == (tmp_path / "config", ".")
    for line in ("missing.toml:etc", "config", ":etc"):
        with pytest.raises(Invalid, match=r"^SOURCE:DEST lines naming an existing file"):
            parse_extra_file(line, tmp_path)


def test_settings_error_message_names_option_value_and_accepted_form() -> None:
    error = SettingsError("scratch_image_port", "0", "a TCP port from 1 to 65535")
    assert error.name == "scratch_image_port"
    assert str(error) == "scratch_image_port = '0': expected a TCP port from 1 to 65535"


def test_resolve_treats_empty_ini_values_as_unset(tmp_path: Path) -> None:
    raw: dict[str, Any] = {
        "app": "random_api:app", "app_path": [], "budget": "", "user": "", "port": " ", "workers": "",
        "health_path": "", "ready_timeout": "", "hidden_imports": [], "env": [], "hardened": "",
    }  # fmt: skip
    assert resolve(raw, tmp_path) == resolve({"app": "random_api:app"}, tmp_path)


def test_resolve_parses_every_setting(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    raw: dict[str, Any] = {
        "app": "api.wsgi:create()",
        "app_path": ["fixtures/app", tmp_path / "abs"],
        "budget": "8.5MB",
        "budget_metric": "compressed",
        "budget_warn": "8MB",
        "max_growth": "200KB",
        "user": "1000",
        "port": "8080",
        "workers": "4",
        "worker_class": "gthread",
        "health_path": "/health",
        "ready_timeout": "2.5s",
        "record": "false",
        "probe_paths": ["/number", "PROPFIND /"],
        "optimize": "1",
        "hidden_imports": ["falcon.app", "  ", " uuid "],
        "excludes": ["tkinter"],
        "collect_data": ["certifi"],
        "copy_metadata": ["falcon"],
        "trim": ["tls", "codecs"],
        "exclude_files": ["*.po"],
        "layout": "single",
        "compression": "zlib-only",
        "extra_files": ["config:etc"],
        "env": ["WAIT_TIME=0.5", "EMPTY=", "URL=a=b"],
        "record_env": ["DATABASE_URL=postgresql://127.0.0.1:5432/app"],
        "network": " ci-services ",
        "hardened": "false",
        "cache_dir": "build-cache",
        "use": "images/app.tar.gz",
        "tag": "registry.example.com:5000/team/app:1.2",
        "save": "out/app.tar",
        "html": "out/size.html",
        "sbom": "out/app.cdx.json",
        "sbom_files": "false",
    }
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "app.tar.gz").write_bytes(b"")
    assert resolve(raw, tmp_path) == Settings(
        app=AppSpec("api.wsgi", "create", call=True),
        app_path=(tmp_path / "fixtures/app", tmp_path / "abs"),
        budget=8_500_000,
        budget_metric="compressed",
        budget_warn=8_000_000,
        max_growth=Growth(size=200_000),
        user=1000,
        port=8080,
        workers=4,
        worker_class="gthread",
        health_path="/health",
        ready_timeout=2.5,
        record=False,
        probe_paths=(("GET", "/number"), ("PROPFIND", "/")),
        optimize=1,
        hidden_imports=("falcon.app", "uuid"),
        excludes=("tkinter",),
        collect_data=("certifi",),
        copy_metadata=("falcon",),
        trim=("tls", "codecs"),
        exclude_files=("*.po",),
        layout="single",
        compression="zlib-only",
        extra_files=((tmp_path / "config", "etc"),),
        env=(("WAIT_TIME", "0.5"), ("EMPTY", ""), ("URL", "a=b")),
        record_env=(("DATABASE_URL", "postgresql://127.0.0.1:5432/app"),),
        network="ci-services",
        hardened=False,
        cache_dir=tmp_path / "build-cache",
        use=tmp_path / "images" / "app.tar.gz",
        tag="registry.example.com:5000/team/app:1.2",
        save=tmp_path / "out" / "app.tar",
        html=tmp_path / "out" / "size.html",
        sbom=tmp_path / "out" / "app.cdx.json",
        sbom_files=False,
    )


NETWORKS = ("none", "my net", "-bridge", "host\nbridge")


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("app", "no_colon", "module:callable"),
        ("budget", "nine", "a size such as 9MB"),
        ("budget_metric", "pulled", "size or compressed"),
        ("budget_warn", "lots", "a size such as 9MB"),
        ("max_growth", "lots", "a percentage such as 5%"),
        ("user", "nobody", "a numeric UID"),
        ("port", "0", "a TCP port from 1 to 65535"),
        ("workers", "0", "a whole number of at least 1"),
        ("worker_class", "fast worker", "a gunicorn worker such as sync or gthread"),
        ("health_path", "health", "an absolute URL path"),
        ("ready_timeout", "soon", "a positive number of seconds"),
        ("hidden_imports", ["falcon app"], "dotted module names"),
        ("excludes", ["tk-inter"], "dotted module names"),
        ("collect_data", ["my-pkg"], "dotted module names"),
        ("trim", ["openssl"], "names of trims, one a line: tls, codecs, compression, unused"),
        ("probe_paths", ["number"], "absolute URL paths, one a line"),
        ("probe_paths", ["get /x"], "absolute URL paths, one a line"),
        ("probe_paths", ["/a\0b"], "absolute URL paths, one a line"),
        ("probe_paths", ["/a\tb"], "absolute URL paths, one a line"),
        ("health_path", "/a\nb", "an absolute URL path"),
        ("compression", "gzip", "one of xz, zlib, zlib-only"),
        ("extra_files", ["missing.toml:etc"], "SOURCE:DEST lines"),
        ("env", ["NO_EQUALS"], "NAME=value lines"),
        ("record_env", ["1DB=x"], "NAME=value lines"),
        *(("network", name, "bridge (the engine's default network), host (the host's network") for name in NETWORKS),
        ("hardened", "maybe", "true or false"),
    ],
)
def test_resolve_errors_name_the_ini_option_and_the_value(tmp_path: Path, key: str, value: Any, expected: str) -> None:
    with pytest.raises(SettingsError) as info:
        resolve({"app": "random_api:app", key: value}, tmp_path)
    name = f"scratch_image_{key}"
    shown = value[0] if isinstance(value, list) else value
    assert info.value.name == name
    assert str(info.value).startswith(f"{name} = {shown!r}: expected {expected}")


def test_resolve_needs_the_app(tmp_path: Path) -> None:
    with pytest.raises(
        SettingsError, match=r"^scratch_image_app = '': expected module:callable naming the WSGI or ASGI app"
    ):
        resolve({"app": "  "}, tmp_path)
    with pytest.raises(SettingsError, match=r"\(or scratch_image_use naming an image\)$"):
        resolve({}, tmp_path)


def test_an_image_built_elsewhere_needs_no_app(tmp_path: Path) -> None:
    settings = resolve({"use": "myapp:classic"}, tmp_path)
    assert (settings.app, settings.use) == (None, "myapp:classic")
    with pytest.raises(ValueError, match=r"^scratch_image_app is not set: an image of scratch_image_use is not built$"):
        app_of(settings)
    assert app_of(resolve({"app": "a:b"}, tmp_path)) == AppSpec("a", "b")


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("myapp:tested", "myapp:tested"),
        ("myapp", "myapp:latest"),
        (" team/my-app_2:v1.2-rc ", "team/my-app_2:v1.2-rc"),
        ("registry.example.com:5000/team/app:1.2", "registry.example.com:5000/team/app:1.2"),
        ("localhost/a__b.c:_x", "localhost/a__b.c:_x"),
        ("Registry.Example.com/app:" + "t" * 128, "Registry.Example.com/app:" + "t" * 128),
    ],
)
def test_parse_tag_accepts_docker_references(text: str, tag: str) -> None:
    assert parse_tag(text) == tag


@pytest.mark.parametrize(
    "text",
    ["MyApp:1", "app:", ":tested", "a//b", "app:tag:x", "app:-x", "app:" + "t" * 129, "app@sha256:" + "a" * 64,
     "-app", "app-", "a" * 256, ""],
)  # fmt: skip
def test_parse_tag_rejects(text: str) -> None:
    with pytest.raises(Invalid, match=r"^a docker reference NAME:TAG such as myapp:tested or registry\.example\.com"):
        parse_tag(text)


@pytest.mark.parametrize(
    "text",
    [
        "myapp:classic",
        "myapp",
        "registry.example.com/team/app@sha256:" + "a" * 64,
        "sha256:" + "b" * 64,
        "0123456789ab",
    ],
)
def test_parse_use_takes_an_image_the_engine_has(text: str, tmp_path: Path) -> None:
    assert parse_use(text, tmp_path) == text


@pytest.mark.parametrize("name", ["app.tar", "app.tar.gz", "app.tgz", "app.tar.xz", "app.tar.bz2"])
def test_parse_use_takes_an_archive_that_exists(name: str, tmp_path: Path) -> None:
    (tmp_path / name).write_bytes(b"")
    assert parse_use(f" {name} ", tmp_path) == tmp_path / name
    assert is_archive(name)
    with pytest.raises(Invalid, match=rf"^a docker save archive that exists: {tmp_path / 'gone'}{name} is not a file$"):
        parse_use(f"gone{name}", tmp_path)


@pytest.mark.parametrize("text", ["My App", "app:", "a//b", "app@sha256:abc"])
def test_parse_use_rejects(text: str, tmp_path: Path) -> None:
    with pytest.raises(Invalid, match=r"^an image the engine has \(NAME:TAG, NAME@sha256:…, an image ID\) or a docker"):
        parse_use(text, tmp_path)
    assert not is_archive(text)


def test_a_folder_archive_is_not_an_archive(tmp_path: Path) -> None:
    (tmp_path / "dir.tar").mkdir()
    with pytest.raises(Invalid, match="is not a file"):
        parse_use("dir.tar", tmp_path)


def test_paths_of_the_command_line_start_where_pytest_was_invoked(tmp_path: Path) -> None:
    raw = {"app": "a:b", "save": "app.tar", "html": "size.html"}
    settings = resolve(raw, tmp_path / "root", {"save": tmp_path / "here"})
    assert (settings.save, settings.html) == (tmp_path / "here" / "app.tar", tmp_path / "root" / "size.html")


def test_hold_when_the_image_is_to_be_kept(tmp_path: Path) -> None:
    assert not resolve({"app": "a:b"}, tmp_path).hold
    assert resolve({"app": "a:b", "tag": "x:y"}, tmp_path).hold
    assert resolve({"app": "a:b", "save": "x.tar"}, tmp_path).hold
    assert not resolve({"app": "a:b", "html": "x.html"}, tmp_path).hold


def test_unwritable_names_the_first_path_that_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    assert unwritable(resolve({"app": "a:b", "save": "out/x.tar", "html": "x.html"}, tmp_path)) is None
    html = resolve({"app": "a:b", "html": "a-file/x.html"}, tmp_path)
    assert (
        unwritable(html)
        == f"scratch_image_html = '{tmp_path / 'a-file' / 'x.html'}' cannot be made: {tmp_path / 'a-file'} is a file"
    )
    both = resolve({"app": "a:b", "save": ".", "html": "a-file/x.html"}, tmp_path)
    assert unwritable(both) == f"scratch_image_save = '{tmp_path}' is a folder; name a file in it"


def test_a_name_of_255_characters_is_a_name_and_one_more_is_not() -> None:
    assert parse_tag("a" * 255) == "a" * 255 + ":latest"
    with pytest.raises(Invalid):
        parse_tag("a" * 256)


def test_a_twin_is_named_with_dashes() -> None:
    assert SETTINGS["cache_dir"]._replace(flag="PATH").option == "--scratch-image-cache-dir"


def test_only_the_settings_of_the_command_line_have_a_twin() -> None:
    twins = {s.name: (s.option, s.flag) for s in SCHEMA if s.flag}
    assert twins == {
        "use": ("--scratch-image-use", "IMAGE"),
        "tag": ("--scratch-image-tag", "NAME:TAG"),
        "save": ("--scratch-image-save", "PATH"),
        "html": ("--scratch-image-html", "PATH"),
        "sbom": ("--scratch-image-sbom", "PATH"),
    }


def test_resolve_refuses_root_while_hardened(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="non-root UID while scratch_image_hardened is true") as info:
        resolve({"app": "a:b", "user": "root"}, tmp_path)
    assert info.value.name == "scratch_image_user"


def _settings(tmp_path: Path, **changes: Any) -> Settings:
    return dataclasses.replace(resolve({"app": "a:b"}, tmp_path), **changes)


@pytest.mark.parametrize(
    ("changes", "name", "message"),
    [
        ({"user": 0}, "scratch_image_user", "scratch_image_user = '0': expected a non-root UID"),
        ({"port": 80}, "scratch_image_port", "scratch_image_port = '80': expected a port of 1024 or more: user 65535"),
        ({"port": 1023, "user": 1000, "hardened": False}, "scratch_image_port", "user 1000 cannot bind below 1024"),
        ({"budget_warn": 9_000_001}, "scratch_image_budget_warn", r"a size at most scratch_image_budget \(9,000,000"),
        ({"trim": ("unused",), "record": False}, "scratch_image_trim", "a trim that needs no record while"),
    ],
)
def test_check_consistent_refuses(tmp_path: Path, changes: dict[str, Any], name: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as info:
        check_consistent(_settings(tmp_path, **changes))
    assert info.value.name == name


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"port": 1024},
        {"user": 0, "hardened": False, "port": 80},
        {"user": 1, "hardened": False, "port": 65535},
        {"budget_warn": 9_000_000},
        {"trim": ("unused",)},
        {"trim": ("tls",), "record": False},
    ],
)
def test_check_consistent_accepts(tmp_path: Path, changes: dict[str, Any]) -> None:
    check_consistent(_settings(tmp_path, **changes))


def test_size_budget_is_the_budget_its_metric_and_warning(tmp_path: Path) -> None:
    settings = _settings(tmp_path, budget=5, budget_metric="compressed", budget_warn=4)
    assert size_budget(settings) == Budget(5, "compressed", 4)


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("hardened", False, "false"),
        ("hardened", True, "true"),
        ("user", 1000, "1000"),
        ("budget", 9_000_000, "9000000"),
        ("ready_timeout", 2.5, "2.5"),
        ("port", "8080", "8080"),
        ("env", {"A": "1", "B": "x=y"}, ["A=1", "B=x=y"]),
        ("env", "A=1", ["A=1"]),
        ("trim", [], []),
        ("trim", ("tls", "codecs"), ["tls", "codecs"]),
        ("hidden_imports", "a\nb", ["a", "b"]),
        ("app_path", Path("/srv/app"), ["/srv/app"]),
    ],
)
def test_as_ini_turns_typed_values_into_ini_text(name: str, value: object, text: object) -> None:
    assert as_ini(name, value) == text


def test_typed_values_resolve_like_their_text(tmp_path: Path) -> None:
    raw = {"app": "a:b"} | {
        name: as_ini(name, value) for name, value in {"hardened": False, "user": 1000, "env": {"A": "1"}}.items()
    }
    settings = resolve(raw, tmp_path)
    assert (settings.hardened, settings.user, settings.env) == (False, 1000, (("A", "1"),))


def test_as_ini_refuses_unknown_names_and_values_of_no_ini_form() -> None:
    with pytest.raises(TypeError, match="unknown setting 'budgett'; known: app, app_path, budget"):
        as_ini("budgett", "5MB")
    with pytest.raises(TypeError, match="scratch_image_env: expected a string or a list of strings"):
        as_ini("env", object())


@pytest.mark.parametrize("name", ["bridge", "host", "ci_services", "compose-default.1"])
def test_a_network_is_bridge_host_or_a_docker_networks_name(tmp_path: Path, name: str) -> None:
    assert resolve({"app": "random_api:app", "network": f" {name} "}, tmp_path).network == name


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pyproject.toml", '[tool.pytest.ini_options]\nscratch_image_app = "a:b"\n[tool.other]\nscratch_image_x = 1\n'),
        ("pyproject.toml", '[tool.pytest]\nscratch_image_app = "a:b"\n'),  # pytest 9's own TOML table
        ("pytest.toml", '[pytest]\nscratch_image_app = "a:b"\n'),
        ("pytest.ini", "[pytest]\nscratch_image_app = a:b\n[other]\nscratch_image_x = 1\n"),
        ("tox.ini", "[tox]\nenvlist = py\n[pytest]\nscratch_image_app = a:b\n"),
        ("setup.cfg", "[tool:pytest]\nscratch_image_app = a:b\n[metadata]\nname = x\n"),
    ],
)
def test_the_keys_of_pytests_section_in_each_file_pytest_reads(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    assert ini_keys(tmp_path / name) == {"scratch_image_app"}


def test_no_ini_file_has_no_keys(tmp_path: Path) -> None:
    assert ini_keys(None) == ini_keys(tmp_path / "pytest.ini") == set()


def test_a_key_that_is_no_setting_is_named_with_the_setting_it_is_closest_to() -> None:
    keys = {"scratch_image_app", "scratch_image_layuot", "scratch_image_zzz", "python_files", "scratch_image_ap"}
    assert unknown_settings(keys) == [
        "scratch_image_ap is not a setting: did you mean scratch_image_app?",
        "scratch_image_layuot is not a setting: did you mean scratch_image_layout?",
        "scratch_image_zzz is not a setting: pytest --help lists them",  # the shared prefix matches nothing
    ]

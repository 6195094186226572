"""Settings: each parser, the defaults of ``resolve`` and errors that name the ini option."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_scratchimage.settings import (
    AppSpec,
    Settings,
    SettingsError,
    check_consistent,
    parse_app,
    parse_port,
    parse_user,
    resolve,
)


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
    with pytest.raises(SettingsError, match="expected module:callable") as info:
        parse_app(text)
    assert info.value.name == "scratch_image_app"


@pytest.mark.parametrize(
    ("spec", "text"), [(AppSpec("m", "app"), "m:app"), (AppSpec("m", "make", call=True), "m:make()")]
)
def test_app_spec_str_round_trips(spec: AppSpec, text: str) -> None:
    assert str(spec) == text
    assert parse_app(str(spec)) == spec


@pytest.mark.parametrize(("text", "uid"), [("root", 0), ("0", 0), ("65535", 65535), (" 1000 ", 1000)])
def test_parse_user_accepts(text: str, uid: int) -> None:
    assert parse_user(text) == uid


@pytest.mark.parametrize("text", ["nobody", "app", "-1", "1.5", "", str(2**31)])
def test_parse_user_rejects_names_and_non_numbers(text: str) -> None:
    with pytest.raises(SettingsError, match="expected a numeric UID") as info:
        parse_user(text)
    assert info.value.name == "scratch_image_user"


@pytest.mark.parametrize(("text", "port"), [("1", 1), ("8000", 8000), ("65535", 65535), (" 8080 ", 8080)])
def test_parse_port_accepts(text: str, port: int) -> None:
    assert parse_port(text) == port


@pytest.mark.parametrize("text", ["0", "65536", "-1", "http", "80.5", ""])
def test_parse_port_rejects(text: str) -> None:
    with pytest.raises(SettingsError, match="expected a TCP port from 1 to 65535") as info:
        parse_port(text)
    assert info.value.name == "scratch_image_port"


@pytest.mark.parametrize("parse", [parse_port, parse_user])
def test_unicode_digits_are_a_settings_error(parse: Callable[[str], int]) -> None:
    with pytest.raises(SettingsError):
        parse("²")


def test_settings_error_message_names_option_value_and_accepted_form() -> None:
    error = SettingsError("scratch_image_port", "0", "a TCP port from 1 to 65535")
    assert error.name == "scratch_image_port"
    assert str(error) == "scratch_image_port = '0': expected a TCP port from 1 to 65535"


def test_resolve_defaults(tmp_path: Path) -> None:
    settings = resolve({"app": "random_api:app"}, tmp_path)
    assert settings == Settings(app=AppSpec("random_api", "app"), app_path=(tmp_path,))
    assert (settings.budget, settings.user, settings.port, settings.workers) == (9_000_000, 65535, 8000, 2)
    assert (settings.health_path, settings.hardened, settings.ready_timeout) == ("/", True, 30.0)


def test_resolve_treats_empty_ini_values_as_unset(tmp_path: Path) -> None:
    raw: dict[str, Any] = {
        "app": "random_api:app", "app_path": [], "budget": "", "user": "", "port": " ", "workers": "",
        "health_path": "", "ready_timeout": "", "hidden_imports": [], "env": [], "hardened": True,
    }  # fmt: skip
    assert resolve(raw, tmp_path) == Settings(app=AppSpec("random_api", "app"), app_path=(tmp_path,))


def test_resolve_parses_every_setting(tmp_path: Path) -> None:
    raw: dict[str, Any] = {
        "app": "api.wsgi:create()",
        "app_path": ["fixtures/app", tmp_path / "abs"],
        "budget": "8.5MB",
        "user": "1000",
        "port": "8080",
        "workers": "4",
        "health_path": "/health",
        "ready_timeout": "2.5s",
        "hidden_imports": ["falcon.app", "  ", " uuid "],
        "excludes": ["tkinter"],
        "collect_data": ["certifi"],
        "copy_metadata": ["falcon"],
        "env": ["WAIT_TIME=0.5", "EMPTY=", "URL=a=b"],
        "hardened": False,
    }
    settings = resolve(raw, tmp_path)
    assert settings == Settings(
        app=AppSpec("api.wsgi", "create", call=True),
        app_path=(tmp_path / "fixtures/app", tmp_path / "abs"),
        budget=8_500_000,
        user=1000,
        port=8080,
        workers=4,
        health_path="/health",
        hidden_imports=("falcon.app", "uuid"),
        excludes=("tkinter",),
        collect_data=("certifi",),
        copy_metadata=("falcon",),
        env=(("WAIT_TIME", "0.5"), ("EMPTY", ""), ("URL", "a=b")),
        hardened=False,
        ready_timeout=2.5,
    )


@pytest.mark.parametrize("hardened", ["false", "no", "0", "off", " False "])
def test_resolve_reads_hardened_from_text(tmp_path: Path, hardened: str) -> None:
    assert resolve({"app": "a:b", "hardened": hardened}, tmp_path).hardened is False


@pytest.mark.parametrize(
    ("key", "value", "name", "expected"),
    [
        ("app", "", "scratch_image_app", "module:callable"),
        ("app", "no_colon", "scratch_image_app", "module:callable"),
        ("budget", "nine", "scratch_image_budget", "a size such as 9MB"),
        ("budget", "-3MB", "scratch_image_budget", "a size such as 9MB"),
        ("user", "nobody", "scratch_image_user", "a numeric UID"),
        ("port", "0", "scratch_image_port", "a TCP port from 1 to 65535"),
        ("workers", "0", "scratch_image_workers", "a whole number of at least 1"),
        ("workers", "two", "scratch_image_workers", "a whole number of at least 1"),
        ("health_path", "health", "scratch_image_health_path", "an absolute URL path"),
        ("ready_timeout", "soon", "scratch_image_ready_timeout", "a positive number of seconds"),
        ("ready_timeout", "-1", "scratch_image_ready_timeout", "a positive number of seconds"),
        ("env", ["NO_EQUALS"], "scratch_image_env", "NAME=value lines"),
        ("env", ["1BAD=x"], "scratch_image_env", "NAME=value lines"),
        ("hardened", "maybe", "scratch_image_hardened", "true or false"),
    ],
)
def test_resolve_errors_name_the_ini_option(tmp_path: Path, key: str, value: Any, name: str, expected: str) -> None:
    raw = {"app": "random_api:app", key: value}
    with pytest.raises(SettingsError) as info:
        resolve(raw, tmp_path)
    assert info.value.name == name
    assert str(info.value).startswith(f"{name} = ")
    assert f": expected {expected}" in str(info.value)


def test_resolve_refuses_root_while_hardened(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="non-root UID while scratch_image_hardened is true") as info:
        resolve({"app": "a:b", "user": "root"}, tmp_path)
    assert info.value.name == "scratch_image_user"


def _settings(**changes: Any) -> Settings:
    return Settings(app=AppSpec("a", "b"), app_path=(Path("."),), **changes)


@pytest.mark.parametrize(
    ("changes", "name", "message"),
    [
        ({"user": 0}, "scratch_image_user", "scratch_image_user = '0': expected a non-root UID"),
        ({"port": 80}, "scratch_image_port", "scratch_image_port = '80': expected a port of 1024 or more: user 65535"),
        ({"port": 1023, "user": 1000, "hardened": False}, "scratch_image_port", "user 1000 cannot bind below 1024"),
    ],
)
def test_check_consistent_refuses(changes: dict[str, Any], name: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as info:
        check_consistent(_settings(**changes))
    assert info.value.name == name


@pytest.mark.parametrize(
    "changes",
    [{}, {"port": 1024}, {"user": 0, "hardened": False, "port": 80}, {"user": 1, "hardened": False, "port": 65535}],
)
def test_check_consistent_accepts(changes: dict[str, Any]) -> None:
    check_consistent(_settings(**changes))


def test_trims_compression_and_excluded_files_are_read_and_checked(tmp_path: Path) -> None:
    raw = {"app": "a:b", "trim": ["tls", "codecs"], "compression": "zlib", "exclude_files": ["*.po"]}
    settings = resolve(raw, tmp_path)
    assert (settings.trim, settings.compression, settings.exclude_files) == (("tls", "codecs"), "zlib", ("*.po",))
    with pytest.raises(SettingsError, match="scratch_image_trim = 'openssl': expected names of trims, one a line"):
        resolve({"app": "a:b", "trim": ["openssl"]}, tmp_path)
    with pytest.raises(SettingsError, match="scratch_image_compression = 'gzip': expected one of xz, zlib, zlib-only"):
        resolve({"app": "a:b", "compression": "gzip"}, tmp_path)


def test_worker_class_and_extra_files_are_read_and_checked(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    settings = resolve({"app": "a:b", "worker_class": "gthread", "extra_files": ["config:etc"]}, tmp_path)
    assert settings.worker_class == "gthread"
    assert settings.extra_files == ((tmp_path / "config", "etc"),)
    with pytest.raises(SettingsError, match="scratch_image_worker_class = 'fast': expected one of sync, gthread"):
        resolve({"app": "a:b", "worker_class": "fast"}, tmp_path)
    with pytest.raises(SettingsError, match=r"scratch_image_extra_files = 'missing\.toml:etc': expected SOURCE:DEST"):
        resolve({"app": "a:b", "extra_files": ["missing.toml:etc"]}, tmp_path)

"""Hints from a frozen app's log: each names the setting that fixes what the log shows."""

from __future__ import annotations

import pytest

from pytest_scratchimage.diagnose import hints, record_hints


@pytest.mark.parametrize(
    ("log", "hint"),
    [
        (
            "ModuleNotFoundError: No module named 'mysite.settings'",
            "add mysite.settings to scratch_image_hidden_imports (it is imported by name, out of PyInstaller's sight), "
            "installed first if it is not: an app may do without it on the host (zoneinfo without tzdata, where "
            "/usr/share/zoneinfo exists)",
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
        (
            "OSError: [Errno 30] Read-only file system: 'state.txt'",
            "the image's root is read-only (scratch_image_hardened) and the app writes state.txt: only /tmp is "
            "writable, a tmpfs as long-lived as the container; point the app's files there (a path given in "
            "scratch_image_env)",
        ),
        (
            "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) unable to open database file",
            "the image's root is read-only (scratch_image_hardened), if the database is not under /tmp: only /tmp "
            "is writable, a tmpfs as long-lived as the container; point the app's files there (a path given in "
            "scratch_image_env)",
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


# The services' own words, as psycopg 3.3, redis-py 8.1 and requests 2 print them.
REFUSED = {
    "psycopg": (
        'psycopg.OperationalError: connection failed: connection to server at "127.0.0.1", port 5432 failed: '
        "Connection refused",
        "127.0.0.1:5432",
    ),
    "redis": (
        "redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.",
        "localhost:6379",
    ),
    "redis.asyncio": (
        "redis.exceptions.ConnectionError: Error 111 connecting to 127.0.0.1:56871. Connect call failed "
        "('127.0.0.1', 56871).",
        "127.0.0.1:56871",
    ),
    "requests": (
        "requests.exceptions.ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=8080): Max retries exceeded "
        "with url: / (Caused by NewConnectionError(\"HTTPConnection(host='127.0.0.1', port=8080): Failed to "
        'establish a new connection: [Errno 111] Connection refused"))',
        "127.0.0.1:8080",
    ),
}
UNRESOLVED = {
    "psycopg": ("psycopg.OperationalError: failed to resolve host 'db': [Errno -2] Name or service not known", "db"),
    "libpq": ('could not translate host name "db.internal" to address: Name or service not known', "db.internal"),
    "redis": (
        "redis.exceptions.ConnectionError: Error -2 connecting to cache:6379. Name or service not known.",
        "cache",
    ),
    "requests": (
        "requests.exceptions.ConnectionError: HTTPConnectionPool(host='api-stub', port=80): Max retries exceeded with "
        "url: / (Caused by NameResolutionError(\"HTTPConnection(host='api-stub', port=80): Failed to resolve "
        "'api-stub' ([Errno -2] Name or service not known)\"))",
        "api-stub",
    ),
}


@pytest.mark.parametrize(("line", "where"), REFUSED.values(), ids=REFUSED)
def test_a_service_refused_on_the_containers_loopback_points_at_the_host_network(line: str, where: str) -> None:
    host = where.split(":")[0]
    assert hints(f"Traceback (most recent call last):\n{line}\n") == [
        f"the container's {host} is its own, not this host's: to reach the service at {where} on this host, set "
        "scratch_image_network = host"
    ]


@pytest.mark.parametrize(("line", "where"), REFUSED.values(), ids=REFUSED)
def test_a_service_refused_at_the_record_is_one_that_is_not_running(line: str, where: str) -> None:
    assert record_hints(f"{line}\n") == [
        f"nothing answers at {where} on this host, where the record runs the app: start the service before the "
        "tests, or give the record its address in scratch_image_record_env"
    ]


@pytest.mark.parametrize(("line", "name"), UNRESOLVED.values(), ids=UNRESOLVED)
def test_a_name_that_does_not_resolve_points_at_the_network_or_the_records_address(line: str, name: str) -> None:
    assert hints(line) == [
        f"{name} does not resolve in the container: if it is a container's name, set scratch_image_network to the "
        "Docker network it is on"
    ]
    assert record_hints(line) == [
        f"{name} does not resolve on this host, where the record runs the app (a container's name?): give the record "
        "the address this host reaches it at in scratch_image_record_env (its published port on 127.0.0.1)"
    ]


@pytest.mark.parametrize(("line", "where"), REFUSED.values(), ids=REFUSED)
def test_a_service_refused_on_the_hosts_network_or_a_named_one_is_told_by_that_network(line: str, where: str) -> None:
    """On ``host`` the hint must not be the setting already made: the service is down."""
    host = where.split(":")[0]
    assert hints(line, "host") == [
        f"nothing answers at {where} on this host, whose network the container shares (scratch_image_network = "
        "host): start the service first"
    ]
    assert hints(line, "shop-net") == [
        f"the container's {host} is its own: on the Docker network shop-net, give the service by its container's name"
    ]


@pytest.mark.parametrize(("line", "name"), UNRESOLVED.values(), ids=UNRESOLVED)
def test_a_name_that_does_not_resolve_on_the_hosts_network_or_a_named_one(line: str, name: str) -> None:
    assert hints(line, "host") == [
        f"{name} does not resolve on this host, whose network the container shares (scratch_image_network = host): "
        "give the service's address, or run the container on the service's Docker network (scratch_image_network)"
    ]
    assert hints(line, "shop-net") == [
        f"{name} does not resolve on the Docker network shop-net: is a container of that name running and attached "
        "to it? (docker network inspect shop-net)"
    ]


def test_a_refusal_elsewhere_than_loopback_gives_no_network_hint() -> None:
    line = 'connection to server at "10.0.0.7", port 5432 failed: Connection refused'
    assert hints(line) == record_hints(line) == []


def test_the_record_is_not_told_the_frozen_apps_fixes() -> None:
    assert record_hints("ModuleNotFoundError: No module named 'x'") == []

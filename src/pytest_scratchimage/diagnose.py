"""Failures that teach: read a frozen app's log and name the setting that fixes what it shows.

PyInstaller sees only literal imports; modules imported by name, package metadata read through
``importlib.metadata`` and data files opened from a package's folder are not collected unless asked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# What code that reads a docstring raises once -OO made it None: concatenated, split, formatted, measured.
_NONE_DOC = (
    r"TypeError: (?:can only concatenate str \(not \"NoneType\"\) to str"
    r"|unsupported operand type\(s\) for \+: 'NoneType' and 'str'"
    r"|object of type 'NoneType' has no len\(\)|expected string or bytes-like object, got 'NoneType')"
    r"|AttributeError: 'NoneType' object has no attribute '(?:split|splitlines|strip|format|replace|lower|startswith)'"
)
# A service the app connects to at start: libpq ('at "127.0.0.1", port 5432 failed: Connection refused'),
# redis-py ('Error 111 connecting to localhost:6379. Connection refused.'), urllib3 ("host='127.0.0.1', port=80").
_REFUSED = re.compile(
    r"""(?P<host>127\.0\.0\.1|localhost)['"]?(?:,\s*port[ =]|:)(?P<port>[0-9]+)[^\n]*?"""
    r"(?:Connection refused|Errno 111|Connect call failed)"
)
# A name that does not resolve: psycopg ("failed to resolve host 'db'"), libpq ('could not translate host name
# "db" to address'), redis-py ('Error -2 connecting to db:6379. Name or service not known.'), urllib3
# ("host='db', port=80): … NameResolutionError").
_UNRESOLVED = re.compile(
    r"""failed to resolve host '(?P<psycopg>[^']+)'|could not translate host name "(?P<name>[^"]+)" to address"""
    r"|Error -[0-9]+ connecting to (?P<redis>[\w.-]+):[0-9]+\. (?:Name or service not known|Temporary failure)"
    r"|host='(?P<url>[\w.-]+)', port=[0-9]+\)[^\n]*(?:NameResolutionError|Name or service not known)"
)
# A write outside /tmp under the read-only root: Python's own error, and SQLite's for its database file.
_READ_ONLY = (
    r"\[Errno 30\] Read-only file system: '(?P<path>[^']+)'"
    r"|sqlite3\.OperationalError\)?:? (?:unable to open database file|attempt to write a readonly database)"
)
Rules = tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...]


def _where(match: re.Match[str]) -> str:
    return f" and the app writes {match['path']}" if match["path"] else ", if the database is not under /tmp"


def _named(match: re.Match[str]) -> str:
    return str(match["psycopg"] or match["name"] or match["redis"] or match["url"])


_RULES: Rules = (
    (
        re.compile(r"ModuleNotFoundError: No module named '(?P<name>[\w.]+)'"),
        lambda m: (
            f"add {m['name']} to scratch_image_hidden_imports (it is imported by name, out of PyInstaller's sight), "
            "installed first if it is not: an app may do without it on the host (zoneinfo without tzdata, "
            "where /usr/share/zoneinfo exists)"
        ),
    ),
    (
        re.compile(r"PackageNotFoundError: (?:No package metadata was found for )?(?P<name>[\w.-]+)"),
        lambda m: f"add {m['name']} to scratch_image_copy_metadata (importlib.metadata reads it at run time)",
    ),
    (
        re.compile(r"TemplateNotFound: (?P<name>\S+)"),
        lambda m: f"add the package holding template {m['name']} to scratch_image_collect_data",
    ),
    (
        re.compile(r"No such file or directory: '/tmp/_MEI\w+/(?P<package>\w+)/(?P<path>[^']+)'"),
        lambda m: f"add {m['package']} to scratch_image_collect_data (its file {m['path']} was not collected)",
    ),
    (
        re.compile(_NONE_DOC),
        lambda m: (
            "if that None is a docstring (optimize 2, -OO, drops them), set scratch_image_optimize = 1, "
            "or auto with the code path among scratch_image_probe_paths"
        ),
    ),
    (
        re.compile(_READ_ONLY),
        lambda m: (
            f"the image's root is read-only (scratch_image_hardened){_where(m)}: only /tmp is writable, a tmpfs as "
            "long-lived as the container; point the app's files there (a path given in scratch_image_env)"
        ),
    ),
)


_SHARED = "this host, whose network the container shares (scratch_image_network = host)"
# A service refused, and one not found, by the network the container ran on (a named one: "named").
_SERVICE_HINTS = {
    "host": (
        "nothing answers at {host}:{port} on " + _SHARED + ": start the service first",
        "{name} does not resolve on " + _SHARED + ": give the service's address, or run the container on the "
        "service's Docker network (scratch_image_network)",
    ),
    "bridge": (
        "the container's {host} is its own, not this host's: to reach the service at {host}:{port} on this host, "
        "set scratch_image_network = host",
        "{name} does not resolve in the container: if it is a container's name, set scratch_image_network to the "
        "Docker network it is on",
    ),
    "named": (
        "the container's {host} is its own: on the Docker network {network}, give the service by its container's name",
        "{name} does not resolve on the Docker network {network}: is a container of that name running and "
        "attached to it? (docker network inspect {network})",
    ),
}


def _services(network: str) -> Rules:
    """What a service refused or not found means, on the network the container ran on."""
    refused, unresolved = _SERVICE_HINTS.get(network, _SERVICE_HINTS["named"])
    return (
        (_REFUSED, lambda m: refused.format(host=m["host"], port=m["port"], network=network)),
        (_UNRESOLVED, lambda m: unresolved.format(name=_named(m), network=network)),
    )


# The record runs the app on this host, with scratch_image_env and scratch_image_record_env.
_RECORD_RULES: Rules = (
    (
        _REFUSED,
        lambda m: (
            f"nothing answers at {m['host']}:{m['port']} on this host, where the record runs the app: start the "
            "service before the tests, or give the record its address in scratch_image_record_env"
        ),
    ),
    (
        _UNRESOLVED,
        lambda m: (
            f"{_named(m)} does not resolve on this host, where the record runs the app (a container's name?): give "
            "the record the address this host reaches it at in scratch_image_record_env (its published port on "
            "127.0.0.1)"
        ),
    ),
)


def hints(log: str, network: str = "bridge") -> list[str]:
    """One fix per distinct problem the log of a container on ``network`` (bridge, host or a network's
    name) shows, in the order they first appear."""
    return _found(log, (*_RULES, *_services(network)))


def _found(log: str, rules: Rules) -> list[str]:
    found: dict[str, int] = {}
    for pattern, advice in rules:
        for match in pattern.finditer(log):
            found.setdefault(advice(match), match.start())
    return sorted(found, key=found.__getitem__)


def record_hints(log: str) -> list[str]:
    """One fix per distinct problem the log of the app recorded on the host shows."""
    return _found(log, _RECORD_RULES)


def fixes(found: Iterable[str]) -> str:
    """Hints as a headline's tail: ``; to fix: …`` each."""
    return "".join(f"; to fix: {hint}" for hint in found)

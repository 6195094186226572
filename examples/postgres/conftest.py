"""A PostgreSQL server of the session's own, started before the image is built, as CI's services are.

Debian's ``postgresql`` package (its ``initdb`` and ``pg_ctl``): a fresh cluster in a temporary folder,
listening on 127.0.0.1:55432 alone (the ``DATABASE_URL`` of ``pyproject.toml``), trusted for the ``notes``
role, stopped and removed at the end. As root it runs as the ``postgres`` user, which the package makes.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

PORT = 55432
URL = f"postgresql://notes@127.0.0.1:{PORT}/notes"


def binaries() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        pytest.exit("examples/postgres: no initdb in /usr/lib/postgresql: apt-get install postgresql", returncode=4)
    return found[-1].parent


def port_taken() -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", PORT)) == 0


@pytest.fixture(scope="session", autouse=True)
def database_url() -> Iterator[str]:
    """The server's URL; it is up before the first test, so before the plugin records the app."""
    if port_taken():
        pytest.exit(f"examples/postgres: 127.0.0.1:{PORT} is taken; stop what listens there", returncode=4)
    bin_folder = binaries()
    folder = Path(tempfile.mkdtemp(prefix="scratch-postgres-"))
    user = "postgres" if os.geteuid() == 0 else None  # initdb refuses root
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    data, log = folder / "data", folder / "server.log"

    def run(*command: str) -> None:
        subprocess.run(command, user=user, check=True, capture_output=True, text=True)

    run(str(bin_folder / "initdb"), "-D", str(data), "-U", "notes", "--auth=trust", "-E", "UTF8")
    options = f"-c listen_addresses=127.0.0.1 -c port={PORT} -c unix_socket_directories={folder}"
    run(str(bin_folder / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start")
    try:
        run(str(bin_folder / "createdb"), "-h", "127.0.0.1", "-p", str(PORT), "-U", "notes", "notes")
        yield URL
    finally:
        run(str(bin_folder / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)

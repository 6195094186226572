"""examples/postgres's app against a database in another container, on a named network: the container reaches
it by name, the record on the host by its port published on 127.0.0.1 (scratch_image_record_env).

No image is pulled here: the database's image is made FROM scratch of this host's own PostgreSQL (Debian's
``postgresql`` package), its binary, the libraries ``ldd`` names and a cluster ``initdb`` made.
"""

from __future__ import annotations

import io
import json
import os
import pwd
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import psycopg
import pytest

from pytest_scratchimage.cleanup import LABEL_PREFIX

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).parents[2] / "examples" / "postgres"
WRITES_AND_READS = """
    import psycopg

    def test_a_note_written_through_the_image_is_a_row(scratch_http):
        response = scratch_http.post("/notes", json={"body": "across the network"})
        assert response.status_code == 201
        with psycopg.connect("{outside}") as connection:
            row = connection.execute("SELECT body FROM notes WHERE id = %s", (response.json()["id"],)).fetchone()
        assert row == ("across the network",)
"""


def postgres_rootfs() -> tuple[bytes, list[str]]:
    """The database image's files and config: this host's server, its libraries and data, and a cluster
    (made in a folder of /tmp, which the postgres user reaches: pytest's are its owner's alone)."""
    tmp_path = Path(tempfile.mkdtemp(prefix="scratch-test-cluster-"))
    try:
        return _context(tmp_path)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


def _context(tmp_path: Path) -> tuple[bytes, list[str]]:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
    if not found:
        pytest.fail("no PostgreSQL server in /usr/lib/postgresql: apt-get install postgresql", pytrace=False)
    server = found[-1]
    version = server.parts[-3]
    account = pwd.getpwnam("postgres")
    cluster = tmp_path / "cluster"
    cluster.mkdir()
    os.chown(tmp_path, account.pw_uid, account.pw_gid)
    os.chown(cluster, account.pw_uid, account.pw_gid)
    user = "postgres" if os.geteuid() == 0 else None  # initdb refuses root
    initdb = [
        str(server.with_name("initdb")),
        "-D",
        str(cluster / "data"),
        "-U",
        "notes",
        "--auth=trust",
        "--locale=C",
        "-E",
        "UTF8",
    ]
    subprocess.run(initdb, user=user, check=True, capture_output=True)
    with (cluster / "data" / "pg_hba.conf").open("a") as hba:
        hba.write("host all all all trust\n")
    ldd = subprocess.run(["ldd", str(server)], check=True, capture_output=True, text=True).stdout
    libraries = re.findall(r"(/\S+) \(0x", ldd)
    rootfs = io.BytesIO()
    with tarfile.open(fileobj=rootfs, mode="w") as tar:
        for path in [server, *map(Path, libraries)]:
            tar.add(path.resolve(), str(path))
        for folder in (f"/usr/share/postgresql/{version}", f"/usr/lib/postgresql/{version}/lib", "/usr/share/zoneinfo"):
            tar.add(folder, folder)
        passwd = f"postgres:x:{account.pw_uid}:{account.pw_gid}::/data:/nonexistent\n".encode()
        entry = tarfile.TarInfo("etc/passwd")
        entry.size = len(passwd)
        tar.addfile(entry, io.BytesIO(passwd))
        tmp = tarfile.TarInfo("tmp")
        tmp.type, tmp.mode = tarfile.DIRTYPE, 0o1777
        tar.addfile(tmp)
        tar.add(cluster / "data", "data")  # as initdb made it: the postgres user's, 0700, as the server insists
    entrypoint = json.dumps([str(server), "-D", "/data", "-k", "/tmp", "-c", "listen_addresses=*"])
    return rootfs.getvalue(), [f"USER {account.pw_uid}", f"ENTRYPOINT {entrypoint}"]


@pytest.fixture
def database(engine: docker.DockerClient, remove_network: Callable[..., None]) -> Iterator[tuple[str, str, str]]:
    """(network, the URL containers on it use, the URL this host uses): a PostgreSQL container on a network
    of this test's own, its port published on 127.0.0.1; all removed after the test."""
    name = f"scratch-test-{uuid.uuid4().hex[:8]}"
    rootfs, changes = postgres_rootfs()
    # imported, not built: a tar's owners and modes stay as they are, and no builder's containers are left
    imported = json.loads(engine.api.import_image_from_data(rootfs, repository=name, tag="db", changes=changes))
    image = imported["status"]
    network = engine.networks.create(name, labels={f"{LABEL_PREFIX}.test": name})
    try:
        server = engine.containers.run(
            image, detach=True, name=f"{name}-db", network=name, ports={"5432/tcp": ("127.0.0.1", None)}
        )
        server.reload()
        port = server.ports["5432/tcp"][0]["HostPort"]
        outside = f"postgresql://notes@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(outside, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                server.reload()
                assert server.status == "running", f"the database exited; its log:\n{server.logs().decode()}"
                assert time.monotonic() < deadline, f"the database never answered; its log:\n{server.logs().decode()}"
                time.sleep(0.2)
        yield name, f"postgresql://notes@{name}-db:5432/postgres", outside
    finally:
        # the database, and an app container the inner session's detached cleanup may not have removed yet
        remove_network(str(network.id), [c.id for c in engine.containers.list(all=True, filters={"ancestor": image})])
        engine.images.remove(image, force=True)


def notes_args(inside: str, outside: str, network: str | None = None) -> list[str]:
    """The inner session's options: the example's own settings and binary cache (nothing is rebuilt), the
    container's and the record's addresses of the database, and the network when one is given."""
    ini = {
        "app": "notes:create_app()",
        "app_path": str(EXAMPLE),
        "health_path": "/health",
        "trim": "tls\ncodecs",
        "cache_dir": str(EXAMPLE / ".pytest_cache" / "d" / "scratchimage"),
        "env": f"DATABASE_URL={inside}",
        "record_env": f"DATABASE_URL={outside}",
    } | ({"network": network} if network else {})
    return [arg for name, value in ini.items() for arg in ("-o", f"scratch_image_{name}={value}")]


def test_the_app_reaches_a_database_in_another_container_by_name(
    pytester: pytest.Pytester, database: tuple[str, str, str]
) -> None:
    network, inside, outside = database
    pytester.makepyfile(WRITES_AND_READS.replace("{outside}", outside))
    result = pytester.runpytest("--scratch-image", "-p", "no:randomly", *notes_args(inside, outside, network))
    result.assert_outcomes(passed=1)


def test_without_the_network_the_failure_names_the_setting(
    pytester: pytest.Pytester, database: tuple[str, str, str]
) -> None:
    _, inside, outside = database
    pytester.makepyfile(WRITES_AND_READS.replace("{outside}", outside))
    result = pytester.runpytest("--scratch-image", "-p", "no:randomly", *notes_args(inside, outside))
    result.assert_outcomes(errors=1)
    db = inside.split("@")[1].split(":")[0]
    result.stdout.fnmatch_lines(
        [
            f"*run: the app exited with code * to fix: {db} does not resolve in the container: if it is a container's "
            "name, set scratch_image_network to the Docker network it is on*"
        ]
    )

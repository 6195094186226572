"""The notes API's image against a real PostgreSQL: written through the image, read back from outside."""

from __future__ import annotations

import psycopg
import requests

from pytest_scratchimage import ScratchContainer, ScratchImage, assert_no_shell, assert_runs_as


def test_a_note_written_through_the_image_is_a_row_in_the_database(
    scratch_http: requests.Session, database_url: str
) -> None:
    response = scratch_http.post("/notes", json={"body": "written in a scratch image"})
    assert response.status_code == 201
    note = response.json()["id"]
    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT body FROM notes WHERE id = %s", (note,)).fetchone()
    assert row == ("written in a scratch image",)


def test_a_row_written_from_outside_is_read_through_the_image(
    scratch_http: requests.Session, database_url: str
) -> None:
    with psycopg.connect(database_url) as connection:
        (note,) = connection.execute("INSERT INTO notes (body) VALUES ('from outside') RETURNING id").fetchone() or ()
    response = scratch_http.get(f"/notes/{note}")
    assert response.status_code == 200
    assert response.json() == {"id": note, "body": "from outside"}


def test_an_invalid_note_is_refused_and_an_absent_one_is_a_404(scratch_http: requests.Session) -> None:
    assert scratch_http.post("/notes", json={"body": ""}).status_code == 400
    assert scratch_http.get("/notes/999999").status_code == 404


def test_hardened_and_shell_less_on_the_hosts_network(
    scratch_image: ScratchImage, scratch_container: ScratchContainer
) -> None:
    assert_runs_as(scratch_container, 65535)
    assert_no_shell(scratch_image, scratch_container)

"""A REST API keeping its notes in PostgreSQL through psycopg 3, at the address ``DATABASE_URL`` names."""

from __future__ import annotations

import os

import psycopg
from flask import Flask, abort, request
from flask.typing import ResponseReturnValue

SCHEMA = "CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, body text NOT NULL)"


def create_app() -> Flask:
    """The WSGI app; ``scratch_image_app = notes:create_app()`` calls this in the image, once per worker.

    It connects at start, as most APIs do: a database it cannot reach stops it before its first answer.
    """
    url = os.environ["DATABASE_URL"]
    with psycopg.connect(url, connect_timeout=10) as connection:
        connection.execute("SELECT pg_advisory_xact_lock(1)")  # each gunicorn worker makes the app: one at a time
        connection.execute(SCHEMA)
    app = Flask(__name__)

    @app.post("/notes")
    def add() -> ResponseReturnValue:
        body = (request.get_json(silent=True) or {}).get("body")
        if not isinstance(body, str) or not body:
            abort(400)
        with psycopg.connect(url) as connection:
            row = connection.execute("INSERT INTO notes (body) VALUES (%s) RETURNING id", (body,)).fetchone()
        return {"id": row[0] if row else None, "body": body}, 201

    @app.get("/notes/<int:note>")
    def read(note: int) -> ResponseReturnValue:
        with psycopg.connect(url) as connection:
            row = connection.execute("SELECT body FROM notes WHERE id = %s", (note,)).fetchone()
        if row is None:
            abort(404)
        return {"id": note, "body": row[0]}

    @app.get("/health")
    def health() -> ResponseReturnValue:
        with psycopg.connect(url) as connection:
            server = connection.info.server_version
        return {"status": "ok", "server": server}

    return app

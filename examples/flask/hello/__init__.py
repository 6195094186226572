"""A small Flask app, made by a factory: one page rendered from a template, one JSON route."""

from __future__ import annotations

from flask import Flask, jsonify, render_template
from flask.typing import ResponseReturnValue


def create_app() -> Flask:
    """The WSGI app; ``scratch_image_app = hello:create_app()`` calls this in the image."""
    app = Flask(__name__)

    @app.get("/")
    def index() -> ResponseReturnValue:
        return render_template("index.html", name="scratch")

    @app.get("/api/greeting/<name>")
    def greeting(name: str) -> ResponseReturnValue:
        return jsonify(greeting=f"Hello, {name}!", length=len(name))

    @app.get("/health")
    def health() -> ResponseReturnValue:
        return {"status": "ok"}

    return app

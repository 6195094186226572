"""A Bottle app: a SimpleTemplate rendered from a string, a JSON API."""

from __future__ import annotations

from typing import Any

from bottle import Bottle, request, template

app = Bottle()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/hello/<name>")
def hello(name: str) -> str:
    return str(template("Hello {{name}}!", name=name))


@app.post("/echo")
def echo() -> Any:
    return request.json

"""A Flask app: a template rendered from a string, a JSON API."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template_string, request

app = Flask(__name__)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/hello/<name>")
def hello(name: str) -> str:
    return render_template_string("Hello {{ name }}!", name=name)


@app.post("/echo")
def echo() -> Any:
    return request.get_json()

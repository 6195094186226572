"""A Quart app: Flask's API on asyncio, a template rendered from a string, a JSON echo."""

from __future__ import annotations

from typing import Any

from quart import Quart, render_template_string, request

app = Quart(__name__)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/hello/<name>")
async def hello(name: str) -> str:
    return await render_template_string("Hello {{ name }}!", name=name)


@app.post("/echo")
async def echo() -> Any:
    return await request.get_json()

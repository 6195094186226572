"""A small Litestar app: a startup hook, a typed JSON body, a 404."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Litestar, get, post
from litestar.exceptions import NotFoundException

BOOKS = {1: "The Mythical Man-Month"}
STATE: dict[str, str] = {}


@dataclass
class Book:
    title: str


def on_startup() -> None:
    STATE["started"] = "yes"  # the ASGI lifespan's startup ran in this worker


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok", "started": STATE.get("started", "no")}


@post("/books/shout")
async def shout(data: Book) -> dict[str, str]:
    return {"title": data.title.upper()}


@get("/books/{number:int}")
async def read(number: int) -> dict[str, int | str]:
    if number not in BOOKS:
        raise NotFoundException("no such book")
    return {"id": number, "title": BOOKS[number]}


app = Litestar(route_handlers=[health, shout, read], on_startup=[on_startup])

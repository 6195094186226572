"""A Litestar app: typed path parameters and a JSON body."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Litestar, get, post


@dataclass
class Book:
    title: str


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/books/{book_id:int}")
async def book(book_id: int) -> dict[str, int]:
    return {"id": book_id}


@post("/books")
async def add(data: Book) -> dict[str, str]:
    return {"added": data.title}


app = Litestar([health, book, add])

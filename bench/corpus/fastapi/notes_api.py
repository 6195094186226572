"""A FastAPI app: a health route, a typed path and query, a JSON body."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Note(BaseModel):
    text: str


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/items/{item_id}")
def item(item_id: int, q: str | None = None) -> dict[str, object]:
    return {"id": item_id, "q": q}


@app.post("/notes")
def note(body: Note) -> dict[str, int]:
    return {"length": len(body.text)}

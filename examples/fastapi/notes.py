"""A small FastAPI app: a lifespan that runs at start, pydantic validation, a 404, one WebSocket echo."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, WebSocket
from pydantic import BaseModel

STATE: dict[str, str] = {}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    STATE["started"] = "yes"  # the ASGI lifespan's startup ran in this worker
    yield
    STATE.clear()


app = FastAPI(title="notes", lifespan=lifespan)
NOTES = {1: "ship it FROM scratch"}


class Note(BaseModel):
    text: str


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok", "started": STATE.get("started", "no")}


@app.post("/notes/count")
async def count(note: Note) -> dict[str, int]:
    return {"words": len(note.text.split())}


@app.get("/notes/{number}")
async def read(number: int) -> dict[str, int | str]:
    if number not in NOTES:
        raise HTTPException(status_code=404, detail="no such note")
    return {"id": number, "text": NOTES[number]}


@app.websocket("/echo")
async def echo(socket: WebSocket) -> None:
    await socket.accept()
    await socket.send_text(f"echo: {await socket.receive_text()}")
    await socket.close()

"""A small notes API on Bottle: one module, no framework magic beyond its router."""

from __future__ import annotations

import bottle

app = bottle.Bottle()
NOTES: dict[int, str] = {}


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/notes")
def add_note() -> dict[str, object]:
    text = (bottle.request.json or {}).get("text", "")
    if not isinstance(text, str) or not text.strip():
        bottle.response.status = 400
        return {"error": "a note needs a non-empty 'text'"}
    number = len(NOTES) + 1
    NOTES[number] = text.strip()
    bottle.response.status = 201
    return {"id": number, "text": NOTES[number]}


@app.get("/notes/<number:int>")
def get_note(number: int) -> dict[str, object]:
    if number not in NOTES:
        bottle.abort(404, f"no note {number}")
    return {"id": number, "text": NOTES[number]}

"""An ASGI API (Starlette) counting visits in Redis through redis-py's asyncio client, at ``REDIS_URL``."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """gunicorn's asgi worker runs this at start: a server it cannot reach stops the app before its first answer."""
    client = redis.asyncio.Redis.from_url(os.environ["REDIS_URL"])
    await client.ping()
    app.state.redis = client
    yield
    await client.aclose()


async def visit(request: Request) -> JSONResponse:
    page = request.path_params["page"]
    count = await request.app.state.redis.incr(f"visits:{page}")
    return JSONResponse({"page": page, "visits": count})


async def health(request: Request) -> JSONResponse:
    info = await request.app.state.redis.info("server")
    return JSONResponse({"status": "ok", "redis": info["redis_version"]})


app = Starlette(routes=[Route("/visits/{page}", visit, methods=["POST"]), Route("/health", health)], lifespan=lifespan)

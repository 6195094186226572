"""A Falcon ASGI app: resources with async responders."""

from __future__ import annotations

import falcon
import falcon.asgi


class Health:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = {"status": "ok"}


class Thing:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response, name: str) -> None:
        resp.media = {"thing": name}

    async def on_post(self, req: falcon.asgi.Request, resp: falcon.asgi.Response, name: str) -> None:
        resp.media = {"thing": name, "got": await req.get_media()}
        resp.status = falcon.HTTP_201


app = falcon.asgi.App()
app.add_route("/health", Health())
app.add_route("/things/{name}", Thing())

"""A Falcon WSGI app: resources with responders."""

from __future__ import annotations

import falcon


class Health:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"status": "ok"}


class Thing:
    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        resp.media = {"thing": name}

    def on_post(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        resp.media = {"thing": name, "got": req.get_media()}
        resp.status = falcon.HTTP_201


app = falcon.App()
app.add_route("/health", Health())
app.add_route("/things/{name}", Thing())

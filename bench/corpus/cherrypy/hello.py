"""A CherryPy app mounted on its tree and served as WSGI: exposed methods, its JSON tools."""

from __future__ import annotations

from typing import Any

import cherrypy


class Root:
    @cherrypy.expose  # type: ignore[untyped-decorator,unused-ignore]
    @cherrypy.tools.json_out()  # type: ignore[untyped-decorator,unused-ignore]
    def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @cherrypy.expose  # type: ignore[untyped-decorator,unused-ignore]
    def hello(self, name: str) -> str:
        return f"Hello {name}!"

    @cherrypy.expose  # type: ignore[untyped-decorator,unused-ignore]
    @cherrypy.tools.json_in()  # type: ignore[untyped-decorator,unused-ignore]
    @cherrypy.tools.json_out()  # type: ignore[untyped-decorator,unused-ignore]
    def echo(self) -> Any:
        return cherrypy.request.json


cherrypy.config.update({"environment": "embedded", "engine.autoreload.on": False})
app = cherrypy.tree.mount(Root(), "/")

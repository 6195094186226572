"""A Pyramid app: routes and views added through a Configurator, JSON rendered by its renderer."""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response


def health(request: Request) -> dict[str, str]:
    return {"status": "ok"}


def hello(request: Request) -> Response:
    return Response(f"Hello {request.matchdict['name']}!", content_type="text/plain")


def echo(request: Request) -> Any:
    return request.json_body


with Configurator() as config:
    config.add_route("health", "/health")
    config.add_view(health, route_name="health", renderer="json")
    config.add_route("hello", "/hello/{name}")
    config.add_view(hello, route_name="hello")
    config.add_route("echo", "/echo", request_method="POST")
    config.add_view(echo, route_name="echo", renderer="json")
    app = config.make_wsgi_app()

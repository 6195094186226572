"""What the record follows from the pages it probed: the links a browser would fetch, and redirects."""

from __future__ import annotations

import pytest

from pytest_scratchimage.record import Probe
from pytest_scratchimage.recording import Answer, _links, _same_origin

GRAPHIQL_LIKE = b"""<html><head>
<link href="static/site.css" rel="stylesheet"><script src='/static/app.js'></script>
<style>body { background: url( "/img/bg.png" ) }</style></head>
<body><a href="/search?q=a b">search</a><a href="https://cdn.example.org/x.js">cdn</a><a href="#top">top</a>
<script>
  function go(q) { updateURL({ q: q }); return new URL(url); }
  el.src = `${base}/x.js`; other.href = "/p/{id}";
</script></body></html>"""


def page(body: bytes, content_type: str = "text/html; charset=utf-8", path: str = "/graphql/") -> Answer:
    return Answer(Probe("GET", path, 200, len(body)), content_type, body)


def test_the_links_a_browser_fetches_and_none_of_a_scripts_text() -> None:
    assert _links({"/graphql/": page(GRAPHIQL_LIKE)}) == [
        "/graphql/static/site.css",
        "/static/app.js",
        "/img/bg.png",
        "/search?q=a%20b",
    ]


def test_only_html_and_css_are_crawled_and_a_page_is_not_asked_twice() -> None:
    css = page(b"p { background: url(../img/dot.png) }", "text/css", "/static/site.css")
    json = page(b'{"href": "/nowhere"}', "application/json", "/api")
    html = page(b'<a href="/static/site.css">', path="/")
    assert _links({"/static/site.css": css, "/api": json, "/": html}) == ["/img/dot.png"]


@pytest.mark.parametrize(
    ("base", "link", "target"),
    [
        ("/graphql", "/graphql/", "/graphql/"),
        ("/a/b", "c", "/a/c"),
        ("/a/", "../up?x=1", "/up?x=1"),
        ("/", "http://127.0.0.1:8123/moved", "/moved"),  # a Location names the app's own address
        ("/", "http://127.0.0.1:9999/other", None),
        ("/", "https://127.0.0.1:8123/tls", None),
        ("/", "//cdn.example.org/lib.js", None),
        ("/", "/p/{id}", None),
        ("/", "${base}/x.js", None),
        ("/", "/a\nb", None),
        ("/", " /padded ", "/padded"),
        ("/", "/caf\xe9", "/caf%C3%A9"),
    ],
)
def test_a_link_or_redirect_on_the_same_origin(base: str, link: str, target: str | None) -> None:
    assert _same_origin(base, link, "127.0.0.1:8123") == target

"""Radicale, the CalDAV and CardDAV server, as a WSGI app: its defaults, no authentication, and its
collections under RADICALE_STORAGE (default: /tmp/radicale, the one writable place of a hardened image).

Radicale loads its storage, auth, rights and web modules by name from its configuration, reads
``importlib.metadata`` at import and serves its web client's files from its package on request.
"""

from __future__ import annotations

import os

from radicale import Application, config


def create() -> Application:
    configuration = config.load()
    storage = os.environ.get("RADICALE_STORAGE", "/tmp/radicale")
    configuration.update(
        {"storage": {"filesystem_folder": f"{storage}/collections"}, "auth": {"type": "none"}},
        "calendar_app",
        privileged=True,
    )
    return Application(configuration)

"""WsgiDAV, the WebDAV server, as a WSGI app: DAV_ROOT (default /tmp, the one writable place of a
hardened image) shared with anyone, and its directory browser.

WsgiDAV checks at start that its directory browser's folder of templates and static files exists, and
serves from it on later requests.
"""

from __future__ import annotations

import os

from wsgidav.wsgidav_app import WsgiDAVApp


def create() -> WsgiDAVApp:
    return WsgiDAVApp(
        {
            "provider_mapping": {"/": os.environ.get("DAV_ROOT", "/tmp")},
            "simple_dc": {"user_mapping": {"*": True}},
            "verbose": 1,
        }
    )

"""A plain WSGI function, no framework: it loads a plugin module by name, as many apps do.

``PLUGIN_MODULE`` names it (default ``json``); a name PyInstaller never saw makes the frozen app
die at start with the ModuleNotFoundError that the plugin's hint explains.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from typing import Any

plugin = importlib.import_module(os.environ.get("PLUGIN_MODULE", "json"))


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = f"plain WSGI with {plugin.__name__}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
